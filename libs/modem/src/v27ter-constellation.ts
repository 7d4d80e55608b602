// ITU-T V.27 ter signal space: Table 1 (4800 bit/s, tribits, eight phases), Table 2
// (2400 bit/s, dibits, four phases) and the training sequence of Table 3.

export type V27terRate = 4800 | 2400;

/**
 * V.27 ter Table 1 (4800 bit/s): phase change in multiples of 45° for the tribit (first
 * bit most significant): 001 → 0°, 000 → 45°, 010 → 90°, 011 → 135°, 111 → 180°, 110 → 225°,
 * 100 → 270°, 101 → 315°.
 */
export const V27TER_TRIBIT_CHANGE = Uint8Array.of(1, 0, 2, 3, 6, 7, 5, 4);

/** V.27 ter Table 2 (2400 bit/s): dibit 00 → 0°, 01 → 90°, 11 → 180°, 10 → 270°, in 45° steps. */
export const V27TER_DIBIT_CHANGE = Uint8Array.of(0, 2, 6, 4);

function inverse(table: Uint8Array): Uint8Array {
  const t = new Uint8Array(8);
  for (let b = 0; b < table.length; b++) t[table[b]] = b;
  return t;
}

export const V27TER_TRIBIT_FOR_CHANGE = inverse(V27TER_TRIBIT_CHANGE);
export const V27TER_DIBIT_FOR_CHANGE = inverse(V27TER_DIBIT_CHANGE);

export function v27terBaud(rate: V27terRate): number {
  return rate === 4800 ? 1600 : 1200;
}

/**
 * V.27 ter Table 3, long training (the one fax uses), in symbol intervals: segment 1 (optional
 * talker-echo protection) 185–200 ms of unmodulated carrier, segment 2 20 ms of no energy,
 * segment 3 continuous 180° reversals, segment 4 the equaliser conditioning pattern of 0° and
 * 180° changes, segment 5 continuous scrambled ones.
 */
export function v27terSegments(rate: V27terRate): { tone: number; gap: number; reversals: number; conditioning: number; ones: number } {
  const baud = v27terBaud(rate);
  return { tone: Math.round(0.195 * baud), gap: Math.round(0.02 * baud), reversals: 50, conditioning: 1074, ones: 8 };
}
