import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { previewPng, readTiff } from '@faxgate/fax-image';
import * as mupdf from 'mupdf';
import { makePdf, waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, simCalls, startApiGateway } from './api-harness.ts';

// Issue 15: faxes sent with one HTTP call go through the mail path (render → dispatch → line),
// once per Idempotency-Key, and are found again with filters, pages and thumbnails.

let g: TestGateway<RunningGateway>;
let alice: string;
before(async () => {
  g = await startApiGateway('faxgate-api-faxes', { FAXGATE_SIM_OUTCOMES: '+1212555019*=rejected' });
  alice = await makeToken(g.gw, 'alice', ['send', 'read-own'], 'alice@example.com');
});
after(async () => {
  await g?.dispose();
});

const done = (id: string) =>
  waitUntil(`fax ${id} to finish`, async () => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token: ADMIN_TOKEN });
    return r.body.state === 'done' || r.body.state === 'failed' ? r.body : undefined;
  }, 60_000, 200).catch(async (err) => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token: ADMIN_TOKEN });
    throw new Error(`${(err as Error).message}; the fax: ${JSON.stringify(r.body)}`);
  });

test('a JSON fax with an inline PDF is rendered, dialled on a simulated line and sent; its document and thumbnails are served', async () => {
  const pdf = await makePdf(g.dir.path, 2, 'API report');
  const r = await api(g.gw, 'POST', '/api/v1/faxes', {
    token: alice,
    body: { numbers: ['+1 212 555 0100'], to_name: 'Dr. Smith', subject: 'Report', message: 'Two pages follow.', documents: [{ filename: 'report.pdf', content_base64: pdf.toString('base64') }] },
  });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.match(r.body.id, /^fx/);
  assert.deepEqual(r.body.numbers, ['+12125550100']);
  assert.equal(r.headers.get('location'), `/api/v1/faxes/${r.body.id}`);

  const fax = await done(r.body.id);
  assert.equal(fax.state, 'done');
  assert.equal(fax.authUser, 'alice');
  assert.equal(fax.sender, 'alice@example.com');
  assert.equal(fax.subject, 'Report');
  assert.equal(fax.documentPages, 2);
  const rc = fax.recipients[0];
  assert.equal(rc.state, 'sent');
  assert.equal(rc.name, 'Dr. Smith', 'to_name is the recipient name (cover page, result mail)');
  assert.equal(rc.pagesSent, 3, 'cover + two pages');
  assert.match(rc.remoteId, /SIMFAX/);
  assert.equal(rc.attemptsDetail.length, 1);
  assert.ok(fax.timeline.some((e: { event: string }) => e.event === 'rendered'));
  assert.deepEqual(await simCalls(g.dataDir, r.body.id), [`${r.body.id}-r0-a1.tif`]);

  // The document as sent: a TIFF of three fax pages, and a PDF of it.
  const tiff = await api(g.gw, 'GET', `/api/v1/faxes/${r.body.id}/document?format=tiff`, { token: alice });
  assert.equal(tiff.status, 200);
  assert.equal(readTiff(tiff.body).length, 3);
  const pdfOut = await api(g.gw, 'GET', `/api/v1/faxes/${r.body.id}/document`, { token: alice });
  assert.equal(pdfOut.headers.get('content-type'), 'application/pdf');
  assert.equal(new mupdf.PDFDocument(pdfOut.body).countPages(), 3);
  // Page 2 as a thumbnail: a PNG MuPDF decodes, at about 50 dpi (1728 pels at 204 dpi → 432).
  const png = await api(g.gw, 'GET', `/api/v1/faxes/${r.body.id}/pages/2.png`, { token: alice });
  assert.equal(png.status, 200, String(png.body));
  assert.equal(png.headers.get('content-type'), 'image/png');
  const pix = new mupdf.Image(png.body).toPixmap();
  assert.equal(pix.getWidth(), 432);
  const px = pix.getPixels();
  assert.ok(px.some((v: number) => v < 128), 'the page has dark marks');
  assert.equal((await api(g.gw, 'GET', `/api/v1/faxes/${r.body.id}/pages/4.png`, { token: alice })).status, 404, 'there is no page 4');
});

