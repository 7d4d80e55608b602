export * from './destination-record.ts';
export * from './destination-store.ts';
export * from './destination-gate.ts';
export * from './destination-number.ts';
export * from './destination-audit.ts';
