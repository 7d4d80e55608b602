// T.38 Annex A: the IFP packet ASN.1, encoded in aligned PER (X.691).
import { PerReader, PerWriter, PerError } from './per.ts';
import { copyBytes } from './bytes.ts';

/** T.38 Annex A Type-of-msg t30-indicator, in ASN.1 order; the first 16 are the root. */
export const INDICATORS = [
  'no-signal', 'cng', 'ced', 'v21-preamble',
  'v27-2400-training', 'v27-4800-training', 'v29-7200-training', 'v29-9600-training',
  'v17-7200-short-training', 'v17-7200-long-training', 'v17-9600-short-training', 'v17-9600-long-training',
  'v17-12000-short-training', 'v17-12000-long-training', 'v17-14400-short-training', 'v17-14400-long-training',
  // extension additions (T.38 2002 and later: version 2/3)
  'v8-ansam', 'v8-signal', 'v34-cntl-channel-1200', 'v34-pri-channel', 'v34-CC-retrain',
  'v33-12000-training', 'v33-14400-training',
] as const;
const INDICATOR_ROOT = 16;

/** T.38 Annex A Type-of-msg t30-data; the first 9 are the root. */
export const DATA_TYPES = [
  'v21', 'v27-2400', 'v27-4800', 'v29-7200', 'v29-9600', 'v17-7200', 'v17-9600', 'v17-12000', 'v17-14400',
  'v8', 'v34-pri-rate', 'v34-CC-1200', 'v34-pri-ch', 'v33-12000', 'v33-14400',
] as const;
const DATA_TYPE_ROOT = 9;

/** T.38 Annex A Data-Field field-type; the first 8 are the root. */
export const FIELD_TYPES = [
  'hdlc-data', 'hdlc-sig-end', 'hdlc-fcs-OK', 'hdlc-fcs-BAD', 'hdlc-fcs-OK-sig-end', 'hdlc-fcs-BAD-sig-end',
  't4-non-ecm-data', 't4-non-ecm-sig-end',
  'cm-message', 'jm-message', 'ci-message', 'v34rate',
] as const;
const FIELD_TYPE_ROOT = 8;

export type Indicator = (typeof INDICATORS)[number];
export type DataType = (typeof DATA_TYPES)[number];
export type FieldType = (typeof FIELD_TYPES)[number];

export interface IfpField {
  fieldType: FieldType;
  /** Absent for fields that only mark an event, e.g. hdlc-sig-end. */
  data?: Uint8Array;
}

export type IfpPacket =
  | { type: 'indicator'; indicator: Indicator }
  | { type: 'data'; dataType: DataType; fields: IfpField[] };

/**
 * T.38 version: 0 is the 1998 ASN.1, whose field-type lacked the extension marker
 * (T.38 Annex A note); 1, 2 and 3 share the later, extensible form.
 */
export type T38Version = 0 | 1 | 2 | 3;

// X.691 §13.2/§13.3: an extensible enumeration is an extension bit, then either the root index
// in the fewest bits that hold the root, or a normally small non-negative whole number (§10.6).
function writeEnum(w: PerWriter, index: number, root: number, extensible: boolean): void {
  const width = Math.ceil(Math.log2(root));
  if (!extensible) {
    if (index >= root) throw new RangeError('value not in a non-extensible enumeration');
    w.bits(index, width);
    return;
  }
  if (index < root) {
    w.bits(0, 1);
    w.bits(index, width);
  } else {
    w.bits(1, 1);
    w.bits(0, 1); // §10.6.1: small number (< 64) form
    w.bits(index - root, 6);
  }
}

function readEnum(r: PerReader, root: number, extensible: boolean, size: number): number {
  const width = Math.ceil(Math.log2(root));
  if (extensible && r.bits(1) === 1) {
    if (r.bits(1) !== 0) throw new PerError('enumeration extension index too large');
    const idx = root + r.bits(6);
    if (idx >= size) throw new PerError(`unknown enumeration extension ${idx - root}`);
    return idx;
  }
  const idx = r.bits(width);
  if (idx >= root) throw new PerError(`enumeration index ${idx} outside the root`);
  return idx;
}

/**
 * Encodes one IFP packet (T.38 Annex A) in aligned PER.
 * Each field of a data packet starts on an octet boundary, as spandsp and the deployed
 * gateways it was tested against write it.
 */
export function encodeIfp(packet: IfpPacket, version: T38Version = 0): Uint8Array {
  let size = 4;
  if (packet.type === 'data') for (const f of packet.fields) size += 4 + (f.data?.length ?? 0);
  const w = new PerWriter(size);
  if (packet.type === 'indicator') {
    const idx = INDICATORS.indexOf(packet.indicator);
    if (idx >= INDICATOR_ROOT && version === 0) throw new RangeError(`${packet.indicator} needs T.38 version 2 or later`);
    w.bits(0, 1); // data-field absent
    w.bits(0, 1); // CHOICE t30-indicator
    writeEnum(w, idx, INDICATOR_ROOT, true);
    return w.finish();
  }
  const idx = DATA_TYPES.indexOf(packet.dataType);
  if (idx >= DATA_TYPE_ROOT && version === 0) throw new RangeError(`${packet.dataType} needs T.38 version 2 or later`);
  const hasFields = packet.fields.length > 0;
  w.bits(hasFields ? 1 : 0, 1);
  w.bits(1, 1); // CHOICE t30-data
  writeEnum(w, idx, DATA_TYPE_ROOT, true);
  if (!hasFields) return w.finish();
  w.length(packet.fields.length);
  for (const field of packet.fields) {
    w.align();
    const ft = FIELD_TYPES.indexOf(field.fieldType);
    if (ft >= FIELD_TYPE_ROOT && version === 0) throw new RangeError(`${field.fieldType} needs T.38 version 2 or later`);
    const hasData = field.data !== undefined && field.data.length > 0;
    w.bits(hasData ? 1 : 0, 1);
    writeEnum(w, ft, FIELD_TYPE_ROOT, version !== 0);
    if (hasData) {
      const data = field.data as Uint8Array;
      if (data.length > 65535) throw new RangeError('IFP field data longer than 65535 octets');
      // field-data OCTET STRING (SIZE (1..65535)): X.691 §16.8 constrained length, two aligned octets
      w.align();
      w.bits(data.length - 1, 16);
      w.octets(data);
    }
  }
  return w.finish();
}

/** Decodes one IFP packet; throws PerError on malformed input. */
export function decodeIfp(data: Uint8Array, version: T38Version = 0): IfpPacket {
  const r = new PerReader(data);
  const hasFields = r.bits(1) === 1;
  if (r.bits(1) === 0) {
    const idx = readEnum(r, INDICATOR_ROOT, true, INDICATORS.length);
    return { type: 'indicator', indicator: INDICATORS[idx] };
  }
  const dataType = DATA_TYPES[readEnum(r, DATA_TYPE_ROOT, true, DATA_TYPES.length)];
  const fields: IfpField[] = [];
  if (hasFields) {
    const count = r.length();
    for (let i = 0; i < count; i++) {
      r.align();
      const hasData = r.bits(1) === 1;
      const fieldType = FIELD_TYPES[readEnum(r, FIELD_TYPE_ROOT, version !== 0, FIELD_TYPES.length)];
      if (hasData) {
        r.align();
        const len = r.bits(16) + 1;
        // A copy: page data is kept for the whole page, and a view would keep each datagram
        // (with its redundant IFPs) alive with it.
        fields.push({ fieldType, data: copyBytes(r.octets(len)) });
      } else {
        fields.push({ fieldType });
      }
    }
  }
  return { type: 'data', dataType, fields };
}
