// The render role in the gateway: mail in over SMTP (the ingest role), one TIFF per recipient
// out, judged by libtiff; notices recorded for the result mail; the worker survives a bomb.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeTiffWithLibtiff, differingPixels, startTestGateway, smtpDialogue, waitUntil, type Raster } from '@faxgate/testkit';
import { renderHtmlPages } from '@faxgate/render';
import { runRoles } from '@faxgate/runtime';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '../src/index.ts';
import * as C from '../../../libs/render/test/corpus.ts';

/** Ingest and render in this process on the testkit harness; `files` may write what the gateway reads first. */
async function startGateway(extra: Record<string, string> = {}, files?: (dir: string) => Promise<Record<string, string>>) {
  const g = await startTestGateway((env) => runRoles([ingestRole, renderRole], { env }), {
    label: 'faxgate-render',
    env: async (dir) => ({ FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_DIAL_INTERNATIONAL: 'GB', ...extra, ...(files ? await files(dir) : {}) }),
  });
  const port = g.gw.instanceOf(ingestRole).smtpPort();
  return { g, gw: g.gw, port, dir: g.dir };
}

async function submit(port: number, rcpts: string[], mail: Uint8Array): Promise<string> {
  const text = Buffer.from(mail).toString('latin1').replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
  const r = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', ...rcpts.map((t) => `RCPT TO:<${t}>`), 'DATA', `${text}\r\n.`]);
  const last = r[r.length - 1];
  const id = /queued as (fx[0-9a-z]+)/.exec(last.text)?.[1];
  assert.ok(id, last.text);
  return id;
}

/** A page without its header line (date and time of the render), which the cover test does not judge. */
function belowHeader(b: Raster): Raster {
  const skip = 40 * b.stride;
  return { width: b.width, height: b.height - 40, stride: b.stride, data: b.data.subarray(skip, b.stride * b.height) };
}

