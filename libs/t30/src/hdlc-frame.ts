// T.30 §5.3.5: every frame is address 0xFF, control 0x03 (0x13 on the last frame of a
// transmission), the FCF, then the FIF. The FCS is the modem's (or T.38's) business.

export interface T30Frame {
  fcf: number;
  fif: Uint8Array;
  final: boolean;
}

/** Builds a frame; `final` marks the last frame of a transmission (control field 0x13). */
export function buildFrame(fcf: number, fif: Uint8Array | number[] = [], final = true): Uint8Array {
  const out = new Uint8Array(3 + fif.length);
  out[0] = 0xff;
  out[1] = final ? 0x13 : 0x03;
  out[2] = fcf;
  out.set(fif, 3);
  return out;
}

/** Parses a frame without its FCS; undefined if the address or control field is wrong. */
export function parseFrame(frame: Uint8Array): T30Frame | undefined {
  if (frame.length < 3 || frame[0] !== 0xff || (frame[1] & 0xef) !== 0x03) return undefined;
  return { fcf: frame[2], fif: frame.subarray(3), final: (frame[1] & 0x10) !== 0 };
}
