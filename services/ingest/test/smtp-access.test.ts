import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedis, tempDir, smtpDialogue, testGatewayEnv, type TestRedis, type TempDir } from '@faxgate/testkit';
import { loadConfig } from '@faxgate/config';
import { runRoles } from '@faxgate/runtime';
import { ingestRole, ingestSchema } from '../src/index.ts';
import { accessSummary } from '../src/access-summary.ts';

// Closed by default (issue 17): without configuration only this machine may send without AUTH,
// and only national numbers outside the costly ranges are accepted. An outside client is
// played by 127.0.0.2: the loopback interface owns all of 127/8 on Linux, but faxgate's `host`
// is 127.0.0.1, ::1 and the interface addresses only (see sender-policy.ts).
const OUTSIDE = '127.0.0.2';

let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-access');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

async function startIngest(extra: Record<string, string> = {}) {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_FAX_DOMAINS: 'fax.test', ...extra });
  env.FAXGATE_DATA_DIR = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  // The listen default is what is being tested: no FAXGATE_SMTP_HOST unless a test sets one.
  if (!('FAXGATE_SMTP_HOST' in extra)) delete env.FAXGATE_SMTP_HOST;
  const gw = await runRoles([ingestRole], { env });
  const port = gw.instanceOf(ingestRole).smtpPort();
  return { gw, port };
}

const mail = ['DATA', 'From: Alice <alice@example.com>\r\nTo: 12125550100@fax.test\r\nSubject: hello\r\n\r\nBody.\r\n.'];
const plain = (u: string, p: string) => Buffer.from(`\0${u}\0${p}`).toString('base64');

