import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis, startSmtpSink, tempDir, smtpDialogue, testGatewayEnv, waitUntil, type SmtpSink, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles } from '@faxgate/runtime';
import { notifierRole } from '@faxgate/notifier';
import { ingestRole } from '../src/index.ts';

// RFC 5321 §4.5.1: postmaster@ the fax domains (and the bare Postmaster) is accepted from anyone
// and delivered to the admin. The client plays an outside host (127.0.0.2), which may not fax.
const OUTSIDE = '127.0.0.2';

let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-postmaster');
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

async function start(extra: Record<string, string>) {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '', smarthost: sink.url }, { FAXGATE_FAX_DOMAINS: 'fax.test,fax2.test', ...extra });
  env.FAXGATE_DATA_DIR = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  const gw = await runRoles([ingestRole, notifierRole], { env });
  const port = gw.instanceOf(ingestRole).smtpPort();
  return { gw, port, dataDir: env.FAXGATE_DATA_DIR };
}

const body = (marker: string) => ['DATA', `From: Someone <someone@outside.test>\r\nTo: postmaster@fax.test\r\nSubject: your gateway\r\n\r\nHello postmaster, ${marker}.\r\n.`];

test('postmaster@ a fax domain and the bare Postmaster are accepted from an outside client and forwarded to the admin', async () => {
  const { gw, port } = await start({ FAXGATE_POSTMASTER: 'admin@clinic.test' });
  try {
    for (const [rcpt, marker] of [['postmaster@fax.test', 'first'], ['PostMaster@FAX2.test', 'second'], ['Postmaster', 'third']]) {
      const r = await smtpDialogue(port, ['EHLO outside.test', 'MAIL FROM:<someone@outside.test>', `RCPT TO:<${rcpt}>`, ...body(marker)], '127.0.0.1', OUTSIDE);
      assert.equal(r[3].code, 250, `${rcpt}: ${r[3].text}`);
      assert.equal(r[5].code, 250, `${rcpt}: ${r[5].text}`);
      const id = /queued as (pm[0-9a-z]+)/.exec(r[5].text)?.[1];
      assert.ok(id, r[5].text);
      const m = await sink.waitFor((x) => x.parsed.headers.get('x-faxgate-postmaster-id') === id, 20_000);
      assert.deepEqual(m.to, ['admin@clinic.test']);
      const att = m.parsed.attachments.find((a) => a.contentType === 'message/rfc822');
      assert.ok(att, 'the mail is attached whole');
      assert.match(att.content.toString(), new RegExp(`Hello postmaster, ${marker}\\.`));
    }
    // Fax recipients from the same outside client stay refused.
    const fax = await smtpDialogue(port, ['EHLO outside.test', 'MAIL FROM:<someone@outside.test>', 'RCPT TO:<12125550100@fax.test>'], '127.0.0.1', OUTSIDE);
    assert.equal(fax[3].code, 550);
    // postmaster of a domain that is not ours is relaying, and refused.
    const foreign = await smtpDialogue(port, ['EHLO outside.test', 'MAIL FROM:<someone@outside.test>', 'RCPT TO:<postmaster@example.org>'], '127.0.0.1', OUTSIDE);
    assert.equal(foreign[3].code, 550);
  } finally {
    await gw.stop();
  }
});

test('postmaster and fax recipients go in separate transactions (452 for the second kind)', async () => {
  const { gw, port } = await start({ FAXGATE_POSTMASTER: 'admin@clinic.test' });
  try {
    const a = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'RCPT TO:<postmaster@fax.test>']);
    assert.equal(a[3].code, 250);
    assert.equal(a[4].code, 452, a[4].text);
    assert.match(a[4].text, /^452 4\.5\.3 mail to postmaster and faxes go in separate transactions/);
    const b = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<postmaster@fax.test>', 'RCPT TO:<12125550100@fax.test>']);
    assert.equal(b[3].code, 250);
    assert.equal(b[4].code, 452, b[4].text);
  } finally {
    await gw.stop();
  }
});

test('without FAXGATE_POSTMASTER the mail is kept as an .eml file in the data directory', async () => {
  const { gw, port, dataDir } = await start({});
  try {
    const r = await smtpDialogue(port, ['EHLO outside.test', 'MAIL FROM:<someone@outside.test>', 'RCPT TO:<postmaster@fax.test>', ...body('kept')], '127.0.0.1', OUTSIDE);
    assert.equal(r[5].code, 250, r[5].text);
    const id = /queued as (pm[0-9a-z]+)/.exec(r[5].text)?.[1];
    const job = await waitUntil('the postmaster job to finish', async () => {
      const j = await gw.ctx.queues.queue('notify').getJob(`postmaster-${id}`);
      return j && (await j.isCompleted()) ? j : undefined;
    }, 20_000);
    assert.ok(job);
    assert.deepEqual(await readdir(join(dataDir, 'postmaster')), [`${id}.eml`]);
    assert.match(await readFile(join(dataDir, 'postmaster', `${id}.eml`), 'utf8'), /Hello postmaster, kept\./);
    assert.equal(sink.mails.filter((m) => m.to.includes('admin@clinic.test')).length, 3, 'only the first test\'s three mails reached the admin');
  } finally {
    await gw.stop();
  }
});

test('with FAXGATE_SMTP_REQUIRE_AUTH postmaster is still reachable; fax recipients get 530 at RCPT', async () => {
  const users = join(dir.path, 'users');
  await writeFile(users, 'clinic:pw\n');
  const { gw, port } = await start({ FAXGATE_POSTMASTER: 'admin@clinic.test', FAXGATE_SMTP_USERS_FILE: users, FAXGATE_SMTP_REQUIRE_AUTH: 'true' });
  try {
    const pm = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<someone@outside.test>', 'RCPT TO:<postmaster@fax.test>', ...body('with auth required')]);
    assert.equal(pm[2].code, 250, pm[2].text);
    assert.equal(pm[3].code, 250, pm[3].text);
    assert.equal(pm[5].code, 250, pm[5].text);
    const fax = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>']);
    assert.equal(fax[3].code, 530, fax[3].text);
    assert.match(fax[3].text, /5\.7\.0 authentication is required/);
    const authed = await smtpDialogue(port, ['EHLO c', `AUTH PLAIN ${Buffer.from('\0clinic\0pw').toString('base64')}`, 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>']);
    assert.equal(authed[4].code, 250, authed[4].text);
  } finally {
    await gw.stop();
  }
});
