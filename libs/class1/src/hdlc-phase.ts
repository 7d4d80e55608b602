import type { AtChannel } from './at-channel.ts';

// T.30 phase B and D frames through a Class 1 modem (ITU-T T.31 §8, +FTH and +FRH): the DCE
// does the HDLC work (flags, zero-bit insertion, FCS); the DTE hands over and gets back frame
// octets (address, control, FCF, FIF), DLE-shielded and ended by <DLE><ETX>.

/** One frame received with AT+FRH=3 (or after ATD's CONNECT). */
export interface ReceivedFrame {
  /** Address, control, FCF and FIF, without the FCS. */
  frame: Uint8Array;
  /**
   * The two FCS octets the DCE passed on after the frame (spandsp's T.31 does; T.31 lets a
   * DCE do so), or undefined when it sent fewer than two octets beyond the frame.
   */
  fcs: Uint8Array | undefined;
  /** T.31: the DCE answers OK after <DLE><ETX> when the FCS checked good, ERROR when not. */
  fcsOk: boolean;
}

export type FrameReception =
  | ({ kind: 'frame' } & ReceivedFrame)
  /** NO CARRIER before CONNECT or after the data: no V.21 carrier (T.31 +FRH). */
  | { kind: 'no-carrier' }
  /** +FCERROR: the DCE heard a carrier other than V.21 (T.31, +FRH with +FAR=0). */
  | { kind: 'wrong-carrier' }
  | { kind: 'error' };

export interface HdlcReceiveOptions {
  /**
   * How long to wait for CONNECT (a carrier with flags): T.30's T2/T4 windows belong to the
   * caller (the engine), so the caller passes what is left of its timer.
   */
  connectTimeoutMs: number;
  /** How long the frame may take after CONNECT; a 256-octet ECM-size frame at 300 bit/s ≈ 7 s. */
  frameTimeoutMs?: number;
  /**
   * False when the modem is already receiving (after ATD's CONNECT, or a CONNECT the caller
   * awaited itself): only the frame is read, no AT+FRH=3 is sent.
   */
  sendCommand?: boolean;
}

/**
 * Receives one HDLC frame on V.21: AT+FRH=3, CONNECT, the frame octets to <DLE><ETX>, then OK
 * (FCS good) or ERROR (FCS bad). The FCS octets, when the DCE passes them, are split off.
 */
export async function receiveHdlcFrame(channel: AtChannel, options: HdlcReceiveOptions): Promise<FrameReception> {
  if (options.sendCommand ?? true) {
    const r = await channel.command('AT+FRH=3', { timeoutMs: options.connectTimeoutMs, onConnect: 'receive' });
    if (r.result === 'NO CARRIER') return { kind: 'no-carrier' };
    if (r.result === '+FCERROR') return { kind: 'wrong-carrier' };
    if (r.result !== 'CONNECT') return { kind: 'error' };
  }
  const block = await channel.readData(options.frameTimeoutMs ?? 10_000);
  if (block.result === 'NO CARRIER' && block.data.length === 0) return { kind: 'no-carrier' };
  if (block.result !== 'OK' && block.result !== 'ERROR') return block.data.length === 0 ? { kind: 'error' } : { kind: 'frame', ...splitFcs(block.data), fcsOk: false };
  return { kind: 'frame', ...splitFcs(block.data), fcsOk: block.result === 'OK' };
}

/**
 * Splits the trailing FCS off a received block. A T.30 frame has at least address, control and
 * FCF, so a block of five or more octets carries a FCS; a shorter one is taken as frame only.
 */
export function splitFcs(data: Uint8Array): { frame: Uint8Array; fcs: Uint8Array | undefined } {
  if (data.length < 5) return { frame: data, fcs: undefined };
  return { frame: data.subarray(0, data.length - 2), fcs: data.subarray(data.length - 2) };
}

export interface HdlcTransmitOptions {
  /** How long to wait for CONNECT to AT+FTH=3 (the DCE first sends ~1 s of flags, T.30 §5.3.1). */
  connectTimeoutMs?: number;
  /** How long each frame may take to go out before the DCE asks for the next (CONNECT) or ends (OK). */
  frameTimeoutMs?: number;
  /**
   * False when the modem is already transmitting V.21 (after ATA's CONNECT in Class 1, where the
   * answering DCE sends CED and then V.21 flags by itself, T.31 §8.2).
   */
  sendCommand?: boolean;
}

/**
 * Sends T.30 frames on V.21: AT+FTH=3, CONNECT, then each frame followed by <DLE><ETX>. Per
 * T.31 +FTH, the DCE answers CONNECT after a frame whose control field is 0x03 (more follow)
 * and OK after the final one (0x13), once its closing flags are out. Frames come from
 * `@faxgate/t30`'s `buildFrame`, without FCS.
 */
export async function sendHdlcFrames(channel: AtChannel, frames: Uint8Array[], options: HdlcTransmitOptions = {}): Promise<void> {
  if (frames.length === 0) throw new Error('sendHdlcFrames: no frames');
  if (options.sendCommand ?? true) {
    const r = await channel.command('AT+FTH=3', { timeoutMs: options.connectTimeoutMs ?? 5_000 });
    if (r.result !== 'CONNECT') throw new Error(`AT+FTH=3 answered ${r.result}, not CONNECT; dialogue:\n${channel.transcript()}`);
  }
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    const last = i === frames.length - 1;
    const finalBit = (frame[1] & 0x10) !== 0;
    if (finalBit !== last) throw new Error(`frame ${i + 1} of ${frames.length} has control field 0x${frame[1].toString(16)}: only the last frame of a transmission is final (0x13), T.30 §5.3.5`);
    channel.writeData(frame);
    const want = last ? 'OK' : 'CONNECT';
    const r = await channel.awaitResult(`the DCE's ${want} after frame ${i + 1} of ${frames.length}`, { timeoutMs: options.frameTimeoutMs ?? 10_000 });
    if (r.result !== want) throw new Error(`the DCE answered ${r.result} after frame ${i + 1} of ${frames.length}, not ${want}; dialogue:\n${channel.transcript()}`);
  }
}
