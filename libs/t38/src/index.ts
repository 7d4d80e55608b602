export * from './ifp.ts';
export * from './udptl.ts';
export { UdptlSender } from './udptl-sender.ts';
export { UdptlReceiver } from './udptl-receiver.ts';
export type { UdptlDelivery } from './udptl-receiver.ts';
export { PerError } from './per.ts';
