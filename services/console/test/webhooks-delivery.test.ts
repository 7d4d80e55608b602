import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { assertNothingFor, freePort, startTestGateway, waitUntil, type TestGateway } from '@faxgate/testkit';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { consoleRole } from '@faxgate/console';
import { readTiff } from '@faxgate/fax-image';
import { ADMIN_TOKEN, api, makeToken, startApiGateway } from './api-harness.ts';

const readTiffPages = (tiff: Buffer) => readTiff(tiff).length;

// Issue 15: webhooks. A real HTTP server receives them; the signature is checked with Node's
// crypto following docs/api.md (HMAC-SHA256 keyed with the secret over "<t>.<body>"), not with
// faxgate's signer; the receiver fails the first try of every event and the retry succeeds.

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

let g: TestGateway<RunningGateway>;
let receiver: Server;
let base: string;
const received: Received[] = [];
const triedOnce = new Set<string>();

before(async () => {
  const port = await freePort();
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const delivery = String(req.headers['faxgate-delivery'] ?? '');
      let answered = 200;
      if (req.url === '/down') {
        res.writeHead(503);
        answered = 503;
      } else if (req.url === '/gone') {
        res.writeHead(410);
        answered = 410;
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` });
        answered = 302;
      } else if (req.url === '/hook' && !triedOnce.has(delivery)) {
        // The first try of each event fails as a receiver that is down would.
        triedOnce.add(delivery);
        answered = 500;
        res.writeHead(500);
      } else res.writeHead(200);
      res.end(answered === 500 ? 'receiver down' : answered === 503 ? 'maintenance' : '');
      received.push({ path: req.url ?? '', headers: req.headers, body, answered });
    });
  });
  receiver.listen(port, '127.0.0.1');
  await once(receiver, 'listening');
  base = `http://127.0.0.1:${port}`;
  // Loopback receivers need the admin's explicit permission (off by default: see the last test).
  // A short backoff base (10 ms, doubled per try) lets the 12 tries of a dead receiver run out
  // within the test: about 40 s.
  // Calls to +1212555019x are rejected by the simulated remote (fax.failed); gina owns a DID (fax.received).
  g = await startApiGateway('faxgate-webhooks', { FAXGATE_WEBHOOK_ALLOW_PRIVATE: 'true', FAXGATE_JOB_BACKOFF: '10ms', FAXGATE_SIM_OUTCOMES: '+1212555019*=rejected' },
    'unaddressed: faxadmin@example.com\nusers:\n  - id: gina\n    emails: [gina@example.com]\n    dids: ["+12125550188"]\nroutes: []\n');
});
after(async () => {
  await g?.dispose();
  receiver?.close();
});

/** The receiver's side: Faxgate-Signature checked as docs/api.md tells a developer to. */
function verify(secret: string, header: string | undefined, body: string, toleranceS = 300): boolean {
  const parts = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`, 'utf8').digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}

test('a fax sent through the API is announced to its owner\'s webhook: signed, retried after a 500, logged per fax; another user\'s webhook hears nothing', async () => {
  const alice = await makeToken(g.gw, 'alice', ['send', 'read-own'], 'alice@example.com');
  const bob = await makeToken(g.gw, 'bob', ['send', 'read-own']);
  const made = await api(g.gw, 'POST', '/api/v1/webhooks', { token: alice, body: { url: `${base}/hook`, events: ['fax.queued', 'fax.sent', 'fax.failed'] } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.match(made.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.equal(made.body.user, 'alice');
  const secret: string = made.body.secret;
  const bobs = await api(g.gw, 'POST', '/api/v1/webhooks', { token: bob, body: { url: `${base}/bob` } });
  assert.equal(bobs.status, 201, JSON.stringify(bobs.body));

  // The secret is shown once: listing never returns it, and alice does not see bob's webhook.
  const listed = await api(g.gw, 'GET', '/api/v1/webhooks', { token: alice });
  assert.deepEqual(listed.body.webhooks.map((w: { id: string }) => w.id), [made.body.id]);
  assert.ok(!JSON.stringify(listed.body).includes(secret), 'no secret in the list');

  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['+1 212 555 0100'], cover: 'none', message: 'Webhook test fax.' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const faxId: string = sent.body.id;

  const ok = (type: string) => received.find((r) => r.path === '/hook' && r.answered === 200 && JSON.parse(r.body).type === type && JSON.parse(r.body).data.fax_id === faxId);
  const sentEvent = await waitUntil('fax.sent delivered to the receiver after its 500', () => ok('fax.sent'), 90_000, 200).catch(async (err) => {
    const log = await api(g.gw, 'GET', `/api/v1/faxes/${faxId}/webhooks`, { token: ADMIN_TOKEN });
    const fax = await api(g.gw, 'GET', `/api/v1/faxes/${faxId}`, { token: ADMIN_TOKEN });
    throw new Error(`${(err as Error).message}; received ${JSON.stringify(received.map((r) => [r.path, r.answered, r.body.slice(0, 80)]))}; log ${JSON.stringify(log.body)}; fax ${fax.body.state} ${JSON.stringify(fax.body.timeline)}`);
  });
  assert.ok(ok('fax.queued'), 'fax.queued came too');

  // Independent check of the signature, and that the same check refuses a changed body or another secret.
  assert.ok(verify(secret, sentEvent.headers['faxgate-signature'] as string, sentEvent.body), `signature ${sentEvent.headers['faxgate-signature']}`);
  assert.equal(verify(secret, sentEvent.headers['faxgate-signature'] as string, sentEvent.body.replace('fax.sent', 'fax.failed')), false);
  assert.equal(verify(`${secret}x`, sentEvent.headers['faxgate-signature'] as string, sentEvent.body), false);
  assert.equal(sentEvent.headers['faxgate-event'], 'fax.sent');
  const event = JSON.parse(sentEvent.body);
  assert.match(event.id, /^evt_\d+-\d+$/);
  assert.equal(event.data.state, 'done');
  assert.equal(event.data.user, 'alice');
  assert.equal(event.data.recipient.number, '+12125550100');
  assert.equal(event.data.recipient.state, 'sent');
  assert.ok(event.data.recipient.pages_sent >= 1);
  // The failed first try carried the same event.
  const tries = received.filter((r) => r.path === '/hook' && r.headers['faxgate-delivery'] === sentEvent.headers['faxgate-delivery']);
  assert.deepEqual(tries.map((r) => r.answered), [500, 200]);

  // The delivery log of the fax shows both tries.
  const log = await waitUntil('the delivery log to show fax.sent delivered', async () => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${faxId}/webhooks`, { token: alice });
    return r.body.deliveries?.some((d: { event: string; outcome: string }) => d.event === 'fax.sent' && d.outcome === 'delivered') ? r.body.deliveries : undefined;
  }, 20_000);
  const sentTries = log.filter((d: { event: string }) => d.event === 'fax.sent').map((d: { attempt: number; outcome: string; status: number; error?: string }) => [d.attempt, d.outcome, d.status, d.error]);
  assert.deepEqual(sentTries, [[1, 'retrying', 500, 'HTTP 500: receiver down'], [2, 'delivered', 200, undefined]]);
  // Bob may not read alice's delivery log (her fax is "not found" to him).
  assert.equal((await api(g.gw, 'GET', `/api/v1/faxes/${faxId}/webhooks`, { token: bob })).status, 404);
  await assertNothingFor('a post to bob\'s webhook about alice\'s fax', () => received.find((r) => r.path === '/bob'), 2_000);
});

