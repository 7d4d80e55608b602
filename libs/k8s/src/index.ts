export * from './leader-elector.ts';
export * from './lease-leader-elector.ts';
export * from './redis-leader-elector.ts';
export * from './create-leader-elector.ts';
export * from './kube-config.ts';
export * from './pod-discovery.ts';
export * from './line-status.ts';
export * from './leader-schedule.ts';
