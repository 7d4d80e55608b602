export * from './queue-names.ts';
export * from './job-types.ts';
export * from './job-ids.ts';
export * from './redis-connection.ts';
export * from './queue-set.ts';
export * from './create-worker.ts';
export * from './job-attempts.ts';
export { UnrecoverableError, DelayedError, type Job, type Worker, type Queue } from 'bullmq';
