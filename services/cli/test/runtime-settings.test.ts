// Issue 20 on a gateway of separate role processes sharing one Redis, as pods do: runtime
// settings changed with `faxgate config` reach every process without a restart, a bad value is
// refused and leaves the previous version, and a process started later comes up with the
// current version. The SMTP dialogue and the fax records are the judges of what each process
// does; /readyz says which version it runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createRedis } from '@faxgate/queue';
import { BlobStore, FaxRecords } from '@faxgate/store';
import nodemailer from 'nodemailer';
import { assertNothingFor, blackPixels, decodeTiffWithLibtiff, freePort, makePdf, smtpDialogue, startRedis, startRoleProcess, startSmtpSink, tempDir, waitUntil, type RoleProcess, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';

const run = promisify(execFile);
const faxgate = resolve(import.meta.dirname, '../../../faxgate');

let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
let env: Record<string, string>;
let records: FaxRecords;
let client: ReturnType<typeof createRedis>;
const procs: RoleProcess[] = [];
let ingest: RoleProcess;
let smtpPort: number;
let consoleUrl: string;

// Tests that run the CLI several times or start a process have their own 240 s bound: each
// `faxgate config` is a Node start (about 1 s here, 10 s seen on a fully loaded machine).

before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-runtime-settings');
  smtpPort = await freePort();
  env = {
    FAXGATE_REDIS_URL: redis.url,
    FAXGATE_QUEUE_PREFIX: `test-${randomUUID()}`,
    FAXGATE_DATA_DIR: dir.path,
    FAXGATE_HTTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_HOST: '127.0.0.1',
    FAXGATE_SMTP_PORT: String(smtpPort),
    FAXGATE_SMARTHOST: sink.url,
    FAXGATE_FAX_DOMAINS: 'fax.test',
    FAXGATE_LOG_LEVEL: 'info',
    FAXGATE_JOB_BACKOFF: '100ms',
    FAXGATE_NODE_DRIVER: 'sim',
    FAXGATE_SIM_TIME_SCALE: '0.01',
    // Numbers under +1212555078 are always busy: their faxes stay queued, retrying.
    FAXGATE_SIM_OUTCOMES: '+1212555078*=busy',
    FAXGATE_RETRY_BUSY_DELAY: '1h',
    FAXGATE_RETRY_MAX_DIALS: '1000',
    FAXGATE_CONSOLE_PASSWORD: 'console-pass',
  };
  client = createRedis(redis.url, 'background');
  records = new FaxRecords(client, env.FAXGATE_QUEUE_PREFIX);
  const core = await startRoleProcess(['render', 'dispatch', 'notifier', 'console'], env);
  consoleUrl = `http://127.0.0.1:${core.httpPort}`;
  const node = await startRoleProcess(['node'], env);
  ingest = await startRoleProcess(['ingest'], env);
  procs.push(core, node, ingest);
  await Promise.all(procs.map((p) => p.ready(60_000)));
});
after(async () => {
  client?.disconnect();
  for (const p of procs.reverse()) await p.kill9();
  await sink?.close();
  await redis?.dispose();
  await dir?.remove();
});

