// ITU-T G.711 (11/88) µ-law and A-law companding of 8 kHz linear samples.
//
// Linear samples are 16-bit. G.711 works on a 14-bit (µ-law, Table 2a) or 13-bit (A-law,
// Table 1a) uniform code; the 16-bit sample is that code shifted left by 2 or 3, the usual
// convention for 16-bit PCM (full-scale µ-law ±32124, A-law ±32256). Encoding truncates the
// magnitude onto the uniform code (the tables' decision values sit on whole code steps). The
// two laws are symmetric about different points: µ-law is mid-tread (0 is an output value,
// Table 2a's ±0), so a negative sample is quantised by its magnitude; A-law is mid-riser (no
// zero output, the decision value 0 splits +1 and −1), so 0 is the first positive input and
// −1 the first negative one (one's complement).

/** µ-law bias: G.711 Table 2a's segments are binary when 33 is added to the 14-bit magnitude. */
const MU_BIAS = 33;

function muEncode(sample: number): number {
  // G.711 Table 2a: sign bit 1 for positive, then segment (3 bits) and step (4 bits); the
  // table's character signals carry segment and step inverted (+0 is 1111 1111).
  let v = sample;
  let sign = 0x80;
  if (v < 0) {
    v = -v;
    sign = 0;
  }
  v = (v >> 2) + MU_BIAS;
  if (v > 0x1fff) v = 0x1fff;
  // segment = position of the top bit above bit 5 (the bias puts segment 0 at 32..63).
  let seg = 0;
  for (let t = v >> 6; t !== 0; t >>= 1) seg++;
  const step = (v >> (seg + 1)) & 0x0f;
  return sign | (~((seg << 4) | step) & 0x7f);
}

function muDecode(code: number): number {
  // Table 2a, column "decoder output value": ((2·step + 33) · 2^seg) − 33, in 14-bit units.
  const c = ~code & 0x7f;
  const seg = (c >> 4) & 0x07;
  const step = c & 0x0f;
  const mag = (((2 * step + MU_BIAS) << seg) - MU_BIAS) << 2;
  return code & 0x80 ? mag : -mag;
}

function aEncode(sample: number): number {
  // G.711 Table 1a: 13-bit uniform code; segments 0 and 1 both have 2-unit steps, segment
  // s ≥ 1 starts at 2^(s+4). Even bits are inverted on the line (§2.1: "even bits inverted").
  let v = sample >> 3;
  let sign = 0x80;
  if (v < 0) {
    v = ~v;
    sign = 0;
  }
  if (v > 0xfff) v = 0xfff;
  let seg = 0;
  for (let t = v >> 5; t !== 0; t >>= 1) seg++;
  const step = seg === 0 ? (v >> 1) & 0x0f : (v >> seg) & 0x0f;
  return (sign | (seg << 4) | step) ^ 0x55;
}

function aDecode(code: number): number {
  // Table 1a, "decoder output value" (13-bit units): segment 0: 2·step + 1;
  // segment s ≥ 1: (2·step + 33) · 2^(s−1).
  const c = code ^ 0x55;
  const seg = (c >> 4) & 0x07;
  const step = c & 0x0f;
  const mag = (seg === 0 ? 2 * step + 1 : (2 * step + 33) << (seg - 1)) << 3;
  return c & 0x80 ? mag : -mag;
}

const MU_TO_LINEAR = new Int16Array(256);
const A_TO_LINEAR = new Int16Array(256);
const LINEAR_TO_MU = new Uint8Array(65536);
const LINEAR_TO_A = new Uint8Array(65536);
for (let c = 0; c < 256; c++) {
  MU_TO_LINEAR[c] = muDecode(c);
  A_TO_LINEAR[c] = aDecode(c);
}
for (let i = 0; i < 65536; i++) {
  const s = (i << 16) >> 16;
  LINEAR_TO_MU[i] = muEncode(s);
  LINEAR_TO_A[i] = aEncode(s);
}

export type G711Law = 'ulaw' | 'alaw';

/** The 16-bit linear value of one G.711 code (`ulaw`: G.711 Table 2a, `alaw`: Table 1a). */
export function g711Decode1(law: G711Law, code: number): number {
  return (law === 'ulaw' ? MU_TO_LINEAR : A_TO_LINEAR)[code & 0xff];
}

/** The G.711 code of one 16-bit linear sample. */
export function g711Encode1(law: G711Law, sample: number): number {
  return (law === 'ulaw' ? LINEAR_TO_MU : LINEAR_TO_A)[sample & 0xffff];
}

/** Encodes 16-bit linear samples into G.711 codes (one octet per sample). */
export function g711Encode(law: G711Law, samples: Int16Array, out = new Uint8Array(samples.length)): Uint8Array {
  const t = law === 'ulaw' ? LINEAR_TO_MU : LINEAR_TO_A;
  for (let i = 0; i < samples.length; i++) out[i] = t[samples[i] & 0xffff];
  return out;
}

/** Decodes G.711 codes into 16-bit linear samples. */
export function g711Decode(law: G711Law, codes: Uint8Array, out = new Int16Array(codes.length)): Int16Array {
  const t = law === 'ulaw' ? MU_TO_LINEAR : A_TO_LINEAR;
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i]];
  return out;
}

/** The RTP static payload type of each law (RFC 3551 Table 4: PCMU 0, PCMA 8). */
export const G711_PAYLOAD_TYPE: Record<G711Law, number> = { ulaw: 0, alaw: 8 };
