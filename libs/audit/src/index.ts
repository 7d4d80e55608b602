export * from './audit-event.ts';
export * from './audit-log.ts';
export * from './audit-range.ts';
