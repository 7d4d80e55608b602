import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runRoles } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv, type TempDir, type TestRedis } from '@faxgate/testkit';
import { newFaxId } from '@faxgate/queue';
import { consoleRole } from '@faxgate/console';

// Issue 19: GET /api/v1/audit exports the audit trail by date range as CSV or JSON lines, for
// the admin only.

let redis: TestRedis;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-console-audit');
});
after(async () => {
  await redis.dispose();
  await dir.remove();
});

const auth = { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` };

test('the audit export gives each fax\'s lines in CSV and JSON lines for a date range, and refuses bad input', async () => {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '' }, { FAXGATE_CONSOLE_PASSWORD: 'pw' });
  env.FAXGATE_DATA_DIR = join(dir.path, env.FAXGATE_QUEUE_PREFIX);
  const gw = await runRoles([consoleRole], { env });
  try {
    const from = new Date(Date.now() - 60_000).toISOString();
    const id = newFaxId();
    await gw.ctx.records.create(
      { id, state: 'queued', createdAt: new Date().toISOString(), sender: 'alice@example.com', messageKey: `messages/${id}.eml`, messageBytes: 10, recipientCount: 1 },
      [{ index: 0, address: '12125550100@fax.localhost', number: '+12125550100', dialString: '12125550100', state: 'waiting', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 }],
    );
    await gw.ctx.records.event(id, 'rendered', '1 document page(s)');
    await gw.ctx.records.event(id, 'call success', '2 page(s), "fine", thanks', 0);
    const to = new Date(Date.now() + 60_000).toISOString();

    const csv = await fetch(`${gw.httpUrl}/api/v1/audit?from=${from}&to=${to}&format=csv`, { headers: auth });
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.match(csv.headers.get('content-disposition') ?? '', new RegExp(`faxgate-audit-${from.slice(0, 10)}-${to.slice(0, 10)}\\.csv`));
    const rows = (await csv.text()).split('\r\n');
    assert.equal(rows[0], 'at,subject,id,recipient,event,detail,actor');
    assert.match(rows[1], new RegExp(`^\\S+,fax,${id},,accepted,"from alice@example.com, 1 recipient\\(s\\), 10 bytes",$`));
    assert.match(rows[2], new RegExp(`,fax,${id},,rendered,1 document page\\(s\\),$`));
    assert.match(rows[3], new RegExp(`,fax,${id},0,call success,"2 page\\(s\\), ""fine"", thanks",$`));
    assert.equal(rows.length, 5, 'three lines, a header and the final CRLF');

    const jsonl = await fetch(`${gw.httpUrl}/api/v1/audit?format=jsonl`, { headers: auth });
    assert.equal(jsonl.status, 200);
    assert.match(jsonl.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = (await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as { id: string; event: string; recipient?: number });
    assert.deepEqual(lines.map((l) => [l.id, l.event, l.recipient]), [[id, 'accepted', undefined], [id, 'rendered', undefined], [id, 'call success', 0]]);

    const dayBefore = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const none = await fetch(`${gw.httpUrl}/api/v1/audit?from=${dayBefore}&to=${dayBefore}`, { headers: auth });
    assert.equal(await none.text(), 'at,subject,id,recipient,event,detail,actor\r\n', 'nothing happened the day before yesterday');

    assert.equal((await fetch(`${gw.httpUrl}/api/v1/audit?format=xml`, { headers: auth })).status, 400);
    const bad = await fetch(`${gw.httpUrl}/api/v1/audit?from=last-week`, { headers: auth });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /"from" must be a date/);
    assert.equal((await fetch(`${gw.httpUrl}/api/v1/audit`)).status, 401, 'not without credentials');
  } finally {
    await gw.stop();
  }
});
