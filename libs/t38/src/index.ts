export * from './ifp.ts';
export * from './udptl.ts';
export { UdptlSender } from './udptl-sender.ts';
export { UdptlReceiver } from './udptl-receiver.ts';
export type { UdptlDelivery } from './udptl-receiver.ts';
export { PerError } from './per.ts';
export { T38Terminal, type T38TerminalOptions } from './t38-terminal.ts';
export { tiffDocument, receivedTiff, decodeReceivedPage } from './fax-document.ts';
export { t38Cli } from './cli.ts';
