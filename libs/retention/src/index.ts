export * from './retention-policy.ts';
export * from './purge.ts';
export * from './retention-sweep.ts';
export * from './retention-schedule.ts';
