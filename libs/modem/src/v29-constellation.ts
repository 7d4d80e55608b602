// ITU-T V.29 signal space: Table 1 (phase changes), Table 2 (amplitudes) and Table 3 (training
// signal elements).

export type V29Rate = 9600 | 7200;

/**
 * V.29 Table 1 (encoding of the tribits): phase change in multiples of 45° for the tribit Q2 Q3 Q4 (Q2 the most
 * significant): 001 → 0°, 000 → 45°, 010 → 90°, 011 → 135°, 111 → 180°, 110 → 225°,
 * 100 → 270°, 101 → 315°.
 */
export const V29_PHASE_CHANGE = Uint8Array.of(1, 0, 2, 3, 6, 7, 5, 4);

/** The inverse of Table 1: tribit for a phase change of k·45°. */
export const V29_TRIBIT_FOR_CHANGE = (() => {
  const t = new Uint8Array(8);
  for (let b = 0; b < 8; b++) t[V29_PHASE_CHANGE[b]] = b;
  return t;
})();

/**
 * V.29 Table 2: the point at absolute phase k·45° with amplitude bit Q1. Phases 0°, 90°, 180°
 * and 270° have relative amplitude 3 (Q1 = 0) or 5 (Q1 = 1); 45°, 135°, 225° and 315° have
 * √2 (Q1 = 0) or 3√2 (Q1 = 1). At 7200 bit/s Q1 is always 0.
 */
export function v29Point(phase: number, q1: number, out: Float64Array): void {
  const k = phase & 7;
  if ((k & 1) === 0) {
    const a = q1 ? 5 : 3;
    out[0] = k === 0 ? a : k === 4 ? -a : 0;
    out[1] = k === 2 ? a : k === 6 ? -a : 0;
  } else {
    const a = q1 ? 3 : 1;
    out[0] = k === 1 || k === 7 ? a : -a;
    out[1] = k === 1 || k === 3 ? a : -a;
  }
}

/** Mean energy of the data constellation at each rate. */
export function v29MeanEnergy(rate: V29Rate): number {
  return rate === 9600 ? (9 + 25 + 2 + 18) / 4 : (9 + 2) / 2;
}

/**
 * V.29 Table 3 (training sequence): signal elements of the training segments 2 (A, B alternating) and 3 (C, D),
 * as [re, im]. A is 180° at amplitude 3 at every rate; B is 315° at the rate's outer amplitude;
 * C is 0° at amplitude 3, D is 135°.
 */
export function v29TrainingPoints(rate: V29Rate): { a: [number, number]; b: [number, number]; c: [number, number]; d: [number, number] } {
  return rate === 9600
    ? { a: [-3, 0], b: [3, -3], c: [3, 0], d: [-3, 3] }
    : { a: [-3, 0], b: [1, -1], c: [3, 0], d: [-1, 1] };
}

/** Absolute phase (multiple of 45°) of a constellation point. */
export function phaseOctant(re: number, im: number): number {
  const a = Math.atan2(im, re);
  return Math.round(a / (Math.PI / 4)) & 7;
}

/** V.29 synchronizing signals: segment lengths in symbol intervals. */
export const V29_SEGMENTS = { silence: 48, alternations: 128, conditioning: 384, ones: 48 } as const;

/**
 * V.29 training segment 3: C or D chosen by the pseudo-random sequence 1 + x^-6 + x^-7 whose
 * register holds 0101010 at the start of the segment; a 0 sends C, a 1 sends D. The sequence
 * is the register's content shifted out: first the seven initial bits, then each new bit the
 * sum of the bits six and seven places before it.
 */
export class V29TrainingSequence {
  private reg = 0;
  private n = 0;

  reset(): void {
    this.reg = 0;
    this.n = 0;
  }

  next(): number {
    const bit = this.n < 7 ? (0x2a >> (6 - this.n)) & 1 : ((this.reg >> 5) ^ (this.reg >> 6)) & 1;
    this.n++;
    this.reg = ((this.reg << 1) | bit) & 0x7f;
    return bit;
  }
}
