export * from './fax-number.ts';
export * from './dial-policy.ts';
export * from './costly-ranges.ts';
export * from './dial-config.ts';
