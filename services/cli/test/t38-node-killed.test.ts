// Issue 17 on a real fax protocol: a node killed (kill -9) in the middle of a T.38 call to
// spandsp. spandsp is the judge of what was printed: the first receiver's page count must equal
// the pages the node recorded as confirmed (MCF), and the next attempt, to a second spandsp
// receiver, must carry exactly the pages after those, so no page reaches paper twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { createRedis } from '@faxgate/queue';
import { FaxRecords } from '@faxgate/store';
import { freePort, libtiffInspect, makePdf, startRedis, startRoleProcess, startSmtpSink, tempDir, waitUntil, type RoleProcess, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { buildSpandspPeer, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';

let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
let peer: string;
before(async () => {
  peer = buildSpandspPeer();
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-t38-kill');
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

const pagesRx = (p: Proc) => Math.max(0, ...[...p.stdout().matchAll(/PAGE received pages_tx=\d+ pages_rx=(\d+)/g)].map((m) => Number(m[1])));

// Real-time T.38 calls (a page takes several seconds at 14,400 bit/s), a node restart and the
// 10 s call lock: about 90 s on this machine; every wait below is bounded on its own.
test('a node killed mid-call on T.38: spandsp printed the confirmed pages once, the retry sends only the rest', { timeout: 240_000 }, async () => {
  const smtpPort = await freePort();
  const prefix = `test-${randomUUID()}`;
  const env = {
    FAXGATE_REDIS_URL: redis.url,
    FAXGATE_QUEUE_PREFIX: prefix,
    FAXGATE_DATA_DIR: dir.path,
    FAXGATE_HTTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_PORT: String(smtpPort),
    FAXGATE_SMARTHOST: sink.url,
    FAXGATE_FAX_DOMAINS: 'fax.test',
    FAXGATE_LOG_LEVEL: 'warn',
    FAXGATE_JOB_BACKOFF: '100ms',
  };
  const t38 = (port: string) => ({ ...env, FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '1' });
  const procs: RoleProcess[] = [];
  const peers: Proc[] = [];
  const client = createRedis(redis.url, 'background');
  const records = new FaxRecords(client, prefix);
  try {
    const rx1File = join(dir.path, 'rx1.tif');
    const rx1 = start(peer, ['receive', '--file', rx1File, '--ecm', '1', '--timeout', '120']);
    peers.push(rx1);
    const port1 = (await rx1.waitFor(/LISTENING (\d+)/))[1];
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    const node1 = await startRoleProcess(['node'], t38(port1));
    procs.push(node1);
    await core.ready(60_000);
    await node1.ready(60_000);

    const pdf = await makePdf(dir.path, 3, 'Killed on T.38');
    const info = await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true }).sendMail({ from: 'ops@example.com', to: '12125550500@fax.test', subject: 'kill on t38', text: 'x', attachments: [{ filename: 'k.pdf', content: pdf }] });
    const faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
    assert.ok(faxId, info.response);

    await waitUntil('the node to record page 1 as confirmed', async () => ((await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= 1, 120_000, 20).catch((err) => {
      throw new Error(`${err.message}\n--- node ---\n${node1.output().slice(-3000)}\n--- spandsp ---\n${rx1.stdout()}`);
    });
    await node1.kill9();
    const confirmed = (await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0;
    // The far end notices the silence and ends its side of the call.
    rx1.kill();
    await rx1.exit;
    assert.equal(pagesRx(rx1), confirmed, `spandsp printed ${pagesRx(rx1)} page(s), the node recorded ${confirmed}:\n${rx1.stdout()}`);

    const rx2File = join(dir.path, 'rx2.tif');
    const rx2 = start(peer, ['receive', '--file', rx2File, '--ecm', '1', '--timeout', '150']);
    peers.push(rx2);
    const port2 = (await rx2.waitFor(/LISTENING (\d+)/))[1];
    const node2 = await startRoleProcess(['node'], t38(port2));
    procs.push(node2);
    await node2.ready(60_000);
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 150_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}\n--- spandsp ---\n${rx2.stdout()}`);
    });
    assert.equal(await rx2.exit, 0, `spandsp did not report success:\n${rx2.stdout()}${rx2.stderr()}`);
    const total = (await records.getRecipient(faxId, 0))?.pagesTotal ?? 0;
    assert.equal(total, 4, 'cover page and three document pages');
    assert.equal(pagesRx(rx2), total - confirmed, `the retry carried ${pagesRx(rx2)} page(s):\n${rx2.stdout()}`);
    assert.equal((await libtiffInspect(rx2File, dir.path)).pages.length, total - confirmed);
    const a2 = await records.getAttempt(faxId, 0, 2);
    assert.equal(a2?.fromPage, confirmed + 1);
    assert.equal((await records.getAttempt(faxId, 0, 1))?.interrupted, true);
    assert.match(mail.parsed.subject ?? '', /sent: 4 pages/);
    assert.match(mail.parsed.text ?? '', /Attempts: +2/);
  } finally {
    client.disconnect();
    for (const p of peers) p.kill();
    for (const p of procs.reverse()) await p.kill9();
  }
});
