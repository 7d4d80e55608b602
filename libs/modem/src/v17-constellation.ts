// ITU-T V.17 signal space: the trellis-coded constellations of each rate (its signal-space
// figures: 128, 64, 32 and 16 points), its differential encoding, its 8-state convolutional
// (trellis) encoder, and the signal elements of its training sequences (long and short train).
//
// Where the labels come from: the text copies of V.17 that could be read here lose its figures,
// so the bit labels of each point, the segment 2 mapping and the scrambler's training state were
// read off a conforming V.17 signal (spandsp's transmitter sending known data, demodulated symbol
// by symbol on a clean channel): each label below matched one point over 2000 symbols at every
// rate, and the encoder below predicted every Y0. The labels are known up to a 90° rotation,
// which the differential coding makes invisible to a receiver. The tables are in one unit for
// all rates, in which the training points A, B, C, D are (−6,−2), (2,−6), (6,2), (−2,6).

export type V17Rate = 14400 | 12000 | 9600 | 7200;

/** Data bits per symbol interval: Q1 Q2 go through the trellis encoder, the rest (Q3…Q6) are uncoded. */
export const V17_BITS_PER_SYMBOL = { 14400: 6, 12000: 5, 9600: 4, 7200: 3 } as const;

/** Signal points as x, y pairs, indexed by the label Y0 | Y1·2 | Y2·4 | Q3·8 | Q4·16 | Q5·32 | Q6·64. */
export const V17_CONSTELLATIONS: Record<V17Rate, Int8Array> = {
  14400: Int8Array.of(
    -3, 8,  2, -9,  -9, -2,  8, 3,  3, -8,  -2, 9,  9, 2,  -8, -3,
    1, 8,  -2, -9,  -9, 2,  8, -1,  -1, -8,  2, 9,  9, -2,  -8, 1,
    -3, 4,  2, -5,  -5, -2,  4, 3,  3, -4,  -2, 5,  5, 2,  -4, -3,
    1, 4,  -2, -5,  -5, 2,  4, -1,  -1, -4,  2, 5,  5, -2,  -4, 1,
    -3, -4,  2, 3,  3, -2,  -4, 3,  3, 4,  -2, -3,  -3, 2,  4, -3,
    1, -4,  -2, 3,  3, 2,  -4, -1,  -1, 4,  2, -3,  -3, -2,  4, 1,
    -3, 0,  2, -1,  -1, -2,  0, 3,  3, 0,  -2, 1,  1, 2,  0, -3,
    1, 0,  -2, -1,  -1, 2,  0, -1,  -1, 0,  2, 1,  1, -2,  0, 1,
    -3, -8,  2, 7,  7, -2,  -8, 3,  3, 8,  -2, -7,  -7, 2,  8, -3,
    1, -8,  -2, 7,  7, 2,  -8, -1,  -1, 8,  2, -7,  -7, -2,  8, 1,
    -7, 4,  6, -5,  -5, -6,  4, 7,  7, -4,  -6, 5,  5, 6,  -4, -7,
    5, 4,  -6, -5,  -5, 6,  4, -5,  -5, -4,  6, 5,  5, -6,  -4, 5,
    -7, -4,  6, 3,  3, -6,  -4, 7,  7, 4,  -6, -3,  -3, 6,  4, -7,
    5, -4,  -6, 3,  3, 6,  -4, -5,  -5, 4,  6, -3,  -3, -6,  4, 5,
    -7, 0,  6, -1,  -1, -6,  0, 7,  7, 0,  -6, 1,  1, 6,  0, -7,
    5, 0,  -6, -1,  -1, 6,  0, -5,  -5, 0,  6, 1,  1, -6,  0, 5,
  ),
  12000: Int8Array.of(
    1, -7,  -1, 5,  5, 1,  -7, -1,  -1, 7,  1, -5,  -5, -1,  7, 1,
    -3, -3,  3, 1,  1, -3,  -3, 3,  3, 3,  -3, -1,  -1, 3,  3, -3,
    -7, -7,  7, 5,  5, -7,  -7, 7,  7, 7,  -7, -5,  -5, 7,  7, -7,
    -7, 1,  7, -3,  -3, -7,  1, 7,  7, -1,  -7, 3,  3, 7,  -1, -7,
    5, -3,  -5, 1,  1, 5,  -3, -5,  -5, 3,  5, -1,  -1, -5,  3, 5,
    1, 1,  -1, -3,  -3, 1,  1, -1,  -1, -1,  1, 3,  3, -1,  -1, 1,
    5, 5,  -5, -7,  -7, 5,  5, -5,  -5, -5,  5, 7,  7, -5,  -5, 5,
    -3, 5,  3, -7,  -7, -3,  5, 3,  3, -5,  -3, 7,  7, 3,  -5, -3,
  ),
  9600: Int8Array.of(
    2, 8,  -4, 6,  6, 4,  8, -2,  -2, -8,  4, -6,  -6, -4,  -8, 2,
    2, 0,  4, 6,  6, -4,  0, -2,  -2, 0,  -4, -6,  -6, 4,  0, 2,
    -6, 0,  -4, -2,  -2, 4,  0, 6,  6, 0,  4, 2,  2, -4,  0, -6,
    2, -8,  4, -2,  -2, -4,  -8, -2,  -2, 8,  -4, 2,  2, 4,  8, 2,
  ),
  7200: Int8Array.of(
    -6, -6,  6, 2,  2, -6,  -6, 6,  6, 6,  -6, -2,  -2, 6,  6, -6,
    2, 2,  -2, -6,  -6, 2,  2, -2,  -2, -2,  2, 6,  6, -2,  -2, 2,
  ),
};

