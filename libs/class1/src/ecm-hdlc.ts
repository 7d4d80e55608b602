import { HdlcReceiver, HdlcTransmitter } from '@faxgate/modem';

// T.30 Annex A error correction through a Class 1 DCE that offers HDLC only on V.21
// (+FTH=? → 3, as iaxmodem and most USB modems): the DTE frames the high-speed ECM frames
// itself (flags, zero-bit insertion, FCS: T.30 §5.3.7 / ISO/IEC 13239) and sends the bit
// stream as image data with +FTM, and deframes what +FRM delivers. As with all Class 1 data,
// the DCE puts each octet on the line least significant bit first, which is HDLC's own order.

/**
 * The octets to hand to AT+FTM for `frames` (each address, control, FCF, FIF without FCS):
 * `preambleMs` of flags first (T.30 §5.3.1 asks for flags before the first frame), the frames,
 * then closing flags so the far DCE clocks the last one out before the carrier drops.
 */
export function hdlcToOctets(frames: Uint8Array[], bitRate: number, preambleMs = 200): Uint8Array {
  const tx = new HdlcTransmitter({ preambleFlags: Math.max(4, Math.ceil((bitRate * preambleMs) / 8000)), trailingFlags: 4 });
  for (const f of frames) tx.sendFrame(f);
  tx.finish();
  const out: number[] = [];
  let octet = 0;
  let n = 0;
  for (let bit = tx.nextBit(); bit >= 0; bit = tx.nextBit()) {
    octet |= bit << n;
    if (++n === 8) {
      out.push(octet);
      octet = 0;
      n = 0;
    }
  }
  // Pad the last octet with 1s: after a flag they read as idle line, never as a frame.
  if (n > 0) out.push(octet | (0xff << n & 0xff));
  return Uint8Array.from(out);
}

/** The HDLC frames in octets AT+FRM delivered, each without its FCS, `ok` when the FCS checked. */
export function octetsToHdlc(data: Uint8Array): Array<{ frame: Uint8Array; ok: boolean }> {
  const frames: Array<{ frame: Uint8Array; ok: boolean }> = [];
  const rx = new HdlcReceiver({ onFrame: (frame, ok) => frames.push({ frame: frame.slice(), ok }) }, { framingOk: 1 });
  for (const octet of data) for (let k = 0; k < 8; k++) rx.putBit((octet >> k) & 1);
  return frames;
}
