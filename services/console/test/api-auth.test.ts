import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, simCalls, startApiGateway } from './api-harness.ts';

// Issue 15: API tokens with scopes, stored hashed; a token sees its own user's faxes only
// unless read-all; admin routes stay the admin's; cancel/hold/release through the API.

let g: TestGateway<RunningGateway>;
before(async () => {
  g = await startApiGateway('faxgate-api-auth', {
    // Calls last seconds, so one can be cancelled while on the line.
    FAXGATE_SIM_TIME_SCALE: '0.1',
    FAXGATE_INBOUND_UNADDRESSED: 'faxadmin@example.com',
    // The toll-fraud brake of mail applies to the API too.
    FAXGATE_QUOTA_SENDER_DESTINATIONS_PER_HOUR: '3',
  }, 'unaddressed: faxadmin@example.com\nusers:\n  - id: frank\n    emails: [frank@example.com]\n    dids: ["+12125550177"]\nroutes: []\n');
});
after(async () => {
  await g?.dispose();
});

const basic = `Basic ${Buffer.from('admin:pw').toString('base64')}`;
const fax = (id: string, token: string) => api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token });

test('tokens: created by the admin, listed without secrets, stored only as a digest, refused once revoked', async () => {
  const created = await api(g.gw, 'POST', '/api/v1/tokens', { headers: { authorization: basic }, body: { user: 'dora', scopes: ['read-own'], name: 'reports' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const secret: string = created.body.token;
  assert.match(secret, /^fgt_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual([created.body.user, created.body.scopes, created.body.createdBy], ['dora', ['read-own'], 'admin']);

  const listed = await api(g.gw, 'GET', '/api/v1/tokens', { token: ADMIN_TOKEN });
  const mine = listed.body.tokens.find((t: { id: string }) => t.id === created.body.id);
  assert.ok(mine);
  assert.equal(mine.token, undefined, 'the list never shows a secret');
  assert.ok(!JSON.stringify(listed.body).includes(secret.slice(22)));

  // Nothing in Redis holds the secret: only its SHA-256.
  const prefix = g.env.FAXGATE_QUEUE_PREFIX;
  const keys = await g.gw.ctx.redis.keys(`${prefix}:api:token*`);
  assert.ok(keys.length >= 2);
  for (const k of keys) {
    const dump = JSON.stringify((await g.gw.ctx.redis.type(k)) === 'hash' ? await g.gw.ctx.redis.hgetall(k) : await g.gw.ctx.redis.zrange(k, 0, -1));
    assert.ok(!dump.includes(secret.slice(22)), `${k} holds the secret`);
  }

  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes', { token: secret })).status, 200);
  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes', { token: `${secret.slice(0, -1)}x` })).status, 401, 'a wrong secret for a real id');
  assert.equal((await api(g.gw, 'DELETE', `/api/v1/tokens/${created.body.id}`, { token: ADMIN_TOKEN })).status, 200);
  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes', { token: secret })).status, 401, 'revoked');
  assert.equal((await api(g.gw, 'DELETE', `/api/v1/tokens/${created.body.id}`, { token: ADMIN_TOKEN })).status, 404);
  assert.equal((await api(g.gw, 'POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { user: 'x', scopes: ['root'] } })).status, 400, 'an unknown scope');
});

test('scopes: a read-own token sees only its user\'s faxes; without send it cannot send; only admin reaches tokens, the directory and Bull Board', async () => {
  const alice = await makeToken(g.gw, 'alice', ['send', 'read-own'], 'alice@example.com');
  const bob = await makeToken(g.gw, 'bob', ['send', 'read-own']);
  const reader = await makeToken(g.gw, 'audit', ['read-all']);
  const viewer = await makeToken(g.gw, 'viewer', ['read-own']);
  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['2125550140'], cover: 'none', message: 'for alice only' } });
  assert.equal(sent.status, 202);
  const id = sent.body.id;

  assert.equal((await fax(id, alice)).status, 200);
  assert.equal((await fax(id, reader)).status, 200, 'read-all sees every fax');
  assert.equal((await fax(id, bob)).status, 404, 'another user\'s fax is not found');
  assert.equal((await api(g.gw, 'GET', `/api/v1/faxes/${id}/document`, { token: bob })).status, 404);
  assert.equal((await api(g.gw, 'GET', `/api/v1/faxes/${id}/pages/1.png`, { token: bob })).status, 404);
  assert.equal((await api(g.gw, 'POST', `/api/v1/faxes/${id}/resend`, { token: bob, body: {} })).status, 404);
  assert.equal((await api(g.gw, 'POST', `/api/v1/faxes/${id}/cancel`, { token: bob, body: {} })).status, 404);
  const bobsList = await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: bob });
  assert.ok(!bobsList.body.faxes.some((f: { id: string }) => f.id === id), 'not in bob\'s list');
  const readersList = await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: reader });
  assert.ok(readersList.body.faxes.some((f: { id: string }) => f.id === id));

  const noSend = await api(g.gw, 'POST', '/api/v1/faxes', { token: viewer, body: { numbers: ['2125550141'], message: 'x' } });
  assert.equal(noSend.status, 403);
  assert.match(noSend.body.error, /scope send/);
  for (const [method, path] of [['GET', '/api/v1/tokens'], ['GET', '/queues'], ['GET', '/api/v1/users'], ['GET', '/api/v1/lines'], ['POST', '/api/v1/tokens']]) {
    const r = await api(g.gw, method, path, { token: alice, ...(method === 'POST' ? { body: { user: 'eve', scopes: ['admin'] } } : {}) });
    assert.equal(r.status, 403, `${method} ${path}`);
  }
  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes')).status, 401, 'no credentials');
});