/** Mean energy of each rate's data constellation, in the tables' units. */
export function v17MeanEnergy(rate: V17Rate): number {
  const t = V17_CONSTELLATIONS[rate];
  let e = 0;
  for (let i = 0; i < t.length; i++) e += t[i] * t[i];
  return e / (t.length / 2);
}

/** Training signal elements, x, y: A and B alternate in segment 1; C and D join them in segment 2. */
export const V17_A: readonly [number, number] = [-6, -2];
export const V17_B: readonly [number, number] = [2, -6];
export const V17_C: readonly [number, number] = [6, 2];
export const V17_D: readonly [number, number] = [-2, 6];
/** Energy of every training element. */
export const V17_TRAINING_ENERGY = 40;

/**
 * Segment 2 (equaliser conditioning): each symbol carries two scrambler output bits, the first
 * in time b0: b0 b1 = 00 → C, 01 → D, 10 → B, 11 → A.
 */
export const V17_CONDITIONING_POINTS: readonly (readonly [number, number])[] = [V17_C, V17_D, V17_B, V17_A];

/**
 * Training: the scrambler (1 + x^-18 + x^-23, binary ones in) holds this state at the start of
 * segment 2, most recent bit in bit 0, so that the receiver can train on a known sequence.
 */
export const V17_TRAINING_SCRAMBLER_STATE = 0x2ecdd5;

/** Training segment lengths in symbol intervals; short train shortens segment 2 and has no segment 3. */
export const V17_SEGMENTS = { alternations: 256, conditioningLong: 2976, conditioningShort: 38, bridge: 64, ones: 48 } as const;

/**
 * Differential encoding and the 8-state systematic convolutional encoder:
 * Q1n Q2n become Y1n Y2n by adding them, as the number Q2·2 + Q1, to the previous Y2 Y1 modulo 4
 * (which makes the code transparent to 90° rotations of the signal), and the encoder's three
 * delay elements give the redundant bit Y0n.
 */
export class V17TrellisEncoder {
  /** Y2·2 + Y1 of the previous symbol. */
  diff = 0;
  /** The delay elements: bit 0 is the one whose output is Y0. */
  state = 0;

  /** Returns the 3-bit label Y0 | Y1·2 | Y2·4 for the dibit Q1, Q2. */
  encode(q1: number, q2: number): number {
    this.diff = (this.diff + (q1 | (q2 << 1))) & 3;
    const y1 = this.diff & 1;
    const y2 = this.diff >> 1;
    const y0 = this.state & 1;
    this.state = v17NextState(this.state, y1, y2);
    return y0 | (y1 << 1) | (y2 << 2);
  }
}

/** The trellis encoder's next state from its state and Y1n, Y2n. */
export function v17NextState(state: number, y1: number, y2: number): number {
  const s0 = state & 1;
  const s1 = (state >> 1) & 1;
  const s2 = (state >> 2) & 1;
  const n0 = y2 ^ s1 ^ (y1 & s0);
  const n1 = y2 ^ y1 ^ s2 ^ ((y2 ^ s1) & s0);
  return (s0 << 2) | (n1 << 1) | n0;
}
