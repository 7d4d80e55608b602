import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bitmapsEqual, createBitmap, readTiff, setPixel, writeTiff, type Bitmap } from '@faxgate/fax-image';
import type { PageRequest, SessionParams } from '@faxgate/t30';
import { decodeReceivedPage, tiffDocument } from '@faxgate/t38';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { judgePage, receivedDocument, receivedDocumentHere, receivedDocumentInTurns } from './sip-fax-pages.ts';
import { receivedDocumentOnWorker } from './sip-page-coder.ts';

function page(seed: number): Bitmap {
  const b = createBitmap(1728, 400);
  for (let y = 0; y < 400; y++) {
    setPixel(b, (seed * 37 + y * 3) % 1728, y, 1);
    if ((y + seed) % 50 < 6) for (let x = 200 + seed * 10; x < 900; x++) setPixel(b, x, y, 1);
  }
  return b;
}

const tiff = writeTiff([page(1), page(2), page(3)].map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })));
const req = (index: number): PageRequest => ({ index, encoding: 'mr', resolution: 'fine', width: 'A4', minRowBits: 0, ecm: false });
const params = { encoding: 'mr', resolution: 'fine' } as SessionParams;

test('the row-counting judge gives the verdict of a full decode; the received TIFF holds the pages decoded', async () => {
  const plain = tiffDocument(tiff);
  const coded = [0, 1, 2].map((i) => plain.encodePage(req(i)));
  for (const data of coded) {
    const full = decodeReceivedPage(data, params);
    assert.deepEqual(judgePage(data, params), { rows: full.rows, badRows: full.badRows });
  }
  // A damaged page: the judge sees the same bad rows a full decode does.
  const spoilt = coded[0].slice();
  for (let i = 200; i < 260; i++) spoilt[i] ^= 0x5a;
  const full = decodeReceivedPage(spoilt, params);
  assert.ok(full.badRows > 0);
  assert.deepEqual(judgePage(spoilt, params), { rows: full.rows, badRows: full.badRows });

  const r = await receivedDocument(coded.map((data) => ({ data, params })));
  assert.equal(r.badRows, 0);
  const back = readTiff(r.document);
  assert.equal(back.length, 3);
  for (let i = 0; i < 3; i++) assert.ok(bitmapsEqual(back[i].decode(), plain.bitmaps()[i]), `page ${i + 1}`);
});

test('the received TIFF is the same from the worker thread, from this thread at once, and from this thread in turns', async () => {
  const plain = tiffDocument(tiff);
  const pages = [0, 1, 2].map((i) => ({ data: plain.encodePage(req(i)), params }));
  const here = receivedDocumentHere(pages);
  const worker = await receivedDocumentOnWorker(pages);
  const turns = await receivedDocumentInTurns(pages);
  assert.deepEqual(worker, here);
  assert.deepEqual(turns, here);
  assert.equal(readTiff(here.document).length, 3);
});

test('made on this thread, the pages of calls that end together take one turn of the loop each, not one turn for all', async () => {
  const plain = tiffDocument(tiff);
  const calls = [0, 1, 2, 0, 1].map((i) => [{ data: plain.encodePage(req(i)), params }]);
  let done = 0;
  const all = calls.map((pages) => receivedDocumentInTurns(pages).then(() => done++));
  // Bounded: five pages need about five turns.
  let most = 0;
  for (let turn = 0; turn < 100 && done < calls.length; turn++) {
    const before = done;
    await nextTurn();
    most = Math.max(most, done - before);
  }
  await Promise.all(all);
  assert.equal(done, calls.length);
  assert.equal(most, 1, 'pages of several calls were made in one turn');
});

/** Runs `body` (an ES module using the coder) as a child process's main module; bounded: killed after 30 s. */
function child(body: string): ReturnType<typeof spawnSync> {
  const pages = new URL('./sip-fax-pages.ts', import.meta.url).href;
  const coder = new URL('./sip-page-coder.ts', import.meta.url).href;
  const data = tiffDocument(tiff).encodePage(req(0));
  const script = `
    import { receivedDocument } from ${JSON.stringify(pages)};
    import { codedAheadDocument } from ${JSON.stringify(coder)};
    const tiff = Uint8Array.from(Buffer.from(${JSON.stringify(Buffer.from(tiff).toString('base64'))}, 'base64'));
    const data = Uint8Array.from(Buffer.from(${JSON.stringify(Buffer.from(data).toString('base64'))}, 'base64'));
    ${body}
  `;
  // A file, not -e: a module given with -e lets the process end with the worker still held.
  const dir = mkdtempSync(join(tmpdir(), 'coder-exit-'));
  try {
    writeFileSync(join(dir, 'main.mjs'), script);
    return spawnSync(process.execPath, [join(dir, 'main.mjs')], { encoding: 'utf8', timeout: 30_000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a process that coded pages ahead on the worker exits by itself; one awaiting a received TIFF from it waits for it', () => {
  const sent = child(`const doc = codedAheadDocument(tiff); doc.dispose(); console.log('coded');`);
  assert.equal(sent.signal, null, `the process did not exit by itself within 30 s: ${sent.stderr}`);
  assert.equal(sent.status, 0, String(sent.stderr));
  const got = child(`
    const r = await receivedDocument([{ data, params: { encoding: 'mr', resolution: 'fine' } }]);
    console.log('made', r.document.length > 0);
  `);
  assert.equal(got.signal, null, `the process did not exit by itself within 30 s: ${got.stderr}`);
  assert.equal(got.status, 0, `the process left before the TIFF came back: ${got.stderr}`);
  assert.match(String(got.stdout), /made true/);
});
