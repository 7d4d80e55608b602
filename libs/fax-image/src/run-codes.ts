// Lookup tables derived once from the transcribed code words in code-tables.ts.
import { BLACK_MAKEUP, BLACK_TERMINATING, EXTENDED_MAKEUP, MODE_CODES, WHITE_MAKEUP, WHITE_TERMINATING } from './code-tables.ts';

/** Longest run code word (black make-up, T.4 Table 2) is 13 bits: decoders peek this many. */
export const RUN_PEEK_BITS = 13;
/** Longest mode code word (T.4 Table 4 extension prefix) is 7 bits. */
export const MODE_PEEK_BITS = 7;

/** Largest make-up value (T.4 Table 3); longer runs repeat it. */
export const MAX_MAKEUP = 2560;

// Encode tables, index colour * 64 + run for terminating, colour * 41 + run / 64 for make-up.
export const TERM_CODE = new Uint16Array(128);
export const TERM_LEN = new Uint8Array(128);
export const MAKEUP_CODE = new Uint16Array(82);
export const MAKEUP_LEN = new Uint8Array(82);

// Decode entries: bit 24 set = terminating code, bits 16..23 = code length, bits 0..15 = run; 0 = invalid.
export const TERMINATING_FLAG = 1 << 24;
export const WHITE_DECODE = new Int32Array(1 << RUN_PEEK_BITS);
export const BLACK_DECODE = new Int32Array(1 << RUN_PEEK_BITS);

export const MODE_PASS = 1;
export const MODE_HORIZONTAL = 2;
/** Vertical modes are MODE_V0 + d for d in -3..3. */
export const MODE_V0 = 6;
export const MODE_EXTENSION = 10;
/** Mode decode entries: (length << 8) | mode; 0 = invalid (zeros: an EOL or garbage). */
export const MODE_DECODE = new Uint16Array(1 << MODE_PEEK_BITS);
export const MODE_CODE = new Uint8Array(11);
/**
 * Two consecutive terminating run codes (this colour, then the other) read with one 13-bit
 * lookup, index (colour << 13) | bits: bit 21 set, total length in bits 16..20, first length in
 * bits 12..15, second run in bits 6..11, first run in bits 0..5; 0 = not two short runs.
 * Dithered MH pages are almost all such pairs.
 */
export const RUN_PAIR_DECODE = new Int32Array(2 << RUN_PEEK_BITS);

/**
 * Two consecutive vertical-mode or pass codes read with one 14-bit lookup (they are most of the
 * codes on dithered pages; 14 bits hold two VL3/VR3): (1 << 15) | (len1 << 9) | (m1 << 6) |
 * (len2 << 3) | m2, where m is d + 3 for a vertical code Vd and PAIR_PASS for pass; 0 = not two
 * such codes within 14 bits.
 */
export const PAIR_PEEK_BITS = 14;
/** The `m` of a pass code in V_PAIR_DECODE entries. */
export const PAIR_PASS = 7;
export const V_PAIR_DECODE = new Uint16Array(1 << PAIR_PEEK_BITS);
export const MODE_LEN = new Uint8Array(11);

function fillDecode(table: Int32Array, code: string, peek: number, value: number): void {
  const len = code.length;
  const base = parseInt(code, 2) << (peek - len);
  const span = 1 << (peek - len);
  for (let i = 0; i < span; i++) {
    if (table[base + i] !== 0) throw new Error(`code table not prefix-free at ${code}`);
    table[base + i] = value;
  }
}

