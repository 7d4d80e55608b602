// Test harness for the fast modems (V.27 ter, V.29, V.17) against spandsp, the judge: runs
// test/peers/spandsp-fast-modem-peer (spandsp's transmitters and receivers, and a test channel
// with spandsp's G.711), and compares bit streams with the PRBS15 both sides send.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { ModemReceiverEvents, ModemTransmitter, ModemReceiver } from '../src/qam-types.ts';

const root = join(import.meta.dirname, '..', '..', '..');
let built: string | undefined;

/** Path of the judge, built on first use by test/peers/build.sh. */
export function judgePath(): string {
  built ??= execFileSync('bash', [join(root, 'test', 'peers', 'build.sh'), 'spandsp-fast-modem-peer'], { encoding: 'utf8', timeout: 120_000 }).trim().split('\n').pop()!;
  return built;
}

/** Runs the judge with `args`, `input` on stdin; fails with its stderr on error or after 30 s. */
export function runJudge(args: string[], input?: Uint8Array): { stdout: Buffer; stderr: string } {
  try {
    const stdout = execFileSync(judgePath(), args, { input, maxBuffer: 1 << 27, timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'] });
    return { stdout, stderr: '' };
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`spandsp-fast-modem-peer ${args.join(' ')} failed: ${e.message}\n${e.stderr?.toString() ?? ''}`);
  }
}

/** O.150 PRBS15 (x^15 + x^14 + 1), register seeded with 1: the judge's data pattern. */
export function prbs15(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let r = 1;
  for (let i = 0; i < n; i++) {
    const b = ((r >> 14) ^ (r >> 13)) & 1;
    r = ((r << 1) | b) & 0x7fff;
    out[i] = b;
  }
  return out;
}

/** A bit source sending `data`, then `trail` ones, then the end (−1). */
export function bitSource(data: Uint8Array, trail = 64): () => number {
  let i = 0;
  return () => (i < data.length ? data[i++] : i++ < data.length + trail ? 1 : -1);
}

/** Everything a transmitter sends, in 160-sample blocks as a terminal would ask for it. */
export function transmitAll(tx: ModemTransmitter, maxSeconds = 30): Int16Array {
  const chunks: Int16Array[] = [];
  let total = 0;
  for (;;) {
    const b = new Int16Array(160);
    const n = tx.generate(b);
    chunks.push(b.subarray(0, n));
    total += n;
    if (n < 160) break;
    if (total > maxSeconds * 8000) throw new Error(`transmitter still sending after ${maxSeconds} s`);
  }
  const out = new Int16Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

export function toBytes(a: Int16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function toSamples(b: Buffer): Int16Array {
  const copy = new Uint8Array(b.length & ~1);
  copy.set(b.subarray(0, copy.length));
  return new Int16Array(copy.buffer);
}

/** Passes audio through the judge's channel (options as for `spandsp-fast-modem-peer channel`). */
export function channel(audio: Int16Array, options: string[]): Int16Array {
  if (options.length === 0) return audio;
  return toSamples(runJudge(['channel', ...options], toBytes(audio)).stdout);
}

export interface Reception {
  bits: string;
  events: string[];
}

/** Feeds audio to one of our receivers in 160-sample blocks, then 200 ms of silence. */
export function receiveAll(make: (events: ModemReceiverEvents) => ModemReceiver, audio: Int16Array): Reception & { rx: ModemReceiver } {
  const bits: string[] = [];
  const events: string[] = [];
  const rx = make({
    bit: (b) => bits.push(b ? '1' : '0'),
    carrier: (up) => events.push(up ? 'carrier-up' : 'carrier-down'),
    training: (ok, q) => events.push(`training-${ok ? 'succeeded' : 'failed'} snr ${q.snrDb.toFixed(1)} dB`),
  });
  for (let i = 0; i < audio.length; i += 160) rx.receive(audio.subarray(i, i + 160));
  rx.receive(new Int16Array(1600));
  return { bits: bits.join(''), events, rx };
}

/** spandsp's receiver on audio: its bits and status lines; `extra` as for the judge's rx (V.17: 'short'). */
export function judgeReceive(modem: string, rate: number, audio: Int16Array, extra: string[] = []): Reception {
  try {
    const stdout = execFileSync(judgePath(), ['rx', modem, String(rate), ...extra], { input: toBytes(audio), maxBuffer: 1 << 27, timeout: 30_000, stdio: ['pipe', 'pipe', 'pipe'], encoding: 'buffer' });
    return { bits: stdout.toString().trim(), events: [] };
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`spandsp rx ${modem} ${rate} failed: ${e.message}\n${e.stderr?.toString() ?? ''}`);
  }
}

/** spandsp's transmitter sending `nbits` of PRBS15 then 64 ones, with its echo protection tone if `tep`. */
export function judgeTransmit(modem: string, rate: number, nbits: number, tep = false): Int16Array {
  return toSamples(runJudge(['tx', modem, String(rate), String(nbits), '64', tep ? 'tep' : 'notep']).stdout);
}

/**
 * Bit errors of a received stream against the data sent: the data is found by its first 64
 * bits (the receiver may deliver training or start-up bits first), then compared bit for bit.
 * Missing bits at the end count as errors. Throws, with what was received, if it is not found.
 */
export function bitErrors(received: string, sent: Uint8Array, what: string): number {
  const want = Array.from(sent, (b) => (b ? '1' : '0')).join('');
  const at = received.indexOf(want.slice(0, 64));
  if (at < 0) throw new Error(`${what}: the data's first 64 bits were not received; got ${received.length} bits: ${received.slice(0, 300)}`);
  let errors = 0;
  for (let i = 0; i < want.length; i++) if (received[at + i] !== want[i]) errors++;
  return errors;
}
