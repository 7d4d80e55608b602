export { nodeRole } from './node-role.ts';
export { nodeSchema } from './config.ts';
export type { LineDriver, OutgoingCall, CallOutcome } from '@faxgate/line-driver';
export type { IncomingCall, ReceiveOutcome, ReceivingLineDriver, ReceivedFaxSink } from '@faxgate/line-driver';
export { createReceivedFaxSink } from './received-fax.ts';
export { simPrintedKey } from './sim-line-driver.ts';
export { SipLineDriver, type SipDriverOptions } from './sip-line-driver.ts';
export { sipDriverOptions } from './sip-driver-config.ts';
export { BatchClaims } from './batch-claims.ts';