test('fax.failed, fax.cancelled and fax.received reach their owner\'s webhook, signed, with what happened', async () => {
  const gina = await makeToken(g.gw, 'gina', ['send', 'read-own'], 'gina@example.com');
  const made = await api(g.gw, 'POST', '/api/v1/webhooks', { token: gina, body: { url: `${base}/events`, events: ['fax.failed', 'fax.cancelled', 'fax.received'] } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const secret: string = made.body.secret;
  const events = () => received.filter((r) => r.path === '/events').map((r) => ({ ...r, event: JSON.parse(r.body) }));
  const arrived = (what: string, pick: (e: any) => boolean) =>
    waitUntil(`${what} at the receiver`, () => events().find((r) => pick(r.event)), 90_000, 200).catch((err) => {
      throw new Error(`${(err as Error).message}; received ${JSON.stringify(received.map((r) => [r.path, r.answered, r.body.slice(0, 120)]))}`);
    });

  // Failed: the remote rejects the call.
  const failing = await api(g.gw, 'POST', '/api/v1/faxes', { token: gina, body: { numbers: ['2125550190'], cover: 'none', message: 'to a number that rejects' } });
  assert.equal(failing.status, 202, JSON.stringify(failing.body));
  // Cancelled: a fax for tomorrow, cancelled once it waits.
  const later = await api(g.gw, 'POST', '/api/v1/faxes', { token: gina, body: { numbers: ['2125550171'], cover: 'none', message: 'for tomorrow', send_at: new Date(Date.now() + 86_400_000).toISOString() } });
  assert.equal(later.status, 202, JSON.stringify(later.body));
  // Its rendered page is what a simulated remote later sends to gina's DID.
  let last: unknown;
  const tiff = await waitUntil(`fax ${later.body.id} rendered and waiting`, async () => {
    const f = await api(g.gw, 'GET', `/api/v1/faxes/${later.body.id}`, { token: gina });
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${later.body.id}/document?format=tiff`, { token: gina });
    last = { fax: f.body, document: r.status };
    return f.body.recipients?.[0]?.state === 'waiting' && r.status === 200 ? (r.body as Buffer) : undefined;
  }, 60_000, 200).catch((err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(last)}`);
  });
  assert.equal((await api(g.gw, 'POST', `/api/v1/faxes/${later.body.id}/cancel`, { token: gina, body: { reason: 'not needed' } })).status, 200);
  // Received: that page, offered on a simulated line to gina's DID.
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?did=%2B12125550188&from=%2B14155550123&csid=ACME`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
  assert.equal(offer.status, 202, await offer.clone().text());
  const { inboundId } = (await offer.json()) as { inboundId: string };

  const failed = await arrived('fax.failed', (e) => e.type === 'fax.failed' && e.data.fax_id === failing.body.id);
  assert.ok(verify(secret, failed.headers['faxgate-signature'] as string, failed.body), 'fax.failed is signed');
  assert.equal(failed.headers['faxgate-event'], 'fax.failed');
  assert.equal(failed.event.data.recipient.number, '+12125550190');
  assert.equal(failed.event.data.recipient.state, 'failed');
  assert.ok(failed.event.data.recipient.reason, 'the reason is given');
  assert.equal(failed.event.data.user, 'gina');

  const cancelled = await arrived('fax.cancelled', (e) => e.type === 'fax.cancelled' && e.data.fax_id === later.body.id);
  assert.ok(verify(secret, cancelled.headers['faxgate-signature'] as string, cancelled.body), 'fax.cancelled is signed');
  assert.equal(cancelled.event.data.recipient.state, 'cancelled');
  assert.match(cancelled.event.data.recipient.reason, /not needed/);

  const got = await arrived('fax.received', (e) => e.type === 'fax.received' && e.data.inbound_id === inboundId);
  assert.ok(verify(secret, got.headers['faxgate-signature'] as string, got.body), 'fax.received is signed');
  assert.deepEqual([got.event.data.did, got.event.data.calling_number, got.event.data.csid, got.event.data.user, got.event.data.route.rule], ['+12125550188', '+14155550123', 'ACME', 'gina', 'did']);
  assert.equal(got.event.data.pages, readTiffPages(tiff));
  // What the event points to is gina's to fetch with her token.
  const pdf = await api(g.gw, 'GET', got.event.data.document_url, { token: gina });
  assert.equal(pdf.status, 200);
  assert.equal(pdf.headers.get('content-type'), 'application/pdf');
  // Only the subscribed events came: no fax.queued or fax.sent for gina's faxes.
  assert.deepEqual([...new Set(events().map((r) => r.event.type))].sort(), ['fax.cancelled', 'fax.failed', 'fax.received']);
});

test('webhooks test sends a signed sample at once; a redirect is not followed; only the owner or an admin may delete', async () => {
  const carol = await makeToken(g.gw, 'carol', ['read-own']);
  const dave = await makeToken(g.gw, 'dave', ['send']);
  const made = await api(g.gw, 'POST', '/api/v1/webhooks', { token: carol, body: { url: `${base}/sample` } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const t = await api(g.gw, 'POST', `/api/v1/webhooks/${made.body.id}/test`, { token: carol, body: {} });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  assert.equal(t.body.ok, true);
  assert.equal(t.body.status, 200);
  const sample = received.find((r) => r.path === '/sample');
  assert.ok(sample, 'the receiver got the sample');
  assert.equal(JSON.parse(sample.body).type, 'webhook.test');
  assert.ok(verify(made.body.secret, sample.headers['faxgate-signature'] as string, sample.body));

  const redirecting = await api(g.gw, 'POST', '/api/v1/webhooks', { token: carol, body: { url: `${base}/redirect` } });
  const r = await api(g.gw, 'POST', `/api/v1/webhooks/${redirecting.body.id}/test`, { token: carol, body: {} });
  assert.equal(r.body.ok, false);
  assert.equal(r.body.status, 302);
  assert.match(r.body.error, /redirect to .*\/elsewhere not followed/);
  assert.ok(!received.some((x) => x.path === '/elsewhere'), 'the redirect target was not called');

  // Dave cannot see or delete carol's webhooks; the admin can.
  assert.equal((await api(g.gw, 'DELETE', `/api/v1/webhooks/${made.body.id}`, { token: dave })).status, 404);
  assert.equal((await api(g.gw, 'POST', `/api/v1/webhooks/${made.body.id}/test`, { token: dave, body: {} })).status, 404);
  const del = await api(g.gw, 'DELETE', `/api/v1/webhooks/${made.body.id}`, { token: ADMIN_TOKEN });
  assert.equal(del.status, 200);
  const left = await api(g.gw, 'GET', '/api/v1/webhooks', { token: carol });
  assert.deepEqual(left.body.webhooks.map((w: { id: string }) => w.id), [redirecting.body.id]);
  // A read-own token may not ask for every fax.
  assert.equal((await api(g.gw, 'POST', '/api/v1/webhooks', { token: carol, body: { url: `${base}/x`, all: true } })).status, 403);
});

test('a receiver that stays down gets every try, then the delivery gives up with the last error kept; a 410 ends it at the first try', async () => {
  const frank = await makeToken(g.gw, 'frank', ['send', 'read-own']);
  const down = await api(g.gw, 'POST', '/api/v1/webhooks', { token: frank, body: { url: `${base}/down`, events: ['fax.queued'] } });
  const gone = await api(g.gw, 'POST', '/api/v1/webhooks', { token: frank, body: { url: `${base}/gone`, events: ['fax.queued'] } });
  assert.equal(down.status, 201);
  assert.equal(gone.status, 201);
  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: frank, body: { numbers: ['+1 212 555 0100'], cover: 'none', message: 'Nobody listens.' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  const log = await waitUntil('the delivery to the dead receiver to give up', async () => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${sent.body.id}/webhooks`, { token: frank });
    return r.body.deliveries?.some((d: { webhook: string; outcome: string }) => d.webhook === down.body.id && d.outcome === 'failed') ? r.body.deliveries : undefined;
  }, 100_000, 500).catch(async (err) => {
    const r = await api(g.gw, 'GET', `/api/v1/faxes/${sent.body.id}/webhooks`, { token: frank });
    throw new Error(`${(err as Error).message}: ${JSON.stringify(r.body)}`);
  });
  const tries = log.filter((d: { webhook: string }) => d.webhook === down.body.id);
  assert.deepEqual(tries.map((d: { attempt: number }) => d.attempt), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 'twelve tries');
  assert.ok(tries.slice(0, 11).every((d: { outcome: string }) => d.outcome === 'retrying'));
  assert.equal(tries[11].outcome, 'failed');
  assert.equal(tries[11].error, 'HTTP 503: maintenance', 'the last error is kept');
  assert.equal(received.filter((r) => r.path === '/down').length, 12);
  const goneTries = log.filter((d: { webhook: string }) => d.webhook === gone.body.id).map((d: { attempt: number; outcome: string; status: number }) => [d.attempt, d.outcome, d.status]);
  assert.deepEqual(goneTries, [[1, 'failed', 410]], 'a 4xx is not retried');
});

