export * from './blob-store.ts';
export * from './fax-record.ts';
export * from './fax-records.ts';
