import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { startRedis, tempDir, testGatewayEnv, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { ingestRole } from '../src/index.ts';

// The toll-fraud brake at RCPT, driven by swaks (a real SMTP client): distinct numbers per
// sender and per domain within an hour. Past the limit a new number gets 452 4.5.3 with the
// reason; numbers already faxed, and other senders, still pass.
const run = promisify(execFile);
let redis: TestRedis;
let dir: TempDir;
let gw: RunningGateway;
let port: number;

before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-quotas');
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR: '2', FAXGATE_QUOTA_DOMAIN_DESTINATIONS_PER_HOUR: '3' });
  env.FAXGATE_DATA_DIR = join(dir.path, 'data');
  gw = await runRoles([ingestRole], { env });
  port = gw.instanceOf(ingestRole).smtpPort();
});
after(async () => {
  await gw?.stop();
  await redis.dispose();
  await dir.remove();
});

/** One swaks transaction; resolves with its transcript whether it was accepted or not. */
async function swaks(from: string, to: string[]): Promise<string> {
  const r = await run('swaks', ['--server', `127.0.0.1:${port}`, '--from', from, '--to', to.join(','), '--body', 'quota test', '--timeout', '30']).catch((e: { stdout: string; stderr: string }) => e);
  return `${r.stdout}${r.stderr}`;
}

test('a sender past its distinct numbers per hour gets 452 4.5.3 naming the limit; numbers it already faxed still pass', async () => {
  const first = await swaks('mallory@example.com', ['12125550401@fax.test', '12125550402@fax.test']);
  assert.match(first, /<- {2}250 2\.0\.0 Ok: queued as fx/, first);
  const third = await swaks('mallory@example.com', ['12125550403@fax.test']);
  assert.match(third, /<\*\* 452 4\.5\.3 too many different fax numbers from this sender or domain in the last hour \(mallory@example\.com has faxed 2 different numbers in the last hour, the most one sender may \(2\); try again later\)/, third);
  assert.doesNotMatch(third, /queued as/, 'nothing was accepted');
  const again = await swaks('mallory@example.com', ['12125550401@fax.test']);
  assert.match(again, /queued as fx/, `a number faxed within the hour is not a new destination:\n${again}`);
  // Mixed: the known number is accepted, the new one refused, the message goes to the known one.
  const mixed = await swaks('mallory@example.com', ['12125550402@fax.test', '12125550404@fax.test']);
  assert.match(mixed, /<\*\* 452 4\.5\.3/, mixed);
  assert.match(mixed, /queued as fx/, mixed);
});

test('the domain limit counts every sender of the domain; another domain is not affected', async () => {
  const eve = await swaks('eve@example.com', ['12125550411@fax.test']);
  assert.match(eve, /queued as fx/, eve);
  const eve2 = await swaks('eve@example.com', ['12125550412@fax.test']);
  assert.match(eve2, /<\*\* 452 4\.5\.3 .*\(example\.com has faxed 3 different numbers in the last hour, the most one domain may \(3\)/, eve2);
  const other = await swaks('trent@other.test', ['12125550412@fax.test']);
  assert.match(other, /queued as fx/, other);
});
