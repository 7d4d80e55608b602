import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, tempDir, testGatewayEnv, waitUntil, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles } from '@faxgate/runtime';
import { JOB_SCHEMA_VERSION, newFaxId } from '@faxgate/queue';
import type { RecipientRecord } from '@faxgate/store';
import { dispatchRole } from '../src/index.ts';

let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-dispatch-policy');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

const recipient = (index: number, number: string): RecipientRecord => ({ index, address: `${number}@fax.test`, number, dialString: number.replace(/^\+/, ''), state: 'waiting', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0, pagesTotal: 1 });

test('dispatch applies the dial policy before the first call: a number accepted under a looser configuration is not dialled, and the sender is told why', async () => {
  // Queued while ingest allowed international calls; dispatch runs with the closed default.
  const gw = await runRoles([dispatchRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path }) });
  try {
    const faxId = newFaxId();
    const numbers = ['+442079460018', '+881612345678', '+12125550100'];
    await gw.ctx.records.create(
      { id: faxId, state: 'rendered', createdAt: new Date().toISOString(), sender: 'alice@example.com', messageKey: 'm', messageBytes: 1, recipientCount: numbers.length },
      numbers.map((n, i) => recipient(i, n)),
    );
    for (let i = 0; i < numbers.length; i++) await gw.ctx.queues.add('schedule-recipient', { faxId, recipient: i });
    const calls = gw.ctx.queues.queue('calls', 'sim');
    const national = await waitUntil('the national number to get its first call queued', () => calls.getJob(`call-${faxId}-r2-a1`), 20_000);
    assert.deepEqual(national.data, { v: JOB_SCHEMA_VERSION, faxId, recipient: 2, attempt: 1, fromPage: 1 });
    for (const [i, why] of [[0, /international call to GB/], [1, /costly range \(\+881 /]] as const) {
      const r = await waitUntil(`recipient ${i} to be refused`, async () => {
        const x = await gw.ctx.records.getRecipient(faxId, i);
        return x?.state === 'failed' ? x : undefined;
      }, 20_000);
      assert.equal(r.errorCode, 'RCPT_NUMBER_DENIED');
      assert.match(r.reason ?? '', /not allowed by the dialling rules/);
      assert.match(r.reason ?? '', why);
      assert.equal(r.attempts, 0, 'never dialled');
      assert.equal(await calls.getJob(`call-${faxId}-r${i}-a1`), undefined, `no call queued for ${numbers[i]}`);
      const mail = await gw.ctx.queues.queue('notify').getJob(`result-${faxId}-r${i}`);
      assert.ok(mail, `a result mail is queued for ${numbers[i]}`);
    }
    // Two of three recipients finished; the fax stays open for the third.
    assert.equal((await gw.ctx.records.getFax(faxId))?.state, 'rendered');
  } finally {
    await gw.stop();
  }
});
