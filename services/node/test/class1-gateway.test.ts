import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { decodeTiffWithLibtiff, differingPixels, makePdf, renderPdfPages, startTestGateway, textPage, type TestGateway } from '@faxgate/testkit';
import { writeTiff } from '@faxgate/fax-image';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import { inboundRole } from '@faxgate/inbound';
import { createRedis } from '@faxgate/queue';
import { FaxRecords, InboundRecords } from '@faxgate/store';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { efaxReceive, efaxSend, killEfax, type EfaxRun } from '../../../libs/class1/test/fax-bed.ts';
import { nodeRole } from '../src/index.ts';

// The whole gateway with FAXGATE_NODE_DRIVER=class1 on a real software modem (iaxmodem pty A),
// efax on the other modem (pty B) as the far fax machine: a mail becomes a fax efax receives
// (pages equal to what faxgate rendered), and a fax efax sends is answered by the node, routed by
// the inbound role and mailed as a PDF (the unaddressed mailbox: no directory file). Both
// calls' records hold what the T.38 path records (issue 12): the attempt's pages, remote id,
// rate and the far end's DIS; the received fax's pages, TSI, caller ID, modem line, bad rows and
// whether it was partial.
//
// Real-time calls (about 20–40 s each): each test has its own timeout.

const run = promisify(execFile);
let pair: IaxmodemPair;
let g: TestGateway<RunningGateway>;

before(async () => {
  pair = await startIaxmodemPair();
  g = await startTestGateway((env) => runRoles([notifierRole, inboundRole, nodeRole, dispatchRole, renderRole, ingestRole], { env }), {
    label: 'faxgate-class1-gateway',
    env: {
      FAXGATE_FAX_DOMAINS: 'fax.test',
      FAXGATE_NODE_DRIVER: 'class1',
      FAXGATE_MODEM_DEVICES: pair.a.device,
      FAXGATE_NODE_LINES: '1',
      FAXGATE_STATION_ID: '+1 212 555 0188',
      FAXGATE_INBOUND_UNADDRESSED: 'faxdesk@example.com',
    },
  });
});

after(async () => {
  killEfax();
  await g?.dispose();
  await pair?.stop();
});

