import { reverseBits } from '@faxgate/t30';

// Bit order of image data through a Class 1 DCE (ITU-T T.31, +FTM/+FRM data): the DCE sends
// the least significant bit of each octet first and delivers received bits the same way, so
// the octets the DTE exchanges are T.4 data in TIFF FillOrder 2 ("lsb-first", the order on the
// line). Data packed most significant bit first (TIFF FillOrder 1, what most encoders write)
// is bit-reversed on the way in and out.

/** Octets for AT+FTM data, from T.4/T.6 data in `order`. */
export function imageDataToModem(data: Uint8Array, order: 'msb-first' | 'lsb-first'): Uint8Array {
  return order === 'lsb-first' ? data : reverseBits(data);
}

/** T.4/T.6 data in `order` from the octets AT+FRM delivered. */
export function imageDataFromModem(data: Uint8Array, order: 'msb-first' | 'lsb-first'): Uint8Array {
  return order === 'lsb-first' ? data : reverseBits(data);
}
