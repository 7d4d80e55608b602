// Small byte arrays for datagrams, carved from shared slabs. Every `new Uint8Array(n)` above 64
// octets is a separately allocated backing store that V8 tracks as external memory, and a
// process carrying 1,000 T.38 calls makes tens of thousands of datagrams a second: the
// allocations alone showed up as a tenth of the main thread's time, and the external-memory
// accounting as collections in the middle of a send. A view on a slab is only a JS object.

const SLAB_BYTES = 64 * 1024;
/** Larger arrays get their own store: a slab never holds more than a few. */
const LARGEST = 4 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/**
 * A zero-filled array of `n` octets. It shares its ArrayBuffer with others (never hand its
 * `.buffer` to a transfer list); a slab is freed when the last array on it is.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > LARGEST) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const a = new Uint8Array(slab, used, n);
  // 8-octet steps keep every array word-aligned for readers that use wider views
  used = (used + n + 7) & ~7;
  return a;
}

/** A copy of `data` on a slab. */
export function copyBytes(data: Uint8Array): Uint8Array {
  const a = allocBytes(data.length);
  a.set(data);
  return a;
}
