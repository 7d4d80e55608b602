export * from './fax-number.ts';
