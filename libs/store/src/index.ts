export * from './blob-store.ts';
export * from './fax-record.ts';
export * from './fax-records.ts';
export * from './inbound-record.ts';
export * from './inbound-records.ts';
export * from './record-codec.ts';
