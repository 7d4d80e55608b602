import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readReceivedFaxIdentity } from './received-tiff.ts';

/** A minimal little- or big-endian TIFF whose first IFD holds only an ImageDescription. */
function tiffWithDescription(text: string, le: boolean): Uint8Array {
  const ascii = Buffer.from(text + '\0', 'latin1');
  const buf = Buffer.alloc(8 + 2 + 12 + 4 + ascii.length);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf.write(le ? 'II' : 'MM', 0, 'latin1');
  view.setUint16(2, 42, le);
  view.setUint32(4, 8, le);
  view.setUint16(8, 1, le);
  view.setUint16(10, 270, le);
  view.setUint16(12, 2, le);
  view.setUint32(14, ascii.length, le);
  view.setUint32(18, 26, le);
  ascii.copy(buf, 26);
  return buf;
}

test('TSI and CallID lines come out of ImageDescription, in either byte order', () => {
  for (const le of [true, false]) {
    const id = readReceivedFaxIdentity(tiffWithDescription('FAXGATE MODEM A\n5550040110\nModem A\n<NONE>\n5550002', le));
    assert.deepEqual(id, { senderTsi: 'FAXGATE MODEM A', callIds: ['5550040110', 'Modem A', '', '5550002'] });
  }
});

test('a file that is not a TIFF gives nothing', () => {
  assert.equal(readReceivedFaxIdentity(Buffer.from('%PDF-1.4 hello')), undefined);
  assert.equal(readReceivedFaxIdentity(new Uint8Array(3)), undefined);
});
