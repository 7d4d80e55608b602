// Software fax modems (V.21 ch 2, V.27 ter, V.29, V.17) and G.711, written from the ITU-T texts
// (V.17's figures, which the readable text lacks, read off a conforming signal: see v17-constellation.ts).
export {};
export * from './g711.ts';
export * from './tones.ts';
export * from './hdlc.ts';
export * from './v21.ts';
export type { GetBit, ModemTransmitter, ModemReceiver, ModemReceiverEvents, SignalQuality } from './qam-types.ts';
export { V29Transmitter, type V29TransmitterOptions } from './v29-tx.ts';
export { V29Receiver, type V29ReceiverOptions } from './v29-rx.ts';
export type { V29Rate } from './v29-constellation.ts';
export * from './rtp-packet.ts';
export * from './rtp-packetiser.ts';
export * from './rtp-pacer.ts';
export * from './rtp-jitter-buffer.ts';
export { V27terTransmitter, type V27terTransmitterOptions } from './v27ter-tx.ts';
export { V27terReceiver, type V27terReceiverOptions } from './v27ter-rx.ts';
export type { V27terRate } from './v27ter-constellation.ts';
export { V17Transmitter, type V17TransmitterOptions } from './v17-tx.ts';
export { V17Receiver, type V17ReceiverOptions } from './v17-rx.ts';
export type { V17Rate } from './v17-constellation.ts';
export { AudioFaxTerminal, AUDIO_MODEMS, type AudioFaxTerminalOptions } from './audio-fax-terminal.ts';
export { RtpAudioLine, type RtpAudioLineOptions, type AudioEndpoint } from './rtp-audio-line.ts';
