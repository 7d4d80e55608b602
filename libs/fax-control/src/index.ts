export * from './control-context.ts';
export * from './call-control.ts';
export * from './cancel-fax.ts';
export * from './hold-fax.ts';
export * from './resubmit-fax.ts';
export * from './pending-jobs.ts';
export * from './recipient-finish.ts';
export * from './sender-queue.ts';
