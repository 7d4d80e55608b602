// Cover templates as a runtime setting (issue 20): a template set with `faxgate config set
// --file` while the render role runs is used for the next fax, without a restart; a fax rendered
// before keeps the cover it was rendered with. The template directory gives the covers until
// then. The covers are judged as pages: laid out from the expected HTML and compared pel by pel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { decodeTiffWithLibtiff, differingPixels, smtpDialogue, startTestGateway, waitUntil, type Raster } from '@faxgate/testkit';
import { renderHtmlPages } from '@faxgate/render';
import { runRoles } from '@faxgate/runtime';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '../src/index.ts';

const run = promisify(execFile);
const faxgate = resolve(import.meta.dirname, '../../../faxgate');

const FILE_COVER = '<html><body><h1>COVER FROM THE DIRECTORY</h1></body></html>';
const STORED_COVER = '<html><body>\n<h1>STORED COVER</h1>\n<p>Edited while running</p>\n</body></html>\n';

/** A page without its header line (date and time of the render). */
function belowHeader(b: Raster): Raster {
  const skip = 40 * b.stride;
  return { width: b.width, height: b.height - 40, stride: b.stride, data: b.data.subarray(skip, b.stride * b.height) };
}

test('a cover template set with faxgate config set --file reaches the running render role: the next fax uses it, one rendered before is unchanged', { timeout: 240_000 }, async () => {
  const g = await startTestGateway((env) => runRoles([ingestRole, renderRole], { env }), {
    label: 'faxgate-cover-runtime',
    env: async (d) => {
      const covers = join(d, 'covers');
      await mkdir(covers, { recursive: true });
      await writeFile(join(covers, 'default.html'), FILE_COVER);
      return { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_PAPER: 'a4', FAXGATE_COVER_TEMPLATE_DIR: covers };
    },
  });
  const cliEnv = { PATH: process.env.PATH ?? '', FAXGATE_REDIS_URL: g.env.FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX: g.env.FAXGATE_QUEUE_PREFIX, FAXGATE_LOG_LEVEL: 'silent' };
  const config = async (...args: string[]) => {
    try {
      const r = await run(faxgate, ['config', ...args], { env: cliEnv });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  try {
    const gw = g.gw;
    const port = gw.instanceOf(ingestRole).smtpPort();
    const send = async (subject: string) => {
      const r = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'DATA', `From: alice@example.com\r\nTo: 12125550100@fax.test\r\nSubject: ${subject}\r\n\r\n\r\n.`]);
      const id = /queued as (fx[0-9a-z]+)/.exec(r.at(-1)!.text)?.[1];
      assert.ok(id, JSON.stringify(r));
      return id;
    };
    const rendered = async (faxId: string) => {
      const fax = await waitUntil(`fax ${faxId} rendered`, async () => {
        const f = await gw.ctx.records.getFax(faxId);
        return f?.state === 'rendered' || f?.state === 'failed' ? f : undefined;
      }, 90_000);
      assert.equal(fax.state, 'rendered', JSON.stringify(fax.error));
      return gw.ctx.blobs.get((await gw.ctx.records.getRecipient(faxId, 0))!.documentKey!);
    };
    const coverOf = async (tiff: Uint8Array, label: string) => {
      const path = join(g.dir.path, `${label}.tif`);
      await writeFile(path, tiff);
      return belowHeader((await decodeTiffWithLibtiff(path, g.dir.path, label))[0]);
    };
    const page = (html: string) => belowHeader(renderHtmlPages(html, { resolution: 'fine', paper: 'a4' })[0].bitmap);

    const beforeId = await send('before');
    const before = await rendered(beforeId);
    assert.equal(differingPixels(await coverOf(before, 'before'), page(FILE_COVER)), 0, 'the directory gives the cover until a template is stored');

    // A template that would fetch from elsewhere is refused with the reason; nothing changes.
    const bad = join(g.dir.path, 'bad.html');
    await writeFile(bad, '<html><body><img src="https://tracker.example/p.gif"></body></html>');
    const refused = await config('set', 'FAXGATE_COVER_TEMPLATES.default', '--file', bad, '--reason', 'try');
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /template "default" loads src="https:\/\/tracker.example\/p.gif"; only data: URIs/);

    const file = join(g.dir.path, 'stored.html');
    await writeFile(file, STORED_COVER);
    const set = await config('set', 'FAXGATE_COVER_TEMPLATES.default', '--file', file, '--reason', 'new letterhead');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /version 1 saved/);
    await waitUntil('the render process applies version 1', () => gw.ctx.settings.version === 1, 20_000);
    // The template reads back as it was given, and the history names it rather than printing it.
    assert.equal((await config('get', 'FAXGATE_COVER_TEMPLATES.default')).stdout, STORED_COVER);
    assert.match((await config('history')).stdout, /by .*: new letterhead\n {4}FAXGATE_COVER_TEMPLATES\.default: added, 78 bytes\n/);

    const after = await rendered(await send('after'));
    assert.equal(differingPixels(await coverOf(after, 'after'), page(STORED_COVER)), 0, 'the fax rendered after the change has the stored cover');
    const beforeNow = await gw.ctx.blobs.get((await gw.ctx.records.getRecipient(beforeId, 0))!.documentKey!);
    assert.ok(Buffer.from(beforeNow).equals(Buffer.from(before)), 'the fax rendered before the change keeps its pages');
    assert.equal(differingPixels(await coverOf(beforeNow, 'before-again'), page(FILE_COVER)), 0);

    // Export writes the template as itself (a YAML block), and importing that file is no change.
    const exported = await config('export');
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stdout, /FAXGATE_COVER_TEMPLATES:\n\s+default: \|\n\s+<html><body>\n\s+<h1>STORED COVER<\/h1>\n/);
    const yaml = join(g.dir.path, 'settings.yaml');
    await writeFile(yaml, exported.stdout);
    const again = await config('import', yaml, '--reason', 'from git');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to change: version 1 stays/);
  } finally {
    await g.dispose();
  }
});
