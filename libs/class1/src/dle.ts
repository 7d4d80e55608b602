// ITU-T T.31 data stream shielding (the same conventions as T.32 and V.25 ter): while a Class 1
// DCE is in a data state (after CONNECT to +FTM/+FRM/+FTH/+FRH, ATD or ATA), the character DLE
// (0x10) introduces a two-character command. In both directions a data octet equal to DLE is
// sent as <DLE><DLE>, and <DLE><ETX> ends the data. T.31 (as amended for Class 1.0) lets a DCE
// send <DLE><SUB> for two consecutive DLE data octets; the decoder accepts it, the encoder never
// needs it. Other <DLE><x> pairs carry no data and are dropped, as T.31 tells the DTE to do.

export const DLE = 0x10;
export const ETX = 0x03;
export const SUB = 0x1a;

/**
 * Shields `data` for a Class 1 DCE: every DLE doubled and, when `end` is true (the default),
 * <DLE><ETX> appended to end the frame or the page data.
 */
export function dleEncode(data: Uint8Array, end = true): Uint8Array {
  let dles = 0;
  for (const b of data) if (b === DLE) dles++;
  const out = new Uint8Array(data.length + dles + (end ? 2 : 0));
  let j = 0;
  for (const b of data) {
    out[j++] = b;
    if (b === DLE) out[j++] = DLE;
  }
  if (end) {
    out[j++] = DLE;
    out[j++] = ETX;
  }
  return out;
}

/** What one `push` of the streaming decoder found. */
export interface DleChunk {
  /** Unshielded data octets in this chunk (up to the end mark, if any). */
  data: Uint8Array;
  /** True once <DLE><ETX> was seen; `rest` then holds the octets after it (result codes). */
  ended: boolean;
  /** Octets after <DLE><ETX>, untouched. Empty unless `ended`. */
  rest: Uint8Array;
}

/**
 * Streaming decoder of a DCE's shielded data (T.31: what a DTE reads after CONNECT to +FRH/+FRM).
 * A DLE at the end of one chunk is held until the next chunk says what it was.
 */
export class DleDecoder {
  private pendingDle = false;
  private done = false;

  /** True after <DLE><ETX>; further pushes are refused until `reset()`. */
  get ended(): boolean {
    return this.done;
  }

  reset(): void {
    this.pendingDle = false;
    this.done = false;
  }

  push(chunk: Uint8Array): DleChunk {
    if (this.done) throw new Error('DleDecoder: data after <DLE><ETX>; reset() first');
    const out = new Uint8Array(chunk.length * 2);
    let j = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (!this.pendingDle) {
        if (b === DLE) this.pendingDle = true;
        else out[j++] = b;
        continue;
      }
      this.pendingDle = false;
      if (b === DLE) out[j++] = DLE;
      else if (b === SUB) {
        out[j++] = DLE;
        out[j++] = DLE;
      } else if (b === ETX) {
        this.done = true;
        return { data: out.slice(0, j), ended: true, rest: chunk.slice(i + 1) };
      }
      // Any other <DLE><x> pair carries no data octet.
    }
    return { data: out.slice(0, j), ended: false, rest: new Uint8Array(0) };
  }
}

/** Decodes one complete shielded block that ends with <DLE><ETX>; throws if the end mark is missing. */
export function dleDecode(block: Uint8Array): { data: Uint8Array; rest: Uint8Array } {
  const d = new DleDecoder().push(block);
  if (!d.ended) throw new Error('dleDecode: no <DLE><ETX> in the block');
  return { data: d.data, rest: d.rest };
}