/** libtiff's page list of a TIFF: [width, length] per page. */
function judge(path: string): Array<[number, number]> {
  const out = execFileSync('tiffinfo', [path], { encoding: 'utf8' });
  return [...out.matchAll(/Image Width: (\d+) Image Length: (\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

test('a mail with a PDF and a zip to two recipients: one TIFF each, their own cover from the template and directory, a notice for the zip', async () => {
  const { g, gw, port, dir } = await startGateway({ FAXGATE_PAPER: 'a4' }, async (d) => {
    const covers = join(d, 'covers');
    await mkdir(join(covers, 'domains'), { recursive: true });
    await writeFile(join(covers, 'domains', 'example.com.html'), '<html><body><h1>EXAMPLE COVER</h1><p>{{to_name}} {{to_company}} {{from_company}} {{from_phone}} pages {{pages}}</p><pre>{{message}}</pre></body></html>');
    const directory = join(d, 'directory.json');
    await writeFile(directory, JSON.stringify({ senders: { '@example.com': { company: 'Example Ltd', phone: '+1 212 555 0000', fax: '+1 212 555 0001' } }, recipients: { '+12125550100': { company: 'Receiver Inc' } } }));
    return { FAXGATE_COVER_TEMPLATE_DIR: covers, FAXGATE_SENDER_DIRECTORY: directory };
  });
  try {
    const pdf = C.contractPdf();
    const apple = new TextDecoder('latin1').decode(C.appleMailPdf(pdf).raw);
    const zip = new TextDecoder('latin1').decode(C.unsupportedAttachment().raw);
    // The PDF mail with the zip part of the other fixture spliced in before the end.
    const zipPart = zip.slice(zip.indexOf('--ZZ\r\nContent-Type: application/zip')).replace(/--ZZ--\r\n$/, '').replace(/--ZZ/g, '--Apple-Mail=_1A2B');
    const mail = apple.replace('--Apple-Mail=_1A2B--', `${zipPart}--Apple-Mail=_1A2B--`);
    const faxId = await submit(port, ['12125550100@fax.test', '442079460018@fax.test'], new Uint8Array(Buffer.from(mail, 'latin1')));
    // No display name in the SMTP envelope: {{to_name}} is empty.
    const expectedCover = ['Receiver Inc Example Ltd +1 212 555 0000 pages 6', 'Example Ltd +1 212 555 0000 pages 6'];
    const fax = await waitUntil('rendered', async () => {
      const f = await gw.ctx.records.getFax(faxId);
      return f?.state === 'rendered' || f?.state === 'failed' ? f : undefined;
    }, 60_000);
    assert.equal(fax.state, 'rendered', JSON.stringify(fax.error));
    // 4 PDF pages and a notice page for the zip.
    assert.equal(fax.documentPages, 5);
    assert.equal(fax.notices?.length, 1);
    assert.match(fax.notices![0], /files\.zip \(application\/zip\) was not faxed/);
    for (const i of [0, 1]) {
      const r = (await gw.ctx.records.getRecipient(faxId, i))!;
      assert.equal(r.pagesTotal, 6);
      const path = join(dir.path, 'r.tif');
      await writeFile(path, await gw.ctx.blobs.get(r.documentKey!));
      const pages = judge(path);
      assert.equal(pages.length, 6);
      assert.ok(pages.every(([w]) => w === 1728));
      // The cover's text, judged against the same template filled in by hand for this
      // recipient (directory company for the known number only), laid out on its own.
      const cover = (await decodeTiffWithLibtiff(path, dir.path, `cover-r${i}`))[0];
      const want = expectedCover[i];
      const expected = renderHtmlPages(`<html><body><h1>EXAMPLE COVER</h1><p>${want}</p><pre>Here is the signed contract.</pre></body></html>`, { resolution: 'fine', paper: 'a4' })[0].bitmap;
      assert.equal(differingPixels(belowHeader(cover), belowHeader(expected)), 0, `recipient ${i}'s cover reads "EXAMPLE COVER / ${want}"`);
      const other = renderHtmlPages(`<html><body><h1>EXAMPLE COVER</h1><p>${expectedCover[1 - i]}</p><pre>Here is the signed contract.</pre></body></html>`, { resolution: 'fine', paper: 'a4' })[0].bitmap;
      assert.ok(differingPixels(belowHeader(cover), belowHeader(other)) > 100, `recipient ${i}'s cover is not the other recipient's`);
    }
    // Rendered: one schedule-recipient job per recipient goes to dispatch.
    const jobs = await gw.ctx.queues.queue('dispatch').getJobs(['waiting', 'delayed', 'prioritized']);
    assert.deepEqual(jobs.filter((j) => j.data.faxId === faxId).map((j) => j.data.recipient).sort(), [0, 1]);
  } finally {
    await g.dispose();
  }
});

test('a bomb attachment fails only itself: notice and sentence, and the next mail renders in the same worker', async () => {
  const { g, gw, port } = await startGateway({ FAXGATE_RENDER_TIMEOUT: '3s', FAXGATE_COVER_PAGE: 'false' });
  try {
    const huge = Buffer.from(C.zeroPng(50_000, 50_000)).toString('base64').replace(/.{76}/g, '$&\r\n');
    const mail = `From: a@example.com\r\nTo: 1@fax.test\r\nSubject: bomb\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nPlease see the picture.\r\n--B\r\nContent-Type: image/png; name=huge.png\r\nContent-Disposition: attachment; filename=huge.png\r\nContent-Transfer-Encoding: base64\r\n\r\n${huge}\r\n--B--\r\n`;
    const first = await submit(port, ['12125550100@fax.test'], new TextEncoder().encode(mail));
    const done = (id: string) => waitUntil('rendered', async () => {
      const f = await gw.ctx.records.getFax(id);
      return f?.state === 'rendered' || f?.state === 'failed' ? f : undefined;
    }, 60_000);
    const f1 = await done(first);
    assert.equal(f1.state, 'rendered');
    // No cover: the text body is a page, then the notice page.
    assert.equal(f1.documentPages, 2);
    assert.deepEqual(f1.notices, ['huge.png was not faxed: the image is 50000 × 50000 pixels, more than the limit of 100 megapixels.']);
    const second = await submit(port, ['12125550100@fax.test'], C.gmailAlternative().raw);
    const f2 = await done(second);
    assert.equal(f2.state, 'rendered');
    assert.equal(f2.documentPages, 1);
    assert.deepEqual(f2.notices, []);
    // Operators see it in /metrics: 3 document pages, 1 part not faxed.
    const metrics = await gw.ctx.registry.metrics();
    assert.match(metrics, /^faxgate_render_pages_total 3$/m);
    assert.match(metrics, /^faxgate_render_notices_total 1$/m);
    assert.match(metrics, /^faxgate_render_sandbox_started \d+$/m);
  } finally {
    await g.dispose();
  }
});
