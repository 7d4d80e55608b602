export { nodeRole } from './node-role.ts';
export { nodeSchema } from './config.ts';
export type { LineDriver, OutgoingCall, CallOutcome } from './line-driver.ts';
