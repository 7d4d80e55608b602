export * from './role.ts';
export * from './metrics.ts';
export * from './http-server.ts';
export * from './run-roles.ts';
export * from './worker-lifecycle.ts';
export * from './run-main.ts';
export * from './auth-throttle.ts';
export * from './log-throttle.ts';