test('state-changing routes refuse cross-site requests made with the browser\'s basic auth; a bearer script may post multipart', async () => {
  const form = () => {
    const f = new FormData();
    f.append('numbers', '2125550150');
    f.append('file', new Blob(['text\n']), 'a.txt');
    return f;
  };
  const before = (await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: ADMIN_TOKEN })).body.faxes.length;
  const viaForm = await api(g.gw, 'POST', '/api/v1/faxes', { headers: { authorization: basic }, body: form() });
  assert.equal(viaForm.status, 403, 'a multipart form with basic auth only (what a foreign page can make a browser send)');
  const foreign = await api(g.gw, 'POST', '/api/v1/faxes', { headers: { authorization: basic, origin: 'https://evil.example' }, body: { numbers: ['2125550150'], message: 'x' } });
  assert.equal(foreign.status, 403);
  const revoke = await api(g.gw, 'POST', '/api/v1/tokens', { headers: { authorization: basic, 'sec-fetch-site': 'cross-site' }, body: { user: 'eve', scopes: ['admin'] } });
  assert.equal(revoke.status, 403);
  assert.equal((await api(g.gw, 'GET', '/api/v1/faxes?limit=500', { token: ADMIN_TOKEN })).body.faxes.length, before, 'nothing was sent');
  const script = await api(g.gw, 'POST', '/api/v1/faxes', { token: await makeToken(g.gw, 'script', ['send']), body: form() });
  assert.equal(script.status, 202, JSON.stringify(script.body));
});

test('cancel mid-call on a simulated line ends the call; hold and release put a fax aside and back', async () => {
  const erin = await makeToken(g.gw, 'erin', ['send', 'read-own']);
  const long = await api(g.gw, 'POST', '/api/v1/faxes', { token: erin, body: { numbers: ['2125550160'], message: Array.from({ length: 400 }, (_, i) => `line ${i} of a long message`).join('\n') } });
  assert.equal(long.status, 202);
  await waitUntil('the call to be on the line', async () => (await fax(long.body.id, erin)).body.recipients?.[0]?.state === 'calling', 60_000, 100);
  const cancelled = await api(g.gw, 'POST', `/api/v1/faxes/${long.body.id}/cancel`, { token: erin, body: { reason: 'wrong document' } });
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  assert.deepEqual(cancelled.body.changed, [0]);
  const after = await waitUntil('the cancelled call to end', async () => {
    const r = (await fax(long.body.id, erin)).body;
    const a = r.recipients[0].attemptsDetail[0];
    return a?.endedAt ? r : undefined;
  }, 30_000, 100);
  const r0 = after.recipients[0];
  assert.equal(r0.state, 'cancelled');
  assert.match(r0.reason, /cancelled by erin \(api token [a-z0-9]+\): wrong document/);
  assert.ok(r0.pagesSent < r0.pagesTotal, `the call ended before every page was sent (${r0.pagesSent} of ${r0.pagesTotal})`);
  assert.deepEqual(await simCalls(g.dataDir, long.body.id), [], 'the remote kept no complete fax');

  const later = await api(g.gw, 'POST', '/api/v1/faxes', { token: erin, body: { numbers: ['2125550161'], cover: 'none', message: 'later', send_at: new Date(Date.now() + 3_600_000).toISOString() } });
  assert.equal(later.status, 202);
  await waitUntil('the later fax to be rendered', async () => (await fax(later.body.id, erin)).body.state === 'rendered', 60_000, 100);
  const held = await api(g.gw, 'POST', `/api/v1/faxes/${later.body.id}/hold`, { token: erin, body: {} });
  assert.deepEqual(held.body.changed, [0]);
  assert.equal((await fax(later.body.id, erin)).body.recipients[0].state, 'held');
  const released = await api(g.gw, 'POST', `/api/v1/faxes/${later.body.id}/release`, { token: erin, body: {} });
  assert.deepEqual(released.body.changed, [0]);
  assert.notEqual((await fax(later.body.id, erin)).body.recipients[0].state, 'held');
});

