import type { AtChannel } from './at-channel.ts';
import type { Modulation } from './capabilities.ts';
import { splitFcs, type ReceivedFrame } from './hdlc-phase.ts';

// T.30 phase C through a Class 1 modem (ITU-T T.31 §8, +FTM and +FRM): TCF and page data in
// V.27ter, V.29 or V.17, DLE-shielded, ended by <DLE><ETX>. Octets cross the DTE interface in
// line order, least significant bit first (see bit-order.ts).

export interface ImageTransmitOptions {
  /** How long to wait for CONNECT (the DCE sends the modem's training first: up to ~1.4 s for V.17 long). */
  connectTimeoutMs?: number;
  /** How long the data may take to go out after <DLE><ETX>: size / rate, plus margin. */
  drainTimeoutMs?: number;
  /**
   * A pause between CONNECT and the first data octet (HylaFAX's Class1TMConnectDelay), for
   * modems that drop data written before their training is on the line. Default 0.
   */
  connectDelayMs?: number;
}

/**
 * Sends TCF or page data: AT+FTM=<code>, CONNECT, the data with <DLE><ETX>, then OK once the DCE
 * has sent it all and dropped the carrier.
 */
export async function sendImageData(channel: AtChannel, modulation: Modulation, data: Uint8Array, options: ImageTransmitOptions = {}): Promise<void> {
  const r = await channel.command(`AT+FTM=${modulation.code}`, { timeoutMs: options.connectTimeoutMs ?? 5_000 });
  if (r.result !== 'CONNECT') throw new Error(`AT+FTM=${modulation.code} answered ${r.result}, not CONNECT; dialogue:\n${channel.transcript()}`);
  if (options.connectDelayMs) await new Promise((resolve) => setTimeout(resolve, options.connectDelayMs));
  channel.writeData(data);
  const lineMs = Math.ceil((data.length * 8 * 1000) / modulation.bitRate);
  const done = await channel.awaitResult(`OK after ${data.length} octets of ${modulation.standard} ${modulation.bitRate} data`, { timeoutMs: options.drainTimeoutMs ?? lineMs + 5_000 });
  if (done.result !== 'OK') throw new Error(`the DCE answered ${done.result} after the data, not OK; dialogue:\n${channel.transcript()}`);
}

export type ImageReception =
  | { kind: 'data'; data: Uint8Array; result: string }
  /**
   * T.31 adaptive reception (AT+FAR=1): the DCE heard V.21 flags instead of the asked-for
   * modulation, said `+FRH:3` before CONNECT, and delivered one HDLC frame (e.g. the sender's
   * EOP, or a repeated DCS) as after AT+FRH=3.
   */
  | ({ kind: 'hdlc-frame' } & ReceivedFrame)
  /** +FCERROR: the DCE heard another carrier (typically V.21: the far end sent a frame instead). */
  | { kind: 'wrong-carrier' }
  | { kind: 'no-carrier' }
  | { kind: 'error' };

export interface ImageReceiveOptions {
  /** How long to wait for the carrier (CONNECT). */
  connectTimeoutMs: number;
  /** How long the data may last after CONNECT until <DLE><ETX>. */
  dataTimeoutMs: number;
}

/**
 * Receives TCF or page data: AT+FRM=<code>, CONNECT once the carrier trained, then the data
 * until the carrier drops (<DLE><ETX> and NO CARRIER, T.31 +FRM). With AT+FAR=1 a V.21 frame
 * may come instead (kind 'hdlc-frame'); with +FAR=0 the DCE answers +FCERROR ('wrong-carrier').
 */
export async function receiveImageData(channel: AtChannel, modulation: Modulation, options: ImageReceiveOptions): Promise<ImageReception> {
  const r = await channel.command(`AT+FRM=${modulation.code}`, { timeoutMs: options.connectTimeoutMs, onConnect: 'receive' });
  if (r.result === '+FCERROR') return { kind: 'wrong-carrier' };
  if (r.result === 'NO CARRIER') return { kind: 'no-carrier' };
  if (r.result !== 'CONNECT') return { kind: 'error' };
  const block = await channel.readData(options.dataTimeoutMs);
  if (r.lines.some((l) => /^\+FRH:\s*3$/i.test(l.trim()))) return { kind: 'hdlc-frame', ...splitFcs(block.data), fcsOk: block.result === 'OK' };
  return { kind: 'data', data: block.data, result: block.result };
}

/** T.31 +FTS=<n> / +FRS=<n>: stop transmitting and wait, or wait for n × 10 ms of silence. */
export async function silence(channel: AtChannel, kind: 'transmit' | 'receive', tensOfMs: number, timeoutMs = 5_000): Promise<void> {
  const cmd = `AT+F${kind === 'transmit' ? 'T' : 'R'}S=${tensOfMs}`;
  const r = await channel.command(cmd, { timeoutMs });
  if (r.result !== 'OK') throw new Error(`${cmd} answered ${r.result}; dialogue:\n${channel.transcript()}`);
}