test('a multipart fax with two files and no cover; a number the dial rules refuse is 422 with the reason, and nothing is queued', async () => {
  const form = new FormData();
  form.append('numbers', '2125550101');
  form.append('cover', 'none');
  form.append('file', new Blob([await makePdf(g.dir.path, 1, 'First')], { type: 'application/pdf' }), 'first.pdf');
  form.append('file', new Blob(['A plain text page.\n']), 'notes.txt');
  const r = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: form });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const fax = await done(r.body.id);
  assert.equal(fax.state, 'done');
  assert.equal(fax.documentPages, 2);
  assert.equal(fax.recipients[0].pagesSent, 2, 'no cover page: the PDF page and the text page');

  const before = (await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: ADMIN_TOKEN })).body.faxes.length;
  for (const [number, code] of [['+19005550123', 'RCPT_NUMBER_DENIED'], ['+88216000000', 'RCPT_NUMBER_DENIED'], ['12', 'RCPT_BAD_NUMBER']]) {
    const refused = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['2125550102', number], message: 'x' } });
    assert.equal(refused.status, number === '12' ? 400 : 422, `${number}: ${JSON.stringify(refused.body)}`);
    if (number !== '12') {
      assert.equal(refused.body.problems[0].field, 'numbers[1]');
      assert.equal(refused.body.problems[0].code, code);
      assert.match(refused.body.error, /not allowed by the dialling rules/);
    }
  }
  const after = (await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: ADMIN_TOKEN })).body.faxes.length;
  assert.equal(after, before, 'no fax was created for a refused request');
});

test('a multipart fax of a TIFF, a PNG image and an HTML page at priority urgent: each document is a page, the TIFF\'s first and the same below its header line', async () => {
  // The inputs: a fax page faxgate rendered, and that page as a PNG picture.
  const one = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['2125550106'], cover: 'none', message: 'A page to send again as TIFF and PNG.' } });
  assert.equal(one.status, 202, JSON.stringify(one.body));
  await done(one.body.id);
  const tiff = (await api(g.gw, 'GET', `/api/v1/faxes/${one.body.id}/document?format=tiff`, { token: alice })).body as Buffer;
  const [page] = readTiff(tiff);
  const { png } = previewPng(page.decode(), page.xDpi, page.yDpi, 100);

  const form = new FormData();
  form.append('numbers', '2125550107');
  form.append('cover', 'none');
  form.append('priority', 'urgent');
  form.append('file', new Blob([tiff], { type: 'image/tiff' }), 'scan.tif');
  form.append('file', new Blob([png], { type: 'image/png' }), 'picture.png');
  form.append('file', new Blob(['<!doctype html><title>x</title><h1>Order 4711</h1><p>Shipped today.</p>'], { type: 'text/html' }), 'order.html');
  const r = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: form });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const fax = await done(r.body.id);
  assert.equal(fax.state, 'done', JSON.stringify(fax.recipients));
  // The dispatch's decision, as the timeline tells it (the mail path's X-Fax-Priority).
  assert.ok(fax.timeline.some((e: { event: string; detail?: string }) => e.event === 'queued for a line' && e.detail?.includes('urgent priority')), JSON.stringify(fax.timeline));
  assert.equal(fax.documentPages, 3, 'one page for each document');
  assert.equal(fax.recipients[0].pagesSent, 3);
  // The TIFF's page is the sent document's first page.
  const sent = readTiff((await api(g.gw, 'GET', `/api/v1/faxes/${r.body.id}/document?format=tiff`, { token: alice })).body as Buffer);
  assert.equal(sent.length, 3);
  const a = page.decode();
  const b = sent[0].decode();
  assert.deepEqual([b.width, b.height], [a.width, a.height]);
  // Below the header line each page gets (the top band, rewritten for this fax) it is the same pixels.
  const differing = Array.from({ length: a.height }, (_, y) => y).filter((y) => !Buffer.from(a.data.subarray(y * a.stride, (y + 1) * a.stride)).equals(Buffer.from(b.data.subarray(y * b.stride, (y + 1) * b.stride))));
  assert.ok(differing.every((y) => y < a.height / 20), `rows that differ: ${differing.length}, the lowest ${differing.at(-1)} of ${a.height}`);
  // The picture and the HTML page each have marks on them.
  for (const n of [2, 3]) {
    const d = sent[n - 1].decode();
    assert.ok(Buffer.from(d.data).some((v) => v !== 0), `page ${n} is not blank`);
  }
});

test('the same Idempotency-Key twice gives one fax and one call; another fax under the same key is refused', async () => {
  const body = { numbers: ['2125550103'], cover: 'none', message: 'Sent once, whatever the retries.' };
  const headers = { 'idempotency-key': 'order-4711' };
  const first = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body, headers });
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const again = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body, headers });
  assert.equal(again.status, 202);
  assert.deepEqual(again.body, first.body, 'the retry gets the first answer');
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  const other = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { ...body, numbers: ['2125550104'] }, headers });
  assert.equal(other.status, 422);
  await done(first.body.id);
  const listed = (await api(g.gw, 'GET', '/api/v1/faxes?number=2125550103', { token: ADMIN_TOKEN })).body.faxes;
  assert.deepEqual(listed.map((f: { id: string }) => f.id), [first.body.id], 'one fax to that number');
  assert.deepEqual(await simCalls(g.dataDir, first.body.id), [`${first.body.id}-r0-a1.tif`], 'one call on the simulated line');
  // Keys are per user: bob's "order-4711" is his own.
  const bob = await makeToken(g.gw, 'bob', ['send', 'read-own']);
  const bobs = await api(g.gw, 'POST', '/api/v1/faxes', { token: bob, body, headers });
  assert.equal(bobs.status, 202);
  assert.notEqual(bobs.body.id, first.body.id);
});