async function config(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(faxgate, ['config', ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function versionOf(p: RoleProcess): Promise<number | undefined> {
  const r = await fetch(`http://127.0.0.1:${p.httpPort}/readyz`);
  return ((await r.json()) as { settingsVersion?: number }).settingsVersion;
}

/** Every process reports the version on /readyz: wait until all run `v`. */
async function everywhere(v: number): Promise<void> {
  await waitUntil(`settings version ${v} on every process`, async () => (await Promise.all(procs.map(versionOf))).every((x) => x === v), 20_000, 100).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await Promise.all(procs.map(versionOf)))}\n${(await config('status')).stdout}`);
  });
}

async function rcpt(to: string, port = smtpPort): Promise<{ code: number; text: string }> {
  const replies = await smtpDialogue(port, ['EHLO test.example', 'MAIL FROM:<pat@example.com>', `RCPT TO:<${to}>`, 'QUIT']);
  return replies[3];
}

async function send(to: string): Promise<string> {
  const replies = await smtpDialogue(smtpPort, ['EHLO test.example', 'MAIL FROM:<pat@example.com>', `RCPT TO:<${to}>`, 'DATA', `From: pat@example.com\r\nTo: ${to}\r\nSubject: settings\r\n\r\nhello\r\n.`, 'QUIT']);
  const id = /queued as (fx[0-9a-z]+)/.exec(replies[5].text)?.[1];
  assert.ok(id, JSON.stringify(replies));
  return id;
}

test('a new fax domain is accepted by the running ingest process; a bad value is refused and leaves the version', { timeout: 240_000 }, async () => {
  assert.equal((await rcpt('12125550100@fax2.test')).code, 550);
  const set = await config('set', 'FAXGATE_FAX_DOMAINS=fax.test,fax2.test', '--reason', 'new department', '--by', 'ann');
  assert.equal(set.code, 0, set.stderr);
  await everywhere(1);
  assert.equal((await rcpt('12125550100@fax2.test')).code, 250);

  const bad = await config('set', 'FAXGATE_RETRY_BUSY_DELAY=soon', '--reason', 'typo');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /FAXGATE_RETRY_BUSY_DELAY: .*not a duration.*\(got "soon"\)/);
  assert.match(bad.stderr, /version 1 stays/);
  const deployment = await config('set', 'FAXGATE_SMTP_PORT=2626', '--reason', 'no');
  assert.match(deployment.stderr, /deployment setting/);
  assert.match((await config('get', 'FAXGATE_FAX_DOMAINS')).stdout, /^version 1 .*\nFAXGATE_FAX_DOMAINS=fax.test,fax2.test +\[version 1\]/);
});

test('a shorter retry delay applies to the next retry; a denied prefix refuses the next RCPT and fails a queued fax before it is dialled', async () => {
  // Under the start-up delay (1 h), a busy fax waits.
  const slow = await send('12125550781@fax.test');
  await waitUntil('the first fax to be busy and waiting', async () => (await records.getRecipient(slow, 0))?.state === 'retry-wait', 30_000);
  const slowNext = Date.parse((await records.getRecipient(slow, 0))!.nextAttemptAt!);
  assert.ok(slowNext - Date.now() > 30 * 60_000, 'the 1 h delay of the environment');

  assert.equal((await config('set', 'FAXGATE_RETRY_BUSY_DELAY=1s', '--reason', 'lines are free again', '--by', 'bob')).code, 0);
  await everywhere(2);
  const quick = await send('12125550782@fax.test');
  await waitUntil('the second fax to be redialled after 1 s', async () => ((await records.getRecipient(quick, 0))?.attempts ?? 0) >= 3, 60_000);

  // A fraud attempt: the prefix is denied while the fax keeps being redialled.
  assert.equal((await config('set', 'FAXGATE_DIAL_DENY=+1212555078*', '--reason', 'fraud attempt', '--by', 'ann')).code, 0);
  await everywhere(3);
  const refused = await rcpt('12125550789@fax.test');
  assert.equal(refused.code, 550, refused.text);
  assert.match(refused.text, /denied number list/);
  await waitUntil('the queued fax to fail before another call', async () => (await records.getRecipient(quick, 0))?.state === 'failed', 30_000);
  const r = (await records.getRecipient(quick, 0))!;
  assert.equal(r.errorCode, 'RCPT_NUMBER_DENIED', r.reason);
  const attempts = r.attempts;
  for (let n = 1; n <= attempts; n++) assert.ok((await records.getAttempt(quick, 0, n))?.result, `attempt ${n} ended before the refusal (none was dialled after it)`);
});

test('history, rollback, and a process started after a change comes up with the current version', { timeout: 240_000 }, async () => {
  const history = JSON.parse((await config('history', '--json')).stdout) as Array<{ version: number; by: string; reason?: string; changes: Array<{ name: string }> }>;
  assert.deepEqual(history.map((h) => [h.version, h.by, h.reason]), [
    [3, 'ann', 'fraud attempt'],
    [2, 'bob', 'lines are free again'],
    [1, 'ann', 'new department'],
  ]);
  // Back to version 1's values: the new domain stays, the deny rule and the delay go.
  const back = await config('rollback', '1', '--reason', 'fraud over', '--by', 'ann');
  assert.equal(back.code, 0, back.stderr);
  await everywhere(4);
  assert.deepEqual(JSON.parse((await config('history', '--json', '--limit', '1')).stdout)[0].changes, [
    { name: 'FAXGATE_DIAL_DENY', old: '+1212555078*' },
    { name: 'FAXGATE_RETRY_BUSY_DELAY', old: '1s' },
  ]);
  assert.equal((await rcpt('12125550789@fax.test')).code, 250);

  // Its environment knows only fax.test: the stored version gives it fax2.test too.
  const latePort = await freePort();
  const late = await startRoleProcess(['ingest'], { ...env, FAXGATE_SMTP_PORT: String(latePort) });
  procs.push(late);
  await late.ready(60_000);
  assert.equal(await versionOf(late), 4);
  assert.equal((await rcpt('12125550100@fax2.test', latePort)).code, 250);
  const status = (await config('status', '--json')).stdout;
  const processes = JSON.parse(status).processes as Array<{ roles: string[]; version: number }>;
  assert.equal(processes.length, 4, status);
  assert.ok(processes.every((p) => p.version === 4), status);
});

test('the console API: the settings with their source, a stale edit gets 409, a bad one 422, a dry run lists what a dial rule would refuse, a cover template is set by its name', async () => {
  const auth = { authorization: `Basic ${Buffer.from('admin:console-pass').toString('base64')}`, 'content-type': 'application/json' };
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${consoleUrl}${path}`, { method, headers: auth, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: r.status, body: (await r.json()) as any };
  };
  const got = await api('GET', '/api/v1/settings');
  assert.equal(got.status, 200);
  assert.equal(got.body.version, 4);
  assert.deepEqual(got.body.settings.find((x: { name: string }) => x.name === 'FAXGATE_FAX_DOMAINS'), { name: 'FAXGATE_FAX_DOMAINS', group: 'Fax domains', value: 'fax.test,fax2.test', from: 'store' });
  assert.ok(got.body.processes.length >= 4);
  assert.equal((await fetch(`${consoleUrl}/api/v1/settings`)).status, 401, 'admin only');

  const stale = await api('PATCH', '/api/v1/settings', { version: 3, set: { FAXGATE_RETRY_MAX_TRIES: '4' }, reason: 'x' });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.version, 4);
  const bad = await api('PATCH', '/api/v1/settings', { version: 4, set: { FAXGATE_RETRY_MAX_TRIES: 'many' }, reason: 'x' });
  assert.equal(bad.status, 422);
  assert.match(bad.body.problems[0], /FAXGATE_RETRY_MAX_TRIES/);

  // A fax to a busy number is queued; denying its prefix would refuse it.
  const queued = await send('12125550785@fax.test');
  await waitUntil('the fax to be busy and waiting', async () => (await records.getRecipient(queued, 0))?.state === 'retry-wait', 30_000);
  const dry = await api('PATCH', '/api/v1/settings?dryRun=true', { version: 4, set: { FAXGATE_DIAL_DENY: '+12125550785' } });
  assert.equal(dry.status, 200);
  assert.deepEqual(dry.body.refusedQueued.map((r: { faxId: string; number: string }) => [r.faxId, r.number]), [[queued, '+12125550785']]);
  assert.equal((await api('GET', '/api/v1/settings')).body.version, 4, 'a dry run changes nothing');

  const saved = await api('PATCH', '/api/v1/settings', { version: 4, set: { FAXGATE_RETRY_MAX_TRIES: '4' }, reason: 'one more try' });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.equal(saved.body.version, 5);
  assert.equal(saved.body.by, 'admin');

  // One cover template by its entry name: folded into the setting; one that would fetch is refused.
  const tpl = await api('PATCH', '/api/v1/settings', { version: 5, set: { 'FAXGATE_COVER_TEMPLATES.urgent': '<p>URGENT</p>' }, reason: 'urgent cover' });
  assert.equal(tpl.status, 200, JSON.stringify(tpl.body));
  assert.deepEqual(JSON.parse(tpl.body.values.FAXGATE_COVER_TEMPLATES), { urgent: '<p>URGENT</p>' });
  const fetching = await api('PATCH', '/api/v1/settings', { version: 6, set: { 'FAXGATE_COVER_TEMPLATES.logo': '<p><img src="http://cdn.example/l.png"></p>' }, reason: 'logo' });
  assert.equal(fetching.status, 422);
  assert.match(fetching.body.problems[0], /template "logo" loads src="http:\/\/cdn.example\/l.png"/);
  await everywhere(6);
});

