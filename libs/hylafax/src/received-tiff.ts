/** Caller identification faxgetty stored in a received fax. */
export interface ReceivedFaxIdentity {
  /** The sender's TSI. */
  senderTsi: string;
  /**
   * Every CallID value the modem reported, in the order of the receiving modem's CallIDPattern
   * lines after HylaFAX's two fixed slots: [0] number, [1] name, then the others (with Debian's
   * iaxmodem template: [2] ANID, [3] NDID, the dialled number, i.e. the DID). `<NONE>` and empty
   * values are kept as empty strings so positions stay meaningful.
   */
  callIds: string[];
}

const IMAGE_DESCRIPTION = 270; // TIFF 6.0 §8, ImageDescription, type ASCII

/**
 * Reads what faxgetty writes into ImageDescription of a received fax's first page: the TSI, then
 * one line per CallID value (hfaxd reads it back the same way for RCVFMT %i and %j). Only the
 * TIFF 6.0 §2 structure needed to find that one tag is parsed: header, first IFD, one entry.
 */
export function readReceivedFaxIdentity(tiff: Uint8Array): ReceivedFaxIdentity | undefined {
  if (tiff.length < 8) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = String.fromCharCode(tiff[0], tiff[1]);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  if (view.getUint16(2, le) !== 42) return undefined;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > tiff.length) return undefined;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (view.getUint16(entry, le) !== IMAGE_DESCRIPTION) continue;
    const type = view.getUint16(entry + 2, le);
    const n = view.getUint32(entry + 4, le);
    if (type !== 2) return undefined;
    // TIFF 6.0 §2: a value of four bytes or fewer sits in the entry itself.
    const start = n <= 4 ? entry + 8 : view.getUint32(entry + 8, le);
    if (start + n > tiff.length) return undefined;
    let text = Buffer.from(tiff.subarray(start, start + n)).toString('latin1');
    const nul = text.indexOf('\0');
    if (nul >= 0) text = text.slice(0, nul);
    const [senderTsi, ...callIds] = text.split('\n');
    return { senderTsi, callIds: callIds.map((v) => (v === '<NONE>' ? '' : v)) };
  }
  return undefined;
}
