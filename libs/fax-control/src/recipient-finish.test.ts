// finishRecipient closes a fax when its last recipient ends. Given the fax's recipient count (as
// dispatch gives it, issue 18), it reads a one-recipient fax's state beside the finish mark: the
// state must still be the one its job wrote before, and a many-recipient fax must close once,
// on the last mark, whatever the order the marks race in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRedis, type TestRedis } from '@faxgate/testkit';
import { FaxRecords, type RecipientRecord } from '@faxgate/store';
import { finishRecipient } from './recipient-finish.ts';

let redis: TestRedis;
let client: Redis;
before(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
after(async () => {
  client.disconnect();
  await redis.dispose();
});

async function fax(records: FaxRecords, count: number): Promise<string> {
  const id = `fx${randomUUID().replaceAll('-', '')}`;
  const recipients: RecipientRecord[] = Array.from({ length: count }, (_, index) => ({ index, address: `1212555${index}@fax.test`, number: `+1212555${index}`, dialString: `1212555${index}`, state: 'calling', pagesSent: 0, attempts: 1, connectedAttempts: 1, durationMs: 0 }));
  await records.create({ id, state: 'rendered', createdAt: new Date().toISOString(), sender: 's@example.com', subject: 't', messageKey: 'm', messageBytes: 1, recipientCount: count }, recipients);
  return id;
}

test('a one-recipient fax closes with its recipient\'s state, read beside the mark', async () => {
  const records = new FaxRecords(client, `test-${randomUUID()}`);
  for (const [state, expected] of [['sent', 'done'], ['failed', 'failed'], ['cancelled', 'cancelled']] as const) {
    const id = await fax(records, 1);
    // As dispatch does it: the recipient's end is written, then the finish is counted.
    await records.updateRecipient(id, 0, { state, ...(state === 'cancelled' ? { cancelledBy: 'op' } : {}) });
    await finishRecipient({ records }, id, 0, 1);
    const f = await records.getFax(id);
    assert.equal(f?.state, expected, `recipient ${state}: ${JSON.stringify(f)}`);
    assert.ok(f?.finishedAt);
    if (state === 'cancelled') assert.equal(f?.cancelledBy, 'op');
  }
});

test('a five-recipient fax finished by racing jobs closes on the last mark, with every state', async () => {
  const records = new FaxRecords(client, `test-${randomUUID()}`);
  for (const given of [5, undefined]) {
    const id = await fax(records, 5);
    await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        await records.updateRecipient(id, i, { state: i === 3 ? 'failed' : 'sent' });
        if (i < 4) await finishRecipient({ records }, id, i, given);
      }),
    );
    assert.equal((await records.getFax(id))?.state, 'rendered', 'open while one recipient is not finished');
    await finishRecipient({ records }, id, 4, given);
    assert.equal((await records.getFax(id))?.state, 'failed', `one recipient failed (count ${given ?? 'read from the fax'})`);
    const sent = await fax(records, 5);
    await Promise.all(Array.from({ length: 5 }, async (_, i) => {
      await records.updateRecipient(sent, i, { state: 'sent' });
      await finishRecipient({ records }, sent, i, given);
    }));
    assert.equal((await records.getFax(sent))?.state, 'done');
  }
});
