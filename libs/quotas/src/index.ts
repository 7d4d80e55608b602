export * from './quota-limits.ts';
export * from './destination-quota.ts';
export * from './page-quota.ts';
export * from './usage-ledger.ts';
export * from './quota-config.ts';