test('received faxes: the owner (directory user) sees them with thumbnails, filtered by number; others do not; the admin re-delivers one', async () => {
  const frank = await makeToken(g.gw, 'frank', ['read-own']);
  const bob = await makeToken(g.gw, 'bob2', ['read-own']);
  // A fax TIFF to offer: what faxgate rendered for an earlier fax (two pages).
  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: ADMIN_TOKEN, body: { numbers: ['2125550170'], cover: 'none', message: `page one\f page two` } });
  await waitUntil('a rendered fax', async () => ['rendered', 'done'].includes((await fax(sent.body.id, ADMIN_TOKEN)).body.state), 60_000, 100);
  const tiff = (await api(g.gw, 'GET', `/api/v1/faxes/${sent.body.id}/document?format=tiff`, { token: ADMIN_TOKEN })).body as Buffer;
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?did=%2B12125550177&from=%2B14155550123&csid=ACME`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
  assert.equal(offer.status, 202);
  const { inboundId } = (await offer.json()) as { inboundId: string };
  const rec = await waitUntil('the received fax to be routed', async () => {
    const r = await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: ADMIN_TOKEN });
    return r.body.route ? r.body : undefined;
  }, 60_000, 100);
  assert.equal(rec.route.user, 'frank');

  const mine = await api(g.gw, 'GET', '/api/v1/inbound?number=2125550177', { token: frank });
  assert.equal(mine.status, 200);
  assert.deepEqual(mine.body.faxes.map((f: { id: string }) => f.id), [inboundId]);
  const thumbs: string[] = mine.body.faxes[0].thumbnails;
  assert.equal(thumbs.length, rec.pages);
  const png = await api(g.gw, 'GET', thumbs[0], { token: frank });
  assert.equal(png.status, 200);
  assert.deepEqual([...png.body.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal((await api(g.gw, 'GET', '/api/v1/inbound?number=2125550999', { token: frank })).body.faxes.length, 0);
  assert.equal((await api(g.gw, 'GET', '/api/v1/inbound?sender=acme', { token: frank })).body.faxes.length, 1, 'by the CSID');
  assert.equal((await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}/document`, { token: frank })).headers.get('content-type'), 'application/pdf');

  // Re-delivered by the admin to other addresses: a new delivery, mailed by the notifier.
  assert.equal((await api(g.gw, 'POST', `/api/v1/inbound/${inboundId}/redeliver`, { token: frank, body: {} })).status, 403, 'an admin action');
  const again = await api(g.gw, 'POST', `/api/v1/inbound/${inboundId}/redeliver`, { token: ADMIN_TOKEN, body: { to: ['records@example.com'] } });
  assert.equal(again.status, 202, JSON.stringify(again.body));
  const mail = await g.sink.waitFor((m) => m.to.includes('records@example.com'), 60_000);
  assert.equal(mail.parsed.headers.get('x-faxgate-inbound-id'), inboundId);
  assert.ok(mail.parsed.attachments.some((a) => a.contentType === 'application/pdf'));
  const redelivered = await waitUntil('the redelivery to be recorded as sent', async () => {
    const v = (await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: ADMIN_TOKEN })).body;
    return v.deliveries?.[again.body.delivery]?.state === 'sent' ? v : undefined;
  }, 30_000, 200);
  assert.ok(redelivered.timeline.some((e: { event: string }) => e.event === 'redelivery'));
  const toUser = await api(g.gw, 'POST', `/api/v1/inbound/${inboundId}/redeliver`, { token: ADMIN_TOKEN, body: { user: 'nobody' } });
  assert.equal(toUser.status, 404);

  assert.equal((await api(g.gw, 'GET', '/api/v1/inbound', { token: bob })).body.faxes.length, 0, 'bob owns no received fax');
  assert.equal((await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: bob })).status, 404);
  assert.equal((await api(g.gw, 'GET', thumbs[0], { token: bob })).status, 404);
});

