// Issue 14: `faxgate destinations` against a real Redis, run as an admin would (a child process
// with the gateway's variables), on what dispatch learned.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { createRedis } from '@faxgate/queue';
import { Destinations } from '@faxgate/destinations';
import { AuditLog } from '@faxgate/audit';

const MAIN = join(import.meta.dirname, '../src/main.ts');
let redis: TestRedis;
before(async () => {
  redis = await startRedis();
});
after(async () => {
  await redis.dispose();
});

function faxgate(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('faxgate destinations lists and shows what was learned, blocks and unblocks a number, and forgets it', async (t) => {
  const prefix = `test-${randomUUID()}`;
  const env = { FAXGATE_REDIS_URL: redis.url, FAXGATE_QUEUE_PREFIX: prefix, FAXGATE_DEFAULT_COUNTRY: 'US' };
  const c = createRedis(redis.url, 'background');
  t.after(() => c.disconnect());
  const dest = new Destinations(c, prefix);
  const policy = { maxFailures: 3, failureWindowMs: 3_600_000, holdMs: 3_600_000 };
  // Times relative to now: the voice answer's hold (1 h) is still running when the CLI looks.
  const at = (minAgo: number) => new Date(Date.now() - minAgo * 60_000).toISOString();
  const voiceAt = at(10);
  await dest.learn('+12125550100', { callId: 'fx1-r0-a1', result: 'success', at: at(20), pagesSent: 2, remote: { csi: 'ACME SALES', speed: 9600, dis: { rates: [2400, 4800, 7200, 9600], ecm: true, mmr: true }, trainingFailures: [14400] } }, policy);
  await dest.learn('+12125550199', { callId: 'fx2-r0-a1', result: 'no-carrier', at: voiceAt, remote: { noFaxTone: true } }, policy);

  const list = await faxgate(['destinations', 'list'], env);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split('\n');
  assert.match(lines[0], new RegExp(`^\\+12125550199 +held until ${new Date(Date.parse(voiceAt) + 3_600_000).toISOString().replace(/\./g, '\\.')} +1 call\\(s\\) +last no-carrier`));
  assert.match(lines[1], /^\+12125550100 +ok +1 call\(s\) +last success .*CSI "ACME SALES"/);

  const show = await faxgate(['destinations', 'show', '(212) 555-0100'], env);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /Remote CSI: +ACME SALES/);
  assert.match(show.stdout, /Good speed: +9600 bit\/s/);
  assert.match(show.stdout, /DIS offered: +rates 2400\/4800\/7200\/9600, ECM, MMR/);
  assert.match(show.stdout, /Training: +1 failure\(s\) at 14400/);
  const json = JSON.parse((await faxgate(['destinations', 'show', '+12125550100', '--json'], env)).stdout);
  assert.equal(json.lastGoodSpeed, 9600);

  const block = await faxgate(['destinations', 'block', '2125550100', '--reason', 'owner asked'], env);
  assert.equal(block.code, 0, block.stderr);
  assert.match(block.stdout, /\+12125550100: blocked by cli:.* \(owner asked\)/);
  assert.equal((await dest.refusal('+12125550100'))?.code, 'DESTINATION_BLOCKED');
  assert.equal((await faxgate(['destinations', 'unblock', '+12125550100'], env)).code, 0);
  assert.equal(await dest.refusal('+12125550100'), undefined);
  assert.equal((await faxgate(['destinations', 'unblock', '+12125550199'], env)).code, 0);
  assert.equal(await dest.refusal('+12125550199'), undefined, 'unblock lifts a failure hold too');

  const forget = await faxgate(['destinations', 'forget', '+12125550100'], env);
  assert.match(forget.stdout, /forgotten/);
  const gone = await faxgate(['destinations', 'show', '+12125550100'], env);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /nothing known about this number/);
  const edits = [];
  for await (const e of new AuditLog(c, prefix).range(0, Date.now() + 60_000)) edits.push(`${e.event} | ${e.detail} | ${e.actor?.replace(/^cli:.+$/, 'cli:<user>')}`);
  assert.deepEqual(edits, [
    'destination blocked | +12125550100: owner asked | cli:<user>',
    'destination unblocked | +12125550100 | cli:<user>',
    'destination unblocked | +12125550199 | cli:<user>',
    'destination forgotten | +12125550100 | cli:<user>',
  ], 'each edit is in the audit trail');
  const bad = await faxgate(['destinations', 'show', 'not-a-number'], env);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not part of a phone number|not a valid phone number/);
});
