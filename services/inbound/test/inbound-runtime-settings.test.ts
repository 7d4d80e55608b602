// Received-fax policy as runtime settings (issue 20), on a running inbound role: the unaddressed
// mailbox used while no directory file exists (FAXGATE_INBOUND_UNADDRESSED, else postmaster@ the
// first fax domain) and the tries to mail a received fax to its owner
// (FAXGATE_INBOUND_MAIL_ATTEMPTS) change with `faxgate config` and apply to the next received
// fax, without a restart. The smarthost's envelope is the judge of where each fax went.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startTestGateway, waitUntil, type TestGateway } from '@faxgate/testkit';
import { INBOUND_ROLES, TOKEN, finished, makeFaxTiff, offerCall, run, startRefusingSmarthost } from './helpers.ts';

const faxgate = resolve(import.meta.dirname, '../../../faxgate');

let g: TestGateway<RunningGateway>;
let smtp: Awaited<ReturnType<typeof startRefusingSmarthost>>;
let gw: RunningGateway;
let missingDirectory: string;

before(async () => {
  smtp = await startRefusingSmarthost();
  // The directory file is named but not written yet: the built-in directory routes everything
  // to the unaddressed mailbox.
  g = await startTestGateway((env) => runRoles(INBOUND_ROLES, { env }), {
    label: 'faxgate-inbound-settings',
    smarthost: smtp.url,
    env: async (dir) => {
      missingDirectory = join(dir, 'directory.yaml');
      return { FAXGATE_DIRECTORY: missingDirectory, FAXGATE_CONSOLE_TOKEN: TOKEN, FAXGATE_CONSOLE_PASSWORD: 'unused', FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_JOB_BACKOFF: '20ms', FAXGATE_INBOUND_MAIL_ATTEMPTS: '3' };
    },
  });
  gw = g.gw;
});

after(async () => {
  await g?.dispose();
  await smtp?.close();
});

async function config(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? '', FAXGATE_REDIS_URL: g.env.FAXGATE_REDIS_URL, FAXGATE_QUEUE_PREFIX: g.env.FAXGATE_QUEUE_PREFIX, FAXGATE_LOG_LEVEL: 'silent' };
  try {
    const r = await run(faxgate, ['config', ...args], { env });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const applied = (v: number) => waitUntil(`the gateway applies settings version ${v}`, () => gw.ctx.settings.version === v, 20_000);

/** Offers a fax and returns where its deliveries went, once it is delivered. */
async function receive(label: string, did = '+12125550199') {
  const tiff = await makeFaxTiff(g.dir.path, 1, label);
  const id = await offerCall(gw, tiff, { did, from: '+16175550000', csid: 'SENDER' });
  const rec = await finished(gw, id);
  assert.equal(rec.state, 'delivered', JSON.stringify(rec.deliveries));
  const mail = await waitUntil(`the mail of ${label}`, () => smtp.mails.find((m) => m.parsed.headers.get('x-faxgate-inbound-id') === id), 20_000);
  return { rec, to: mail.to };
}

test('the unaddressed mailbox without a directory file follows FAXGATE_INBOUND_UNADDRESSED and the fax domains while the inbound role runs', { timeout: 240_000 }, async () => {
  assert.deepEqual((await receive('Before')).to, ['postmaster@fax.test'], 'the environment: postmaster@ the first fax domain');

  const bad = await config('set', 'FAXGATE_INBOUND_UNADDRESSED=nobody', '--reason', 'typo');
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /FAXGATE_INBOUND_UNADDRESSED: a mail address \(got "nobody"\)/);

  const set = await config('set', 'FAXGATE_INBOUND_UNADDRESSED=faxdesk@example.com', '--reason', 'the fax desk reads them now');
  assert.equal(set.code, 0, set.stderr);
  await applied(1);
  assert.deepEqual((await receive('Desk')).to, ['faxdesk@example.com']);

  // Back to the environment's mailbox, under a new first fax domain.
  await gw.ctx.settings.store.change({ expected: 1, set: { FAXGATE_INBOUND_UNADDRESSED: null, FAXGATE_FAX_DOMAINS: 'fax2.test,fax.test' }, by: 'test' });
  await applied(2);
  assert.deepEqual((await receive('Domain')).to, ['postmaster@fax2.test']);
});

test('the tries to mail a received fax to its owner change while the inbound role runs', { timeout: 240_000 }, async () => {
  await writeFile(missingDirectory, `unaddressed: [faxadmin@example.com]
users:
  - id: gone
    emails: [gone@bounce.example]
    dids: ["+12125550123"]
`);
  const v = gw.ctx.settings.version;
  const set = await config('set', 'FAXGATE_INBOUND_MAIL_ATTEMPTS=2', '--reason', 'give up sooner on a full mailbox');
  assert.equal(set.code, 0, set.stderr);
  await applied(v + 1);
  const refusedBefore = smtp.refusals();
  const { rec, to } = await receive('Bounced', '+12125550123');
  assert.deepEqual(rec.deliveries.map((d) => [d.to.join(','), d.state, d.attempts]), [
    ['gone@bounce.example', 'failed', 2],
    ['faxadmin@example.com', 'sent', 1],
  ]);
  assert.equal(smtp.refusals() - refusedBefore, 2, 'two tries reached the owner\'s mail server (the environment said 3)');
  assert.deepEqual(to, ['faxadmin@example.com']);
});
