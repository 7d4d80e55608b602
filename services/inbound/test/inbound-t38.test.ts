import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunningGateway } from '@faxgate/runtime';
import { decodeTiffWithLibtiff, differingPixels, renderPdfPages, type SmtpSink, type TempDir } from '@faxgate/testkit';
import { nodeRole } from '@faxgate/node';
import { finished, makeFaxTiff, startInboundGateway } from './helpers.ts';

let g: Awaited<ReturnType<typeof startInboundGateway>>;
let sink: SmtpSink;
let dir: TempDir;
let gw: RunningGateway;
let peer: string;

before(async () => {
  // Both tests call with the spandsp peer: built here so that each test also runs alone.
  peer = execFileSync(join(resolve(import.meta.dirname, '../../..'), 'test/peers/build.sh'), { encoding: 'utf8' }).trim().split('\n').pop() as string;
  g = await startInboundGateway('faxgate-inbound-t38', `unaddressed: faxadmin@example.com
users:
  - id: acme
    emails: [acme-desk@example.com]
  - id: boxed
    emails: [mailbox-4711@example.com]
    mailbox: "4711"
routes:
  - match: { csid: "^ACME" }
    user: acme
`, { FAXGATE_T38_RECEIVE_PORT: '0', FAXGATE_T38_RECEIVE_DID: '+12125550188' });
  ({ gw, sink, dir } = g);
});

after(async () => {
  await g?.dispose();
});

// Real-time T.38 calls (about 25 s each here); the bound is spandsp's own --timeout 150 plus the
// mail and record waits, so a stuck call fails with spandsp's log rather than the runner's timeout.
test('spandsp sends over T.38 to the node; the fax is routed by its TSI and mailed, pages equal to what spandsp sent', { timeout: 240_000 }, async () => {
  const t38 = gw.instanceOf(nodeRole).t38;
  assert.ok(t38, 'the node answers T.38 (FAXGATE_T38_RECEIVE_PORT is set)');
  const doc = join(dir.path, 'sent.tif');
  const tiff = await makeFaxTiff(dir.path, 1, 'Over T38');
  await writeFile(doc, tiff);

  const child = spawn(peer, ['send', '--file', doc, '--peer-port', String(t38.port), '--ecm', '1', '--id', 'ACME T38 DESK', '--timeout', '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? -1)));
  try {
    assert.equal(code, 0, out);
    assert.match(out, /COMPLETION 0 OK/);

    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-did') === '+12125550188', 60_000);
    assert.deepEqual(mail.to, ['acme-desk@example.com']);
    assert.equal(mail.parsed.subject, 'Fax from ACME T38 DESK, 1 page');
    const id = String(mail.parsed.headers.get('x-faxgate-inbound-id'));
    const rec = await finished(gw, id);
    assert.deepEqual([rec.state, rec.route?.rule, rec.pages, rec.partial, rec.badRows], ['delivered', 'csid', 1, false, 0]);
    assert.ok(rec.durationMs > 1000, 'a real-time call');

    const pdf = mail.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
    const got = await renderPdfPages(pdf.content, dir.path, 't38-pdf');
    const sent = await decodeTiffWithLibtiff(tiff, dir.path, 't38-sent');
    assert.equal(got.length, 1);
    assert.equal(differingPixels(got[0], sent[0]), 0, 'the page spandsp sent arrives in the PDF pixel for pixel');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('a T.38 call with a T.30 sub-address that dies after page 1: page 1 goes to the mailbox, marked partial', { timeout: 240_000 }, async () => {
  const t38 = gw.instanceOf(nodeRole).t38;
  assert.ok(t38, 'the node answers T.38 (FAXGATE_T38_RECEIVE_PORT is set)');
  const doc = join(dir.path, 'sent2.tif');
  const tiff = await makeFaxTiff(dir.path, 2, 'Cut short');
  await writeFile(doc, tiff);
  const child = spawn(peer, ['send', '--file', doc, '--peer-port', String(t38.port), '--ecm', '1', '--id', 'ACME CUT', '--sub', '4711', '--timeout', '150'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  try {
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`spandsp never finished page 1:\n${out}`)), 120_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/PAGE sent pages_tx=1/.test(out)) {
          clearTimeout(t);
          res();
        }
      });
    });
    // The sender vanishes between pages, as when a line drops.
    child.kill('SIGKILL');
    const mail = await sink.waitFor((m) => m.parsed.subject === 'Fax from ACME CUT, 1 page (incomplete)', 90_000);
    assert.deepEqual(mail.to, ['mailbox-4711@example.com'], 'the sub-address outranks the CSID route');
    const rec = await finished(gw, String(mail.parsed.headers.get('x-faxgate-inbound-id')));
    assert.deepEqual([rec.pages, rec.partial, rec.subAddress, rec.route?.rule], [1, true, '4711', 'sub-address']);
    assert.ok(rec.reason, 'the T.30 reason the call ended is kept');
    const pdf = mail.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
    const got = await renderPdfPages(pdf.content, dir.path, 't38-cut-pdf');
    const sent = await decodeTiffWithLibtiff(tiff, dir.path, 't38-cut-sent');
    assert.equal(got.length, 1);
    assert.equal(differingPixels(got[0], sent[0]), 0);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