function build(): void {
  const colours: [readonly string[], readonly string[], Int32Array][] = [
    [WHITE_TERMINATING, WHITE_MAKEUP, WHITE_DECODE],
    [BLACK_TERMINATING, BLACK_MAKEUP, BLACK_DECODE],
  ];
  colours.forEach(([term, makeup, decode], c) => {
    term.forEach((code, run) => {
      TERM_CODE[c * 64 + run] = parseInt(code, 2);
      TERM_LEN[c * 64 + run] = code.length;
      fillDecode(decode, code, RUN_PEEK_BITS, TERMINATING_FLAG | (code.length << 16) | run);
    });
    const allMakeup = [...makeup, ...EXTENDED_MAKEUP];
    allMakeup.forEach((code, i) => {
      const run = (i + 1) * 64;
      MAKEUP_CODE[c * 41 + i + 1] = parseInt(code, 2);
      MAKEUP_LEN[c * 41 + i + 1] = code.length;
      fillDecode(decode, code, RUN_PEEK_BITS, (code.length << 16) | run);
    });
  });
  const modes: [string, number][] = [
    [MODE_CODES.pass, MODE_PASS],
    [MODE_CODES.horizontal, MODE_HORIZONTAL],
    [MODE_CODES.vl3, MODE_V0 - 3],
    [MODE_CODES.vl2, MODE_V0 - 2],
    [MODE_CODES.vl1, MODE_V0 - 1],
    [MODE_CODES.v0, MODE_V0],
    [MODE_CODES.vr1, MODE_V0 + 1],
    [MODE_CODES.vr2, MODE_V0 + 2],
    [MODE_CODES.vr3, MODE_V0 + 3],
    [MODE_CODES.extension, MODE_EXTENSION],
  ];
  const modeTable = new Int32Array(1 << MODE_PEEK_BITS);
  for (const [code, mode] of modes) {
    MODE_CODE[mode] = parseInt(code, 2);
    MODE_LEN[mode] = code.length;
    fillDecode(modeTable, code, MODE_PEEK_BITS, (code.length << 8) | mode);
  }
  MODE_DECODE.set(modeTable);
  const size = 1 << RUN_PEEK_BITS;
  [WHITE_DECODE, BLACK_DECODE].forEach((firstTable, c) => {
    const secondTable = c ? WHITE_DECODE : BLACK_DECODE;
    for (let i = 0; i < size; i++) {
      const e1 = firstTable[i];
      if (!(e1 & TERMINATING_FLAG)) continue;
      const l1 = (e1 >>> 16) & 0xff;
      const e2 = secondTable[(i << l1) & (size - 1)];
      if (!(e2 & TERMINATING_FLAG)) continue;
      const l2 = (e2 >>> 16) & 0xff;
      if (l1 + l2 > RUN_PEEK_BITS) continue;
      RUN_PAIR_DECODE[(c << RUN_PEEK_BITS) | i] = (1 << 21) | ((l1 + l2) << 16) | (l1 << 12) | ((e2 & 0xffff) << 6) | (e1 & 0xffff);
    }
  });
  for (let i = 0; i < 1 << PAIR_PEEK_BITS; i++) {
    const e1 = modeTable[i >>> (PAIR_PEEK_BITS - MODE_PEEK_BITS)];
    const m1 = pairMode(e1 & 0xff);
    const l1 = e1 >> 8;
    if (m1 < 0) continue;
    // The bits after the first code, padded with zeros; a match must fit in the peeked bits.
    const rest = (i << l1) & ((1 << PAIR_PEEK_BITS) - 1);
    const e2 = modeTable[rest >>> (PAIR_PEEK_BITS - MODE_PEEK_BITS)];
    const m2 = pairMode(e2 & 0xff);
    const l2 = e2 >> 8;
    if (m2 < 0 || l1 + l2 > PAIR_PEEK_BITS) continue;
    V_PAIR_DECODE[i] = (1 << 15) | (l1 << 9) | (m1 << 6) | (l2 << 3) | m2;
  }
}

/** A mode as the `m` of a pair entry, or -1 for modes pairs do not hold (horizontal, EOL). */
function pairMode(mode: number): number {
  if (mode === MODE_PASS) return PAIR_PASS;
  return mode >= MODE_V0 - 3 && mode <= MODE_V0 + 3 ? mode - MODE_V0 + 3 : -1;
}

build();