/** The faxgate command as a user runs it, against the test gateway. */
function faxgate(token: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(import.meta.dirname, '../../cli/src/main.ts'), ...args], { timeout: 60_000, env: { PATH: process.env.PATH, FAXGATE_URL: g.gw.httpUrl, FAXGATE_TOKEN: token } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('faxgate webhooks add, list, test and rm', async () => {
  const erin = await makeToken(g.gw, 'erin', ['send']);
  const add = await faxgate(erin, 'webhooks', 'add', `${base}/cli`, '--event', 'fax.sent', '--description', 'from the CLI');
  assert.equal(add.code, 0, add.stderr);
  const id = /^(wh[0-9a-f]{16}) /.exec(add.stdout)?.[1];
  assert.ok(id, add.stdout);
  const secret = /signing secret \(shown once, keep it now\): (whsec_\S+)/.exec(add.stdout)?.[1];
  assert.ok(secret, add.stdout);
  const list = await faxgate(erin, 'webhooks', 'list');
  assert.match(list.stdout, new RegExp(`${id}  erin +${base}/cli  own faxes: fax.sent  \\(from the CLI\\)`));
  assert.ok(!list.stdout.includes(secret));
  const t = await faxgate(erin, 'webhooks', 'test', id);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /^delivered: HTTP 200 in \d+ ms/);
  const sample = received.find((r) => r.path === '/cli');
  assert.ok(sample && verify(secret, sample.headers['faxgate-signature'] as string, sample.body), 'the sample is signed with the secret add printed');
  const bad = await faxgate(erin, 'webhooks', 'add', 'http://10.0.0.1/x');
  assert.equal(bad.code, 0, 'loopback and private hosts are allowed on this gateway (FAXGATE_WEBHOOK_ALLOW_PRIVATE=true)');
  const ftp = await faxgate(erin, 'webhooks', 'add', 'ftp://example.com/x');
  assert.equal(ftp.code, 1);
  assert.match(ftp.stderr, /422: only http and https/);
  const rm = await faxgate(erin, 'webhooks', 'rm', id);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout.trim(), `deleted ${id}`);
  assert.doesNotMatch((await faxgate(erin, 'webhooks', 'list')).stdout, new RegExp(id));
  const help = await faxgate(erin, 'webhooks', '--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /faxgate webhooks add <url>/);
});

test('by default a webhook to a loopback, private or link-local address, or not over http(s), is refused when created', async () => {
  const solo = await startTestGateway((e) => runRoles([consoleRole], { env: e }), {
    label: 'faxgate-webhooks-ssrf',
    env: { FAXGATE_CONSOLE_PASSWORD: 'pw', FAXGATE_CONSOLE_TOKEN: ADMIN_TOKEN },
  });
  try {
    for (const url of [`${base}/hook`, 'http://localhost:9/x', 'http://10.1.2.3/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/', 'http://[::ffff:192.168.1.1]/']) {
      const r = await api(solo.gw, 'POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url } });
      assert.equal(r.status, 422, `${url}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.error, /private or loopback address .*FAXGATE_WEBHOOK_ALLOW_PRIVATE=true/, url);
    }
    const ftp = await api(solo.gw, 'POST', '/api/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'ftp://example.com/x' } });
    assert.equal(ftp.status, 422);
    assert.match(ftp.body.error, /only http and https/);
    assert.deepEqual((await api(solo.gw, 'GET', '/api/v1/webhooks', { token: ADMIN_TOKEN })).body.webhooks, []);
  } finally {
    await solo.dispose();
  }
});
