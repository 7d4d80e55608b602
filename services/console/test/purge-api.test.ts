import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runRoles } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv, type TempDir, type TestRedis } from '@faxgate/testkit';
import { newFaxId } from '@faxgate/queue';
import { blobKeys } from '@faxgate/store';
import { consoleRole } from '@faxgate/console';

// Issue 19: an admin purges a finished fax from the console API (data-subject requests); a fax
// in flight is refused with 409, and the purge leaves its audit line naming the console user.

let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-console-purge');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

const headers = { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}`, 'content-type': 'application/json' };

test('POST /api/v1/faxes/:id/purge: 409 in flight, 200 with what was deleted once finished, 404 after, audit line kept', async () => {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_CONSOLE_PASSWORD: 'pw' });
  env.FAXGATE_DATA_DIR = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  const gw = await runRoles([consoleRole], { env });
  try {
    const { records, blobs } = gw.ctx;
    const id = newFaxId();
    await records.create(
      { id, state: 'rendered', createdAt: new Date().toISOString(), sender: 'alice@example.com', messageKey: blobKeys.message(id), messageBytes: 4, recipientCount: 1 },
      [{ index: 0, address: '12125550100@fax.localhost', number: '+12125550100', dialString: '12125550100', state: 'calling', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 }],
    );
    await blobs.put(blobKeys.message(id), 'mail');
    await blobs.put(blobKeys.recipientDocument(id, 0), 'tiff');
    const purge = (body: object = {}) => fetch(`${gw.httpUrl}/api/v1/faxes/${id}/purge`, { method: 'POST', headers, body: JSON.stringify(body) });

    const busy = await purge();
    assert.equal(busy.status, 409);
    assert.match(((await busy.json()) as { error: string }).error, /still in flight/);
    assert.equal(await blobs.exists(blobKeys.message(id)), true);

    await records.updateFax(id, { state: 'done' });
    // Ended, but dispatch's reconciler has not closed it yet: still 409, saying when to retry.
    const ended = await purge();
    assert.equal(ended.status, 409);
    assert.match(((await ended.json()) as { error: string }).error, /has ended \(state done\).*FAXGATE_RECONCILE_INTERVAL/);
    await records.closeFax(id);
    const ok = await purge({ reason: 'DSR-9' });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { id, purged: true, removed: [blobKeys.message(id), `faxes/${id}/`, 'records'] });
    assert.equal(await blobs.exists(blobKeys.recipientDocument(id, 0)), false);
    assert.equal(await records.getFax(id), undefined);
    assert.equal((await purge()).status, 404);

    const audit = await (await fetch(`${gw.httpUrl}/api/v1/audit?format=jsonl`, { headers })).text();
    const line = audit.trim().split('\n').map((l) => JSON.parse(l) as { id: string; event: string; actor?: string; detail?: string }).find((l) => l.id === id && l.event === 'purged');
    assert.equal(line?.actor, 'console:admin');
    assert.match(line?.detail ?? '', /DSR-9/);

    assert.equal((await fetch(`${gw.httpUrl}/api/v1/faxes/not-a-fax/purge`, { method: 'POST', headers, body: '{}' })).status, 400);
    assert.equal((await fetch(`${gw.httpUrl}/api/v1/faxes/${id}/purge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status, 401);
  } finally {
    await gw.stop();
  }
});
