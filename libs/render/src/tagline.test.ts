import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPixel } from '@faxgate/fax-image';
import { DEFAULT_TAGLINE, formatTagline, stampTagline } from './tagline.ts';
import { MuPdfEngine } from './mupdf-engine.ts';
import { createBitmap, setPixel } from '@faxgate/fax-image';

const fields = { date: new Date('2026-03-02T09:05:07Z'), timeZone: 'Europe/Berlin', senderName: 'Alice', senderFax: '+49 30 1234', recipientNumber: '+12125550100', faxId: 'fx1', page: 2, pages: 5 };

test('HylaFAX-style fields and strftime codes expand, | splits the line', () => {
  assert.deepEqual(formatTagline('From %%n|%%s|%a %b %d %H:%M:%S %Y %Z|Page %%P of %%T|%%r %%j 100%% ', fields), [
    'From +49 30 1234', 'Alice', 'Mon Mar 02 10:05:07 2026 GMT+1', 'Page 2 of 5', '+12125550100 fx1 100%',
  ]);
  assert.deepEqual(formatTagline('%d.%m.%y %I:%M %p', { ...fields, timeZone: 'UTC' }), ['02.03.26 09:05 AM']);
  assert.equal(formatTagline(DEFAULT_TAGLINE, fields).length, 4);
});

test('the header line is drawn over the top band only, the rest of the page kept', () => {
  const b = createBitmap(1728, 400);
  for (let x = 0; x < 1728; x++) for (const y of [2, 300]) setPixel(b, x, y, 1);
  const out = stampTagline({ bitmap: b, xDpi: 204, yDpi: 196 }, ['LEFT', 'Page 1 of 1'], new MuPdfEngine()).bitmap;
  assert.equal(out.height, 400);
  // The old line in the band is gone (cleared), text is there, the line below is untouched.
  let band = 0;
  for (let y = 0; y < 30; y++) for (let x = 0; x < 1728; x++) band += getPixel(out, x, y);
  assert.ok(band > 200 && band < 1728, `band black pels ${band}`);
  for (let x = 0; x < 1728; x++) assert.equal(getPixel(out, x, 300), 1);
  // Right-aligned last field: ink near the right margin, none in the middle third.
  let right = 0;
  let middle = 0;
  for (let y = 0; y < 30; y++) {
    for (let x = 1400; x < 1700; x++) right += getPixel(out, x, y);
    for (let x = 700; x < 1000; x++) middle += getPixel(out, x, y);
  }
  assert.ok(right > 50 && middle === 0, `right ${right} middle ${middle}`);
});
