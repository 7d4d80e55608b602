// Issue 17: inline (cid:) images of an HTML mail pass the same pixel limit as attached images,
// checked from their header before anything decodes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readMailContent } from '../src/index.ts';
import { logoPng, zeroPng } from './corpus.ts';

const b64 = (d: Uint8Array) => Buffer.from(d).toString('base64').replace(/.{76}/g, '$&\r\n');

test('an inline image over the pixel limit is replaced by a placeholder saying so; one within it is laid out', async () => {
  const big = zeroPng(20_000, 20_000); // 400 million pixels declared, a few kB on the wire
  const small = await logoPng(200, 100);
  const mail = [
    'From: a@example.com', 'To: 1@fax.test', 'Subject: inline', 'MIME-Version: 1.0', 'Content-Type: multipart/related; boundary=R', '',
    '--R', 'Content-Type: text/html; charset=utf-8', '', '<html><body><p>Chart:</p><img src="cid:big@x" alt="chart"><img src="cid:small@x" alt="logo"></body></html>',
    '--R', 'Content-Type: image/png', 'Content-ID: <big@x>', 'Content-Transfer-Encoding: base64', '', b64(big),
    '--R', 'Content-Type: image/png', 'Content-ID: <small@x>', 'Content-Transfer-Encoding: base64', '', b64(small),
    '--R--', '',
  ].join('\r\n');
  const content = await readMailContent(new TextEncoder().encode(mail), { maxImagePixels: 100_000_000 });
  assert.equal(content.parts.length, 1, 'neither image is faxed again as an attachment');
  const html = new TextDecoder().decode((content.parts[0] as { data: Uint8Array }).data);
  assert.match(html, /\[chart: image not faxed: it has more pixels than the limit\]/);
  assert.equal((html.match(/data:image\/png;base64,/g) ?? []).length, 1, 'only the small image is embedded');
  assert.ok(html.includes(Buffer.from(small).toString('base64').slice(0, 200)), 'the embedded one is the small image');

  const unlimited = await readMailContent(new TextEncoder().encode(mail));
  assert.equal((new TextDecoder().decode((unlimited.parts[0] as { data: Uint8Array }).data).match(/data:image\/png;base64,/g) ?? []).length, 2, 'without a limit both are embedded');
});