test('by default a client that is not this host is refused at RCPT with the reason; this host is accepted', async () => {
  const { gw, port } = await startIngest();
  try {
    const outside = await smtpDialogue(port, ['EHLO outside.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>'], '127.0.0.1', OUTSIDE);
    assert.equal(outside[3].code, 550, outside[3].text);
    assert.match(outside[3].text, /^550 5\.7\.1 your network is not allowed to send faxes through this gateway \(127\.0\.0\.2 is not in the client networks/);
    const local = await smtpDialogue(port, ['EHLO local.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', ...mail]);
    assert.equal(local[3].code, 250, local[3].text);
    assert.equal(local[5].code, 250, local[5].text);
  } finally {
    await gw.stop();
  }
});

test('an outside client is accepted once it authenticates, or when its network is configured', async () => {
  const users = join(dir.path, 'users');
  await writeFile(users, 'clinic:s3cret\n');
  const withAuth = await startIngest({ FAXGATE_SMTP_USERS_FILE: users, FAXGATE_SMTP_HOST: '127.0.0.1' });
  try {
    const anon = await smtpDialogue(withAuth.port, ['EHLO outside.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>'], '127.0.0.1', OUTSIDE);
    assert.equal(anon[3].code, 550);
    assert.match(anon[3].text, /authenticate \(AUTH\) first/);
    const authed = await smtpDialogue(withAuth.port, ['EHLO outside.test', `AUTH PLAIN ${plain('clinic', 's3cret')}`, 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', ...mail], '127.0.0.1', OUTSIDE);
    assert.equal(authed[2].code, 235, authed[2].text);
    assert.equal(authed[4].code, 250, authed[4].text);
    assert.equal(authed[6].code, 250, authed[6].text);
  } finally {
    await withAuth.gw.stop();
  }
  for (const networks of ['127.0.0.2/32', 'host,127.0.0.0/8', 'any']) {
    const { gw, port } = await startIngest({ FAXGATE_SMTP_CLIENT_NETWORKS: networks, FAXGATE_SMTP_HOST: '127.0.0.1' });
    try {
      const r = await smtpDialogue(port, ['EHLO outside.test', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<12125550100@fax.test>', ...mail], '127.0.0.1', OUTSIDE);
      assert.equal(r[3].code, 250, `${networks}: ${r[3].text}`);
      assert.equal(r[5].code, 250, `${networks}: ${r[5].text}`);
    } finally {
      await gw.stop();
    }
  }
});

test('costly and international numbers are refused at RCPT by default, and accepted when configured', async () => {
  const closed = await startIngest();
  try {
    const rcpt = async (to: string) => (await smtpDialogue(closed.port, ['EHLO c', 'MAIL FROM:<alice@example.com>', `RCPT TO:<${to}>`]))[3];
    for (const [to, why] of [['+881612345678@fax.test', /costly range \(\+881 Global Mobile Satellite/], ['+870773111632@fax.test', /costly range \(\+870 Inmarsat/], ['+5351234567@fax.test', /costly range \(\+53 Cuba\)/], ['18762101234@fax.test', /costly range \(\+1876 Jamaica\)/], ['442079460018@fax.test', /international call to GB/]] as const) {
      const r = await rcpt(to);
      assert.equal(r.code, 550, `${to}: ${r.text}`);
      assert.match(r.text, /not allowed by the dialling rules/, to);
      assert.match(r.text, why, to);
    }
    assert.equal((await rcpt('12125550100@fax.test')).code, 250);
  } finally {
    await closed.gw.stop();
  }
  const open = await startIngest({ FAXGATE_DIAL_INTERNATIONAL: 'any', FAXGATE_DIAL_COSTLY_ALLOW: '+881,+53' });
  try {
    for (const to of ['+881612345678@fax.test', '+5351234567@fax.test', '442079460018@fax.test']) {
      const r = await smtpDialogue(open.port, ['EHLO c', 'MAIL FROM:<alice@example.com>', `RCPT TO:<${to}>`]);
      assert.equal(r[3].code, 250, `${to}: ${r[3].text}`);
    }
    const still = await smtpDialogue(open.port, ['EHLO c', 'MAIL FROM:<alice@example.com>', 'RCPT TO:<+870773111632@fax.test>']);
    assert.equal(still[3].code, 550, still[3].text);
  } finally {
    await open.gw.stop();
  }
});

test('SMTP listens on loopback unless it was opened; the start-up lines say who may send and where it may dial', async () => {
  const config = (env: Record<string, string>) => loadConfig('ingest', ingestSchema, env);
  const closed = accessSummary(config({}));
  assert.equal(closed.listenHost, '127.0.0.1');
  assert.match(closed.senders, /^senders {3}without AUTH: this host only \(127\.0\.0\.1, ::1[,)]/);
  assert.match(closed.senders, /AUTH off/);
  assert.match(closed.dial, /^dial {6}national US numbers; international: nowhere .*costly ranges: \d+ refused/);
  const users = join(dir.path, 'users2');
  await writeFile(users, 'a:b\nc:d\n');
  assert.equal(accessSummary(config({ FAXGATE_SMTP_USERS_FILE: users })).listenHost, '0.0.0.0');
  const open = accessSummary(config({ FAXGATE_SMTP_CLIENT_NETWORKS: '10.0.0.0/8', FAXGATE_DIAL_INTERNATIONAL: 'ca,GB', FAXGATE_DIAL_COSTLY_ALLOW: '+881' }));
  assert.equal(open.listenHost, '0.0.0.0');
  assert.match(open.senders, /without AUTH: 10\.0\.0\.0\/8;/);
  assert.match(open.dial, /international: CA, GB; costly ranges: \d+ refused, allowed: \+881/);
  assert.equal(accessSummary(config({ FAXGATE_SMTP_HOST: '192.0.2.1' })).listenHost, '192.0.2.1');
  assert.match(accessSummary(config({ FAXGATE_SMTP_CLIENT_NETWORKS: 'any' })).senders, /ANY client/);
  assert.throws(() => config({ FAXGATE_DIAL_COSTLY_ALLOW: '+44' }), /FAXGATE_DIAL_COSTLY_ALLOW/);
  assert.throws(() => config({ FAXGATE_DIAL_INTERNATIONAL: 'Canada' }), /FAXGATE_DIAL_INTERNATIONAL/);
});

test('FAXGATE_SMTP_CLIENT_NETWORKS is checked when the configuration is read, every bad entry named', () => {
  const config = (v: string) => loadConfig('ingest', ingestSchema, { FAXGATE_SMTP_CLIENT_NETWORKS: v });
  for (const bad of ['everyone', '10.0.0.0/33', '10.0.0/8', 'fd00::/129', '10.0.0.0/8/1']) assert.throws(() => config(bad), /FAXGATE_SMTP_CLIENT_NETWORKS/, bad);
  for (const good of ['host', 'any', '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7', '192.0.2.25', 'host,2001:db8::/32']) assert.doesNotThrow(() => accessSummary(config(good)), good);
});
