// T.30 Annex A: error correction mode partial pages.

/** At most 256 frames make a partial page (T.30 §A.1). */
export const MAX_FRAMES_PER_BLOCK = 256;

/** Splits page data into partial pages of frames of `frameSize` octets (the last may be short). */
export function splitBlocks(data: Uint8Array, frameSize: number): Uint8Array[][] {
  const frames: Uint8Array[] = [];
  for (let i = 0; i < data.length; i += frameSize) frames.push(data.subarray(i, i + frameSize));
  if (frames.length === 0) frames.push(new Uint8Array(0));
  const blocks: Uint8Array[][] = [];
  for (let i = 0; i < frames.length; i += MAX_FRAMES_PER_BLOCK) blocks.push(frames.slice(i, i + MAX_FRAMES_PER_BLOCK));
  return blocks;
}

/**
 * How long the longest partial page lasts on the line at `bps` (T.30 §A.1: 256 frames of 64 or
 * 256 octets): each frame adds address, control, FCF, frame number, FCS and a flag (7 octets),
 * HDLC bit stuffing adds at most one bit in five, and the long training before it (V.17's is the
 * longest, 1.4 s) plus the RCP frames after it fit in the 3 s added.
 */
export function longestPartialPageMs(frameSize: number, bps: number): number {
  const bits = MAX_FRAMES_PER_BLOCK * (frameSize + 7) * 8 * 1.2;
  return Math.ceil((bits * 1000) / bps) + 3_000;
}

/**
 * T.30 §A.4.2.3: the PPR FIF is a 256-bit map, frame n in bit n%8 (least significant first)
 * of octet n/8; a set bit asks for the frame again.
 */
export function buildPprMap(missing: Iterable<number>): Uint8Array {
  const map = new Uint8Array(32);
  for (const n of missing) map[n >> 3] |= 1 << (n & 7);
  return map;
}

/** The frame numbers, below `frameCount`, that a PPR map asks for again. */
export function parsePprMap(map: Uint8Array, frameCount: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < frameCount; n++) if (n >> 3 < map.length && map[n >> 3] & (1 << (n & 7))) out.push(n);
  return out;
}

/** ECM frames carry image octets least significant bit first; faxgate's page data is MSB-first. */
export function reverseBits(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = REV[data[i]];
  return out;
}

const REV = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  let r = 0;
  for (let b = 0; b < 8; b++) if (i & (1 << b)) r |= 0x80 >> b;
  REV[i] = r;
}