test('the cover page and success mails are runtime settings too: the next fax is rendered without a cover, and its success is not mailed', { timeout: 240_000 }, async () => {
  // A one-page PDF and no text: with the cover page the fax has two pages, without it one.
  const pdf = await makePdf(dir.path, 1, 'quarterly report');
  const mail = (to: string) => nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true }).sendMail({ from: 'pat@example.com', to, subject: 'quarterly report', attachments: [{ filename: 'a.pdf', content: pdf }] });
  const idOf = (r: { response: string }) => /queued as (fx[0-9a-z]+)/.exec(r.response)?.[1] as string;
  const before = idOf(await mail('12125550100@fax.test'));
  await waitUntil('the first fax to be sent', async () => (await records.getRecipient(before, 0))?.state === 'sent', 60_000);
  await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === before, 30_000);
  assert.equal((await records.getRecipient(before, 0))!.pagesTotal, 2, 'cover page and the PDF page');

  const set = await config('set', 'FAXGATE_COVER_PAGE=false', 'FAXGATE_RESULT_MAIL_ON_SUCCESS=false', '--reason', 'quiet mode', '--json');
  assert.equal(set.code, 0, set.stderr);
  await everywhere((JSON.parse(set.stdout) as { version: number }).version);
  const after = idOf(await mail('12125550101@fax.test'));
  await waitUntil('the second fax to be sent', async () => (await records.getRecipient(after, 0))?.state === 'sent', 60_000);
  assert.equal((await records.getRecipient(after, 0))!.pagesTotal, 1, 'the PDF page alone');
  await assertNothingFor('a result mail for a success', () => sink.mails.some((m) => m.parsed.headers.get('x-faxgate-fax-id') === after), 3000);
});