test('list filters (number, sender, state, time) and cursor paging walk every fax once; resend sends the stored message again', async () => {
  const carol = await makeToken(g.gw, 'carol', ['send', 'read-own']);
  const t0 = new Date(Date.now() - 1000).toISOString();
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await api(g.gw, 'POST', '/api/v1/faxes', { token: carol, body: { numbers: [`212555012${i}`], cover: 'none', message: `Page ${i}` } });
    assert.equal(r.status, 202);
    ids.push(r.body.id);
  }
  const failed = await api(g.gw, 'POST', '/api/v1/faxes', { token: carol, body: { numbers: ['2125550190'], cover: 'none', message: 'to a number that rejects' } });
  ids.push(failed.body.id);
  for (const id of ids) await done(id);

  // Pages of two, newest first, until no cursor: every fax of carol's once.
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = await api(g.gw, 'GET', `/api/v1/faxes?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: carol });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.faxes.length <= 2);
    seen.push(...r.body.faxes.map((f: { id: string }) => f.id));
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.deepEqual(seen, [...ids].reverse(), 'newest first, each once, only carol\'s');
  assert.equal(pages, 3);

  const byNumber = await api(g.gw, 'GET', '/api/v1/faxes?number=%2B12125550122', { token: carol });
  assert.deepEqual(byNumber.body.faxes.map((f: { id: string }) => f.id), [ids[2]]);
  assert.deepEqual(byNumber.body.faxes[0].numbers, ['+12125550122']);
  const byState = await api(g.gw, 'GET', '/api/v1/faxes?state=failed', { token: carol });
  assert.deepEqual(byState.body.faxes.map((f: { id: string }) => f.id), [ids[5]]);
  const bySender = await api(g.gw, 'GET', '/api/v1/faxes?sender=carol&limit=100', { token: ADMIN_TOKEN });
  assert.equal(bySender.body.faxes.length, 6);
  const later = await api(g.gw, 'GET', `/api/v1/faxes?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { token: carol });
  assert.deepEqual(later.body.faxes, []);
  const since = await api(g.gw, 'GET', `/api/v1/faxes?from=${encodeURIComponent(t0)}&limit=100`, { token: carol });
  assert.equal(since.body.faxes.length, 6);
  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes?from=yesterday', { token: carol })).status, 400);

  // The failed fax's reason, in plain words, and a resend of it to another number.
  const f = (await api(g.gw, 'GET', `/api/v1/faxes/${ids[5]}`, { token: carol })).body;
  assert.equal(f.recipients[0].state, 'failed');
  assert.ok(f.recipients[0].reason, 'a reason is given');
  const resent = await api(g.gw, 'POST', `/api/v1/faxes/${ids[5]}/resend`, { token: carol, body: { numbers: ['2125550180'] } });
  assert.equal(resent.status, 202, JSON.stringify(resent.body));
  const again = await done(resent.body.id);
  assert.equal(again.state, 'done');
  assert.equal(again.authUser, 'carol');
  assert.deepEqual(again.numbers, ['+12125550180']);
  assert.ok((await api(g.gw, 'GET', `/api/v1/faxes/${ids[5]}`, { token: carol })).body.timeline.some((e: { event: string; detail?: string }) => e.event === 'resent' && e.detail?.includes(resent.body.id)));
});

test('limits: documents over 25 MiB together are refused (413) while they arrive, nothing is stored; bad base64 is 400', async () => {
  const before = (await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: ADMIN_TOKEN })).body.faxes.length;
  const form = new FormData();
  form.append('numbers', '2125550105');
  const chunk = Buffer.alloc(13 * 1024 * 1024, 0x41);
  form.append('file', new Blob([chunk]), 'a.txt');
  form.append('file', new Blob([chunk]), 'b.txt');
  const big = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: form });
  assert.equal(big.status, 413, JSON.stringify(big.body));
  const notBase64 = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['2125550105'], documents: [{ filename: 'x.pdf', content_base64: '%%% not base64 %%%' }] } });
  assert.equal(notBase64.status, 400);
  assert.equal(notBase64.body.problems[0].field, 'documents[0].content_base64');
  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: ADMIN_TOKEN })).body.faxes.length, before);
});
