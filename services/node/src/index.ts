export { nodeRole } from './node-role.ts';
export { nodeSchema } from './config.ts';
export type { LineDriver, OutgoingCall, CallOutcome } from './line-driver.ts';
export type { IncomingCall, ReceiveOutcome, ReceivingLineDriver, ReceivedFaxSink } from './line-driver.ts';
export { createReceivedFaxSink } from './received-fax.ts';
