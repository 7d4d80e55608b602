// A model of the line between two software modems, for tests: gain, additive white Gaussian
// noise at a given SNR, a sample-clock offset (resampling), leading silence, and G.711.
// Deterministic: every random draw comes from a seeded generator, so a failure can be replayed.
import { g711Decode, g711Encode, type G711Law } from '../src/g711.ts';

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a seeded generator. */
export function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function clip(x: number): number {
  return x > 32767 ? 32767 : x < -32768 ? -32768 : Math.round(x);
}

export function meanSquare(x: Int16Array, from = 0, to = x.length): number {
  let e = 0;
  for (let i = from; i < to; i++) e += x[i] * x[i];
  return e / Math.max(1, to - from);
}

/** Adds white Gaussian noise `snrDb` below the mean power of the samples in [from, to). */
export function addNoise(x: Int16Array, snrDb: number, seed: number, from = 0, to = x.length): Int16Array {
  const sigma = Math.sqrt(meanSquare(x, from, to) / 10 ** (snrDb / 10));
  const g = gaussian(seed);
  return x.map((v) => clip(v + sigma * g()));
}

/** Noise alone at a mean-square power, `n` samples. */
export function noise(n: number, ms: number, seed: number): Int16Array {
  const g = gaussian(seed);
  const s = Math.sqrt(ms);
  return Int16Array.from({ length: n }, () => clip(s * g()));
}

export function gain(x: Int16Array, db: number): Int16Array {
  const k = 10 ** (db / 20);
  return x.map((v) => clip(v * k));
}

/**
 * The signal as heard by a receiver whose sample clock runs `ppm` parts per million fast
 * (positive) or slow (negative) against the sender's: cubic (Catmull–Rom) interpolation at
 * instants spaced 1 + ppm·1e-6 sender samples apart.
 */
export function resample(x: Int16Array, ppm: number): Int16Array {
  const step = 1 + ppm * 1e-6;
  const n = Math.floor((x.length - 2) / step);
  const out = new Int16Array(n);
  const at = (i: number) => (i < 0 ? x[0] : i >= x.length ? x[x.length - 1] : x[i]);
  for (let k = 0; k < n; k++) {
    const t = k * step;
    const i = Math.floor(t);
    const f = t - i;
    const p0 = at(i - 1), p1 = at(i), p2 = at(i + 1), p3 = at(i + 2);
    out[k] = clip(p1 + 0.5 * f * (p2 - p0 + f * (2 * p0 - 5 * p1 + 4 * p2 - p3 + f * (3 * (p1 - p2) + p3 - p0))));
  }
  return out;
}

/** `ms` of silence, then the signal, then `tailMs` of silence. */
export function pad(x: Int16Array, ms: number, tailMs = 0): Int16Array {
  const lead = Math.round(ms * 8);
  const out = new Int16Array(lead + x.length + Math.round(tailMs * 8));
  out.set(x, lead);
  return out;
}

/** Through a G.711 codec and back. */
export function g711Channel(x: Int16Array, law: G711Law): Int16Array {
  return g711Decode(law, g711Encode(law, x));
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Runs a transmitter (`generate`) to its end, at most `maxSamples`, in 160-sample blocks. */
export function drain(tx: { generate(out: Int16Array): number }, maxSamples = 8000 * 120): Int16Array {
  const parts: Int16Array[] = [];
  let total = 0;
  for (;;) {
    const b = new Int16Array(160);
    const n = tx.generate(b);
    parts.push(b.subarray(0, n));
    total += n;
    if (n < 160) break;
    if (total >= maxSamples) throw new Error(`transmitter still running after ${maxSamples} samples`);
  }
  return concat(parts);
}

/** Feeds a receiver in blocks of `block` samples (odd sizes catch block-boundary bugs). */
export function feed(rx: { receive(x: Int16Array): void }, x: Int16Array, block = 160): void {
  for (let i = 0; i < x.length; i += block) rx.receive(x.subarray(i, Math.min(x.length, i + block)));
}
