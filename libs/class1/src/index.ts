export * from './byte-link.ts';
export { openSerialLink } from './serial-link.ts';
export * from './dle.ts';
export * from './result-codes.ts';
export { AtChannel, type AtResponse, type CommandOptions, type ReceivedBlock } from './at-channel.ts';
export * from './capabilities.ts';
export { probeModem, type ProbeOptions } from './probe.ts';
export * from './hdlc-phase.ts';
export { imageDataToModem, imageDataFromModem } from './bit-order.ts';
