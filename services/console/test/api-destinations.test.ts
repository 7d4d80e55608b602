import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { AuditLog } from '@faxgate/audit';
import { Destinations } from '@faxgate/destinations';
import { waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, startApiGateway } from './api-harness.ts';

// Issue 14: destination memory through the REST API. Reads need read-all, edits admin; a block
// made through the API stops the next fax to the number (dispatch reads the same store), and
// every edit leaves an audit line naming who made it.

let g: TestGateway<RunningGateway>;
let redis: Redis;
let store: Destinations;
let reader: string;
let sender: string;
before(async () => {
  g = await startApiGateway('faxgate-api-destinations');
  redis = new Redis(g.env.FAXGATE_REDIS_URL);
  store = new Destinations(redis, g.env.FAXGATE_QUEUE_PREFIX);
  reader = await makeToken(g.gw, 'auditor', ['read-all']);
  sender = await makeToken(g.gw, 'bob', ['send', 'read-own'], 'bob@example.com');
});
after(async () => {
  redis?.disconnect();
  await g?.dispose();
});

const policy = { maxFailures: 3, failureWindowMs: 3_600_000, holdMs: 3_600_000 };

test('what was learned about a number is listed and shown to read-all, in E.164 whatever form the path gives', async () => {
  await store.learn('+12125550140', { callId: 'c1', result: 'success', at: new Date(Date.now() - 60_000).toISOString(), pagesSent: 2, remote: { csi: 'ACME SALES', speed: 9600, dis: { rates: [2400, 4800, 7200, 9600], ecm: true } } }, policy);
  await store.learn('+12125550141', { callId: 'c2', result: 'no-carrier', at: new Date().toISOString(), remote: { noFaxTone: true } }, policy);

  const list = await api(g.gw, 'GET', '/api/v1/destinations', { token: reader });
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.deepEqual(list.body.destinations.map((d: { number: string; status: string }) => `${d.number} ${d.status}`), ['+12125550141 held', '+12125550140 ok'], 'newest call first, with whether it is dialled');
  assert.match(list.body.destinations[0].refusal.detail, /without a fax tone/);

  const one = await api(g.gw, 'GET', `/api/v1/destinations/${encodeURIComponent('(212) 555-0140')}`, { token: reader });
  assert.equal(one.status, 200, JSON.stringify(one.body));
  assert.equal(one.body.number, '+12125550140');
  assert.equal(one.body.csi, 'ACME SALES');
  assert.equal(one.body.lastGoodSpeed, 9600);
  assert.deepEqual(one.body.dis.rates, [2400, 4800, 7200, 9600], 'the DIS survives the response schema');

  assert.equal((await api(g.gw, 'GET', '/api/v1/destinations/+12125550149', { token: reader })).status, 404);
  assert.equal((await api(g.gw, 'GET', '/api/v1/destinations/not-a-number', { token: reader })).status, 400);
  const denied = await api(g.gw, 'GET', '/api/v1/destinations', { token: sender });
  assert.equal(denied.status, 403, 'a sender does not see the numbers everyone faxed');
  assert.match(denied.body.error, /read-all/);
  assert.equal((await api(g.gw, 'GET', '/api/v1/destinations')).status, 401);
});

test('an admin blocks a number through the API: the next fax to it fails with the reason, unblock lets faxes through, forget drops it, each edit audited', async () => {
  const number = '+12125550142';
  const from = Date.now();
  assert.equal((await api(g.gw, 'POST', `/api/v1/destinations/${number}/block`, { token: reader, body: { reason: 'x' } })).status, 403, 'read-all does not edit');
  const blocked = await api(g.gw, 'POST', `/api/v1/destinations/${number}/block`, { token: ADMIN_TOKEN, body: { reason: 'the owner asked us to stop' } });
  assert.equal(blocked.status, 200, JSON.stringify(blocked.body));
  assert.equal(blocked.body.status, 'blocked');
  assert.equal((await store.refusal(number))?.code, 'DESTINATION_BLOCKED', 'the store dispatch reads has the block');

  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: sender, body: { numbers: [number], message: 'Please call back.' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const fax = await waitUntil(`fax ${sent.body.id} to fail`, async () => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${sent.body.id}`, { token: ADMIN_TOKEN });
    return r.body.state === 'done' || r.body.state === 'failed' ? r.body : undefined;
  }, 60_000, 200).catch(async (err) => {
    throw new Error(`${(err as Error).message}; the fax: ${JSON.stringify((await api(g.gw, 'GET', `/api/v1/faxes/${sent.body.id}`, { token: ADMIN_TOKEN })).body)}`);
  });
  assert.equal(fax.recipients[0].state, 'failed', JSON.stringify(fax));
  assert.equal(fax.recipients[0].errorCode, 'DESTINATION_BLOCKED');
  assert.match(fax.recipients[0].reason, /the owner asked us to stop/);

  const unblocked = await api(g.gw, 'POST', `/api/v1/destinations/${number}/unblock`, { token: ADMIN_TOKEN });
  assert.equal(unblocked.status, 200, JSON.stringify(unblocked.body));
  assert.equal(unblocked.body.status, 'ok');
  assert.equal(unblocked.body.blocked, undefined);
  assert.equal(await store.refusal(number), undefined);

  const forgot = await api(g.gw, 'POST', `/api/v1/destinations/${number}/forget`, { token: ADMIN_TOKEN });
  assert.deepEqual(forgot.body, { number, forgotten: true });
  assert.equal(await store.get(number), undefined);
  assert.deepEqual((await api(g.gw, 'POST', `/api/v1/destinations/${number}/forget`, { token: ADMIN_TOKEN })).body, { number, forgotten: false });
  assert.equal((await api(g.gw, 'POST', `/api/v1/destinations/${number}/unblock`, { token: ADMIN_TOKEN })).status, 404, 'nothing to unblock');

  const lines = [];
  for await (const e of new AuditLog(redis, g.env.FAXGATE_QUEUE_PREFIX).range(from, Date.now() + 1)) if (e.subject === 'system' && e.event.startsWith('destination ')) lines.push(`${e.event} | ${e.detail} | ${e.actor}`);
  assert.deepEqual(lines, [
    `destination blocked | ${number}: the owner asked us to stop | console:admin`,
    `destination unblocked | ${number} | console:admin`,
    `destination forgotten | ${number} | console:admin`,
    `destination forgotten | ${number} | console:admin`,
  ]);
});

test('the OpenAPI document describes the destination routes', async () => {
  const doc = (await (await fetch(`${g.gw.httpUrl}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
  for (const [path, method] of [['/api/v1/destinations', 'get'], ['/api/v1/destinations/{number}', 'get'], ['/api/v1/destinations/{number}/block', 'post'], ['/api/v1/destinations/{number}/unblock', 'post'], ['/api/v1/destinations/{number}/forget', 'post']] as const) {
    assert.deepEqual(doc.paths[path]?.[method]?.tags, ['destinations'], `${method.toUpperCase()} ${path}`);
  }
});
