// T.30 §5.3.6.2.4–§5.3.6.2.6: TSI, CSI and CIG carry 20 digits, '+' and space, sent last
// character first; the number is right-aligned, so the padding spaces go out last.

const ALLOWED = /^[0-9+ ]*$/;

/** Encodes a station identity for a TSI/CSI/CIG FIF. */
export function encodeIdent(id: string): Uint8Array {
  const clean = id.slice(0, 20);
  if (!ALLOWED.test(clean)) throw new RangeError(`station id "${id}" may hold only digits, + and space`);
  const padded = clean.padStart(20, ' ');
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = padded.charCodeAt(19 - i);
  return out;
}

/** Decodes a TSI/CSI/CIG FIF, tolerating other printable characters and short fields. */
export function decodeIdent(fif: Uint8Array): string {
  let s = '';
  for (let i = fif.length - 1; i >= 0; i--) {
    const c = fif[i];
    s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ' ';
  }
  return s.trim();
}