test('received faxes: state and time filters, and cursor paging that walks each of the owner\'s faxes once', async () => {
  const frank = await makeToken(g.gw, 'frank', ['read-own']);
  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: ADMIN_TOKEN, body: { numbers: ['2125550172'], cover: 'none', message: 'one page to receive' } });
  const tiff = await waitUntil('a rendered fax to offer', async () => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${sent.body.id}/document?format=tiff`, { token: ADMIN_TOKEN });
    return r.status === 200 ? (r.body as Buffer) : undefined;
  }, 60_000, 100);
  const offer = async (query: string) => {
    const r = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?${query}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
    assert.equal(r.status, 202, await r.clone().text());
    return ((await r.json()) as { inboundId: string }).inboundId;
  };
  const t0 = new Date(Date.now() - 1000).toISOString();
  const mine: string[] = [];
  for (let i = 1; i <= 3; i++) mine.push(await offer(`did=%2B12125550177&from=%2B1415555020${i}&csid=PAGE${i}`));
  // A call that ends before its first page: failed, routed to nobody.
  const empty = await offer('did=%2B12125550177&from=%2B14155550209&failAfter=0');
  const states = async () => Promise.all([...mine, empty].map(async (id) => (await api(g.gw, 'GET', `/api/v1/inbound/${id}`, { token: ADMIN_TOKEN })).body.state as string));
  await waitUntil('three faxes delivered and the empty call failed', async () => (await states()).join() === 'delivered,delivered,delivered,failed', 60_000, 200).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await states())}`);
  });
  const t1 = new Date(Date.now() + 1000).toISOString();

  // Frank's received faxes since t0, two a page: each once, newest first, then no cursor.
  const seen: Array<{ id: string; createdAt: string }> = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const r = await api(g.gw, 'GET', `/api/v1/inbound?from=${encodeURIComponent(t0)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: frank });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.faxes.length <= 2);
    seen.push(...r.body.faxes);
    cursor = r.body.next_cursor;
    pages++;
  } while (cursor && pages < 10);
  assert.equal(pages, 2);
  assert.deepEqual(seen.map((f) => f.id).sort(), [...mine].sort(), 'each of frank\'s once; the failed call is nobody\'s');
  assert.ok(seen.every((f, i) => i === 0 || f.createdAt <= seen[i - 1].createdAt), 'newest first');

  const ids = async (query: string) => ((await api(g.gw, 'GET', `/api/v1/inbound?${query}&limit=100`, { token: ADMIN_TOKEN })).body.faxes as Array<{ id: string }>).map((f) => f.id).sort();
  const since = `from=${encodeURIComponent(t0)}`;
  assert.deepEqual(await ids(`${since}&state=failed`), [empty]);
  assert.deepEqual(await ids(`${since}&state=delivered`), [...mine].sort());
  assert.deepEqual(await ids(`${since}&to=${encodeURIComponent(t1)}`), [...mine, empty].sort());
  assert.deepEqual(await ids(`to=${encodeURIComponent(t0)}`).then((l) => l.filter((id) => [...mine, empty].includes(id))), [], 'none before t0');
  assert.deepEqual(await ids(`from=${encodeURIComponent(t1)}`), []);
  assert.deepEqual(await ids(`${since}&sender=page2`), [mine[1]], 'by CSID');
  assert.deepEqual(await ids(`${since}&sender=%2B14155550203`), [mine[2]], 'by calling number');
  assert.equal((await api(g.gw, 'GET', '/api/v1/inbound?to=yesterday', { token: frank })).status, 400);
});

test('the destination quota of mail holds for the API: a fourth new number within the hour is 429, a number already faxed is not', async () => {
  const quinn = await makeToken(g.gw, 'quinn', ['send', 'read-own'], 'quinn@example.com');
  const send = (numbers: string[]) => api(g.gw, 'POST', '/api/v1/faxes', { token: quinn, body: { numbers, cover: 'none', message: 'quota', send_at: new Date(Date.now() + 3_600_000).toISOString() } });
  assert.equal((await send(['2125550201', '2125550202'])).status, 202);
  assert.equal((await send(['2125550203'])).status, 202);
  const refused = await send(['2125550204']);
  assert.equal(refused.status, 429, JSON.stringify(refused.body));
  assert.equal(refused.body.problems[0].code, 'QUOTA_DESTINATIONS');
  assert.match(refused.body.error, /too many different fax numbers/);
  assert.equal((await send(['2125550201'])).status, 202, 'a number faxed within the hour is not a new destination');
  const mine = await api(g.gw, 'GET', '/api/v1/faxes?limit=100', { token: quinn });
  assert.equal(mine.body.faxes.length, 3, 'the refused request stored nothing');
});
