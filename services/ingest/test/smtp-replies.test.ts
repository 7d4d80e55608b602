import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startRedis, tempDir, smtpDialogue, testGatewayEnv, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { JOB_SCHEMA_VERSION } from '@faxgate/queue';
import { ingestRole } from '../src/index.ts';

const run = promisify(execFile);
let redis: TestRedis;
let dir: TempDir;

before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-ingest');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

async function startIngest(extra: Record<string, string> = {}) {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_FAX_DOMAINS: 'fax.test,fax2.test', FAXGATE_DIAL_INTERNATIONAL: 'GB', ...extra });
  const prefix = env.FAXGATE_QUEUE_PREFIX;
  env.FAXGATE_DATA_DIR = join(dir.path, prefix);
  const gw = await runRoles([ingestRole], { env });
  const port = gw.instanceOf(ingestRole).smtpPort();
  return { gw, port, prefix, dataDir: join(dir.path, prefix) };
}

const message = (to: string) => ['DATA', `From: Alice <alice@example.com>\r\nTo: "Dr. Jane Doe" <${to}>\r\nSubject: hello\r\n\r\nBody text.\r\n.`];

test('EHLO advertises the ESMTP extensions; a good mail gets 250 naming the fax id, stored and queued', async () => {
  const { gw, port, dataDir } = await startIngest();
  try {
    const r = await smtpDialogue(port, ['EHLO client.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'RCPT TO:<+442079460018@fax2.test>', ...message('12125550100@fax.test')]);
    const ehlo = r[1].text;
    for (const ext of ['SIZE 26214400', '8BITMIME', 'PIPELINING', 'SMTPUTF8', 'DSN']) assert.match(ehlo, new RegExp(ext));
    assert.doesNotMatch(ehlo, /STARTTLS|AUTH/);
    assert.equal(r[3].code, 250);
    assert.equal(r[4].code, 250);
    assert.equal(r[5].code, 354);
    assert.equal(r[6].code, 250, r[6].text);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(r[6].text)?.[1];
    assert.ok(faxId, r[6].text);
    const view = await gw.ctx.records.view(faxId);
    assert.equal(view?.recipients.length, 2);
    assert.equal(view?.recipients[0].name, 'Dr. Jane Doe');
    assert.equal(view?.recipients[0].number, '+12125550100');
    assert.equal(view?.recipients[1].number, '+442079460018');
    assert.equal(view?.recipients[1].dialString, '011442079460018');
    const job = await gw.ctx.queues.queue('render').getJob(`render-${faxId}`);
    assert.deepEqual(job?.data, { v: JOB_SCHEMA_VERSION, faxId });
    assert.deepEqual(await readdir(join(dataDir, 'messages')), [`${faxId}.eml`]);
  } finally {
    await gw.stop();
  }
});

test('refusals at RCPT carry the right code and a sentence', async () => {
  const { gw, port } = await startIngest({ FAXGATE_SENDERS_DENY: '@spam.test,bad@example.com', FAXGATE_DIAL_DENY: '+1900*,+1212555019*' });
  try {
    const rcpt = async (from: string, to: string) => (await smtpDialogue(port, ['EHLO c', `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`]))[3];
    const foreign = await rcpt('alice@example.com', '12125550100@example.org');
    assert.equal(foreign.code, 550);
    assert.match(foreign.text, /5\.7\.1 .*only accepts mail for its fax domains/);
    const bad = await rcpt('alice@example.com', 'jdoe@fax.test');
    assert.equal(bad.code, 553);
    assert.match(bad.text, /5\.1\.3 the recipient is not a fax number/);
    const denied = await rcpt('alice@example.com', '12125550199@fax.test');
    assert.equal(denied.code, 550);
    assert.match(denied.text, /not allowed by the dialling rules/);
    for (const sender of ['someone@spam.test', 'bad@example.com', '']) {
      const r = await rcpt(sender, '12125550100@fax.test');
      assert.equal(r.code, 550, sender);
      assert.match(r.text, /this sender is not allowed to send faxes/);
    }
    const ok = await rcpt('good@example.com', '12125550100@fax.test');
    assert.equal(ok.code, 250);
  } finally {
    await gw.stop();
  }
});

test('oversized mail gets 552, declared at MAIL or found in DATA', async () => {
  const { gw, port, dataDir } = await startIngest({ FAXGATE_SMTP_MAX_SIZE: '2048' });
  try {
    const declared = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com> SIZE=5000']);
    assert.equal(declared[2].code, 552);
    const big = 'x'.repeat(70) + '\r\n';
    const r = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', 'DATA', `Subject: big\r\n\r\n${big.repeat(60)}.`]);
    assert.equal(r[5].code, 552);
    assert.match(r[5].text, /5\.3\.4/);
    assert.deepEqual(await readdir(join(dataDir, 'messages')).catch(() => []), [], 'nothing kept, not even a temporary file');
  } finally {
    await gw.stop();
  }
});

test('client networks and AUTH: outsiders must authenticate; bad passwords get 535', async () => {
  const users = join(dir.path, 'users');
  await writeFile(users, '# faxgate users\nclinic:s3cret pass\n');
  const { gw, port } = await startIngest({ FAXGATE_SMTP_CLIENT_NETWORKS: '10.0.0.0/8,fd00::/8', FAXGATE_SMTP_USERS_FILE: users });
  try {
    const plain = (u: string, p: string) => Buffer.from(`\0${u}\0${p}`).toString('base64');
    const anon = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>']);
    assert.match(anon[1].text, /AUTH PLAIN LOGIN/);
    assert.equal(anon[3].code, 550);
    assert.match(anon[3].text, /your network is not allowed/);
    const wrong = await smtpDialogue(port, ['EHLO c', `AUTH PLAIN ${plain('clinic', 'nope')}`]);
    assert.equal(wrong[2].code, 535);
    const authed = await smtpDialogue(port, ['EHLO c', `AUTH PLAIN ${plain('clinic', 's3cret pass')}`, 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', ...message('12125550100@fax.test')]);
    assert.equal(authed[2].code, 235);
    assert.equal(authed[4].code, 250);
    assert.equal(authed[6].code, 250);
  } finally {
    await gw.stop();
  }
});

test('STARTTLS is offered with a certificate and works with swaks', async () => {
  const key = join(dir.path, 'key.pem');
  const cert = join(dir.path, 'cert.pem');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=fax.test']);
  const { gw, port } = await startIngest({ FAXGATE_SMTP_TLS_CERT: cert, FAXGATE_SMTP_TLS_KEY: key });
  try {
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${port}`, '--tls', '--from', 'alice@example.com', '--to', '12125550100@fax.test', '--body', 'over TLS']);
    assert.match(stdout, /TLS started/);
    assert.match(stdout, /<~ +250 2\.0\.0 Ok: queued as fx/);
  } finally {
    await gw.stop();
  }
});

test('with Redis down the client gets 451 and nothing is half-written', async () => {
  const own = await startRedis();
  const env = testGatewayEnv({ redisUrl: own.url, dataDir: '' }, { FAXGATE_FAX_DOMAINS: 'fax.test' });
  const dataDir = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  env.FAXGATE_DATA_DIR = dataDir;
  const gw = await runRoles([ingestRole], { env });
  const port = gw.instanceOf(ingestRole).smtpPort();
  try {
    await own.stop();
    const r = await smtpDialogue(port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', ...message('12125550100@fax.test')]);
    assert.equal(r[5].code, 451);
    assert.match(r[5].text, /4\.3\.0 the fax queue is unavailable/);
    assert.deepEqual(await readdir(join(dataDir, 'messages')).catch(() => []), []);
    const ready = await fetch(`${gw.httpUrl}/readyz`);
    assert.equal(ready.status, 503);
  } finally {
    await own.start();
    await gw.stop();
    await own.dispose();
  }
});