test('mail → render → class1 modem call → efax; efax received exactly the rendered pages, and the result mail says sent', { timeout: 150_000 }, async () => {
  const { gw, dir, sink } = g;
  const prefix = join(dir.path, 'efax-rx');
  const rx = efaxReceive(pair.b.device, '+1 212 555 0199', prefix);
  try {
    const pdf = join(dir.path, 'letter.pdf');
    await writeFile(pdf, await makePdf(dir.path, 1, 'Over a Class 1 modem'));
    const smtpPort = gw.instanceOf(ingestRole).smtpPort();
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', 'alice@example.com', '--to', '12125550199@fax.test', '--header', 'Subject: Modem test', '--body', 'Sent through a Class 1 modem.', '--attach', `@${pdf}`]);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(stdout)?.[1];
    assert.ok(faxId, stdout);
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 120_000);
    assert.match(mail.parsed.subject ?? '', /sent: 2 pages/, mail.parsed.text);
    const code = await Promise.race([rx.exit, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
    assert.equal(code, 0, `efax exit ${code}`);
    const files = (await readdir(dir.path)).filter((f) => f.startsWith('efax-rx.')).sort().map((f) => join(dir.path, f));
    assert.equal(files.length, 2, 'efax stored two pages');
    const joined = join(dir.path, 'efax-rx.tif');
    await run('tiffcp', [...files, joined]);
    const got = await decodeTiffWithLibtiff(joined, dir.path, 'efax-rx');
    const sent = await decodeTiffWithLibtiff(join(g.dataDir, 'faxes', faxId, 'r0.tif'), dir.path, 'rendered');
    assert.equal(got.length, sent.length);
    for (let i = 0; i < sent.length; i++) assert.equal(differingPixels(got[i], sent[i]), 0, `page ${i + 1} as efax received it differs from the rendered page`);

    // The attempt as stored: efax (no ECM in its DIS) trained at V.17 14400 on modem A.
    const redis = createRedis(g.redis.url, 'background');
    try {
      const view = await new FaxRecords(redis, g.env.FAXGATE_QUEUE_PREFIX).view(faxId);
      const attempts = view?.recipients[0]?.attemptsDetail ?? [];
      assert.equal(attempts.length, 1, JSON.stringify(view));
      const [a1] = attempts;
      assert.equal(a1.result, 'success');
      assert.equal(a1.pagesSent, 2);
      assert.equal(a1.remoteId, '+1 212 555 0199');
      assert.equal(a1.remote?.speed, 14400, JSON.stringify(a1.remote));
      assert.equal(a1.remote?.dis?.ecm, false, 'efax offers no ECM');
      assert.ok(a1.remote?.dis?.rates?.includes(14400), JSON.stringify(a1.remote?.dis));
      // The modem that carried the call, as the console and the API show the attempt: its line
      // (not the node's call slot), its device and what its probe answered (iaxmodem: spandsp).
      assert.match(a1.line ?? '', /\/modem-1$/, `the modem's line, not the call slot: ${a1.line}`);
      assert.equal(a1.device, pair.a.device);
      assert.match(a1.deviceIdentity ?? '', /\+FMM "spandsp"/, JSON.stringify(a1));
    } finally {
      redis.disconnect();
    }
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${rx.output()}\n${await pair.logs()}`, { cause: err });
  } finally {
    rx.proc.kill('SIGKILL');
  }
});

test('efax calls the node\'s modem: the fax is answered, routed and mailed as a PDF with the caller\'s TSI, number and name', { timeout: 150_000 }, async () => {
  const { dir, sink } = g;
  // Long enough that efax sends it for over a second (efaxSend checks: efax dies after shorter pages).
  const page = textPage(1728, 400, 77);
  const file = join(dir.path, 'efax-tx.1.tif');
  await writeFile(file, writeTiff([{ bitmap: page, xDpi: 204, yDpi: 196 }], { compression: 'mh' }));
  let tx: EfaxRun | undefined;
  try {
    const efaxRun = await efaxSend(pair.b.device, '+1 212 555 0177', '5550110', [file], 100_000);
    tx = efaxRun.run;
    assert.equal(efaxRun.code, 0, `efax exit ${efaxRun.code}:\n${tx.output()}`);
    const mail = await sink.waitFor((m) => !!m.parsed.headers.get('x-faxgate-inbound-id'), 60_000);
    assert.deepEqual(mail.to, ['faxdesk@example.com']);
    assert.match(mail.parsed.subject ?? '', /Fax from \+1 212 555 0177, 1 page/);
    assert.doesNotMatch(mail.parsed.subject ?? '', /incomplete/, 'the one call efax made delivered the page whole');
    assert.equal(mail.parsed.headers.get('x-faxgate-did'), '5550110');
    // Modem B's caller ID, as its iaxmodem presents it (NMBR and NAME).
    assert.equal(mail.parsed.headers.get('x-faxgate-calling-number'), pair.b.callerNumber);
    assert.equal(mail.parsed.headers.get('x-faxgate-calling-name'), pair.b.callerName);
    // The received fax as stored.
    const redis = createRedis(g.redis.url, 'background');
    try {
      const rec = await new InboundRecords(redis, g.env.FAXGATE_QUEUE_PREFIX).get(mail.parsed.headers.get('x-faxgate-inbound-id') as string);
      assert.ok(rec, 'the inbound record');
      assert.equal(rec.pages, 1);
      assert.equal(rec.partial, false);
      assert.equal(rec.badRows, 0, 'a clean line: no row repaired');
      assert.equal(rec.csid, '+1 212 555 0177');
      assert.equal(rec.callingNumber, pair.b.callerNumber);
      assert.equal(rec.did, '5550110');
      assert.match(rec.line ?? '', /\/modem-1$/);
      // The modem that answered: its device and what its probe answered (iaxmodem: spandsp).
      assert.equal(rec.device, pair.a.device);
      assert.match(rec.deviceIdentity ?? '', /\+FMM "spandsp"/, JSON.stringify(rec));
    } finally {
      redis.disconnect();
    }
    const pdf = mail.parsed.attachments.find((a) => a.contentType === 'application/pdf');
    assert.ok(pdf, 'the fax is attached as a PDF');
    const got = await renderPdfPages(pdf.content, dir.path, 'inbound-pdf');
    assert.equal(got.length, 1);
    // efax draws its own header band over the top of the page (docs/modems.md): the rest of
    // the page must be there pixel for pixel, shifted down by the band.
    const sent = await decodeTiffWithLibtiff(file, dir.path, 'efax-tx');
    const a = got[0];
    const b = sent[0];
    const matchesAt = (off: number) => {
      for (let y = 16; y < b.height; y++) for (let k = 0; k < b.stride; k++) if (a.data[(y + off) * a.stride + k] !== b.data[y * b.stride + k]) return false;
      return true;
    };
    assert.ok(Array.from({ length: 65 }, (_, o) => o).some((o) => o + b.height <= a.height && matchesAt(o)), 'the page efax sent is in the mailed PDF');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- efax\n${tx?.output()}\n${await pair.logs()}`, { cause: err });
  } finally {
    tx?.proc.kill('SIGKILL');
  }
});