test('a quota set while running brakes the next RCPT: a sender past its new numbers per hour gets 452', async () => {
  const set = await config('set', 'FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR=1', '--reason', 'toll-fraud brake', '--json');
  assert.equal(set.code, 0, set.stderr);
  await everywhere((JSON.parse(set.stdout) as { version: number }).version);
  const rcptAs = async (from: string, to: string) => (await smtpDialogue(smtpPort, ['EHLO test.example', `MAIL FROM:<${from}>`, `RCPT TO:<${to}>`, 'QUIT']))[3];
  assert.equal((await rcptAs('quota@example.com', '12125550601@fax.test')).code, 250);
  const second = await rcptAs('quota@example.com', '12125550602@fax.test');
  assert.equal(second.code, 452, second.text);
});

test('who may send, the page limit and the header line change while running: a denied sender is refused, the next fax keeps to the new page limit without a header line', { timeout: 240_000 }, async () => {
  const blobs = new BlobStore(dir.path);
  const pdf = await makePdf(dir.path, 2, 'two page report');
  // A sender each: the quota of the test before (one new number per sender and hour) stays.
  const mail = async (from: string, to: string) => {
    const r = await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true }).sendMail({ from, to, subject: 'limits', attachments: [{ filename: 'r.pdf', content: pdf }] });
    return /queued as (fx[0-9a-z]+)/.exec(r.response)?.[1] as string;
  };
  /** The fax's document pages and how much ink its first page has in the header line's band. */
  const rendered = async (faxId: string, tag: string) => {
    const r = await waitUntil(`fax ${faxId} rendered`, async () => (await records.getRecipient(faxId, 0))?.documentKey ? records.getRecipient(faxId, 0) : undefined, 60_000);
    const first = (await decodeTiffWithLibtiff(await blobs.get(r!.documentKey!), dir.path, tag))[0];
    const band = { width: first.width, height: 40, stride: first.stride, data: first.data.subarray(0, 40 * first.stride) };
    return { fax: (await records.getFax(faxId))!, headerInk: blackPixels(band) };
  };
  const mallory = async () => smtpDialogue(smtpPort, ['EHLO test.example', 'MAIL FROM:<mallory@example.com>', 'RCPT TO:<12125550100@fax.test>', 'QUIT']);

  assert.equal((await mallory())[3].code, 250, 'the sender may send before the change');
  const before = await rendered(await mail('before@example.com', '12125550102@fax.test'), 'limits-before');
  assert.equal(before.fax.documentPages, 2);
  assert.ok(before.headerInk > 100, `the environment's header line is printed (${before.headerInk} black pels)`);

  const set = await config('set', 'FAXGATE_SENDERS_DENY=mallory@example.com', 'FAXGATE_RENDER_MAX_PAGES=1', 'FAXGATE_TAGLINE=off', '--reason', 'abuse; cheaper faxes', '--json');
  assert.equal(set.code, 0, set.stderr);
  await everywhere((JSON.parse(set.stdout) as { version: number }).version);

  const refused = (await mallory()).slice(2, 4).find((r) => r.code >= 500);
  assert.equal(refused?.code, 550, JSON.stringify(await mallory()));
  assert.match(refused!.text, /not allowed to send faxes/);
  const after = await rendered(await mail('after@example.com', '12125550103@fax.test'), 'limits-after');
  assert.equal(after.fax.documentPages, 1, 'the two-page document over the new limit of one page became a notice page');
  assert.equal(after.fax.notices?.length, 1, JSON.stringify(after.fax.notices));
  assert.equal(after.headerInk, 0, 'no header line');
});
