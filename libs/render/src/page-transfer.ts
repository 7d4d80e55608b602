// How bilevel pages cross from the render sandbox to the worker. The IPC pipe, the serialiser and
// the receiver's buffers cost both processes CPU for every byte (about 3.5 ms of CPU per 495 KB
// page between them, more than drawing a page of text), and most of a fax page's 32-bit words
// are white: 22 % of a letter's are not, 19 % of a ruled table's, 41 % of 5.5 pt small print's.
// So a page travels as its non-white words and one bit per word saying where each goes.
import type { Bitmap, FaxPage } from '@faxgate/fax-image';

/** A bitmap as sent: `words` are its non-zero 32-bit words in order, bit 31 − i of `mask[j]` set for word 32j + i. */
export interface PackedBitmap {
  packed: true;
  width: number;
  height: number;
  stride: number;
  /** Bytes of the bitmap's data (a multiple of 4). */
  length: number;
  mask: Int32Array;
  words: Int32Array;
}

/** A page on the wire: its bitmap packed, or as it is where packing would not pay. */
export type SentPage = Omit<FaxPage, 'bitmap'> & { bitmap: Bitmap | PackedBitmap };

/**
 * Packing pays while the non-white words and the mask are at most this share of the bitmap: a
 * dithered photo (67 % of its words hold a dot) gains little and would pay to pack and unpack.
 */
const WORTH_PACKING = 0.6;

/** The bitmap's non-white words and their places, or the bitmap itself where that is not smaller. */
export function packBitmap(b: Bitmap): Bitmap | PackedBitmap {
  const { data } = b;
  if (data.byteOffset % 4 !== 0 || data.length % 4 !== 0 || data.length === 0) return b;
  const n = data.length >> 2;
  const src = new Int32Array(data.buffer, data.byteOffset, n);
  let count = 0;
  // x | −x has its sign bit set exactly when x is not 0: counted without a branch.
  for (let i = 0; i < n; i++) count += (src[i] | -src[i]) >>> 31;
  const maskWords = (n + 31) >> 5;
  if ((count + maskWords) * 4 > data.length * WORTH_PACKING) return b;
  const mask = new Int32Array(maskWords);
  // One spare word: every word is stored, and the next store overwrites it unless it was kept.
  const store = new Int32Array(count + 1);
  let k = 0;
  for (let j = 0; j < maskWords; j++) {
    const base = j << 5;
    const end = Math.min(32, n - base);
    let m = 0;
    // Without a branch per word: on text, ink and paper words alternate unpredictably.
    for (let i = 0; i < end; i++) {
      const v = src[base + i];
      const kept = (v | -v) >>> 31;
      store[k] = v;
      k += kept;
      m |= kept << (31 - i);
    }
    mask[j] = m;
  }
  const words = store.subarray(0, count);
  return { packed: true, width: b.width, height: b.height, stride: b.stride, length: data.length, mask, words };
}

/**
 * The bitmap back, in a buffer of its own starting on a word boundary: the MMR coder reads rows
 * a 32-bit word at a time only from aligned memory (from the bytes a text page took 1.5× as
 * long). A bitmap sent as it is arrives as a view into the message wherever the serialiser put
 * it (one byte past a word boundary, as it happens), so it is copied when it is not aligned.
 * `into` (zeroed, on a word boundary, as long as the bitmap's data) is where it goes if given.
 */
export function unpackBitmap(b: Bitmap | PackedBitmap, into?: Uint8Array): Bitmap {
  if (!('packed' in b)) {
    if (b.data.byteOffset % 4 === 0) return b;
    const copy = into ?? new Uint8Array(b.data.length);
    copy.set(b.data);
    return { width: b.width, height: b.height, stride: b.stride, data: copy };
  }
  const data = into ?? new Uint8Array(b.length);
  const dst = new Int32Array(data.buffer, data.byteOffset, b.length >> 2);
  const { mask, words } = b;
  let k = 0;
  for (let j = 0; j < mask.length; j++) {
    const m = mask[j];
    if (m === 0) continue;
    const base = j << 5;
    if (m === -1) {
      dst.set(words.subarray(k, k + 32), base);
      k += 32;
      continue;
    }
    const end = Math.min(32, dst.length - base);
    for (let i = 0; i < end; i++) {
      const kept = (m >>> (31 - i)) & 1;
      // A word not sent is paper (0); the fresh buffer already holds it.
      dst[base + i] = words[k] & -kept;
      k += kept;
    }
  }
  return { width: b.width, height: b.height, stride: b.stride, data };
}

/** Pages as the sandbox sends them. */
export function sendablePages(pages: FaxPage[]): SentPage[] {
  return pages.map((p) => ({ ...p, bitmap: packBitmap(p.bitmap) }));
}

/** Pages as the worker uses them, the bitmaps that need a buffer given one together (one allocation a document). */
export function receivedPages(pages: SentPage[]): FaxPage[] {
  const room = (n: number) => (n + 3) & ~3;
  const bytes = (b: Bitmap | PackedBitmap) => ('packed' in b ? b.length : b.data.byteOffset % 4 !== 0 ? b.data.length : 0);
  const store = new Uint8Array(pages.reduce((n, p) => n + room(bytes(p.bitmap)), 0));
  let at = 0;
  return pages.map((p) => {
    const n = bytes(p.bitmap);
    const bitmap = n === 0 ? unpackBitmap(p.bitmap) : unpackBitmap(p.bitmap, store.subarray(at, at + n));
    at += room(n);
    return { ...p, bitmap };
  });
}
