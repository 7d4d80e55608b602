import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { assertNothingFor, smtpDialogue, startTestGateway, waitUntil } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';
import { nodeRole } from '@faxgate/node';
import { dispatchRole } from '@faxgate/dispatch';
import { renderRole } from '@faxgate/render-service';
import { ingestRole } from '@faxgate/ingest';
import { notifierRole } from '@faxgate/notifier';

const TOKEN = 'line-status-token';
type Lines = { nodes: Array<{ nodeId: string; pool: string; draining: boolean; drainRequested: boolean; heartbeat: boolean; lines: Array<{ line: string; state: string; callId?: string; since: string }> }>; pools: Record<string, { nodes: number; lines: number; calling: number }> };

async function api(gw: RunningGateway, method: string, path: string, auth = true): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.httpUrl}${path}`, { method, headers: auth ? { authorization: `Bearer ${TOKEN}` } : {} });
  return { status: res.status, body: await res.json() };
}

async function lines(gw: RunningGateway): Promise<Lines> {
  const r = await api(gw, 'GET', '/api/v1/lines');
  assert.equal(r.status, 200);
  return r.body as Lines;
}

async function sendFax(port: number, number: string): Promise<string> {
  const replies = await smtpDialogue(port, ['EHLO test.example', 'MAIL FROM:<ops@example.com>', `RCPT TO:<${number}@fax.test>`, 'DATA', `Subject: line status ${number}\r\n\r\nOne page.\r\n.`, 'QUIT']);
  const queued = replies.find((r) => /queued as fx/.test(r.text));
  assert.ok(queued, `not queued: ${JSON.stringify(replies)}`);
  return /queued as (fx[0-9a-z]+)/.exec(queued.text)![1];
}

/** The line each call of a fax ran on, from the fax API. */
async function callLines(gw: RunningGateway, faxId: string): Promise<string[]> {
  const r = await api(gw, 'GET', `/api/v1/faxes/${faxId}`);
  return (r.body.recipients ?? []).flatMap((x: { attemptsDetail: Array<{ line?: string }> }) => x.attemptsDetail.map((a) => a.line ?? ''));
}

async function faxState(gw: RunningGateway, faxId: string): Promise<string | undefined> {
  const r = await api(gw, 'GET', `/api/v1/faxes/${faxId}`);
  return r.body.recipients?.[0]?.state;
}

test('the console lists every node\'s lines and calls; a drained node takes no new calls and finishes its running one', async (t) => {
  const g = await startTestGateway((env) => runRoles([consoleRole, notifierRole, nodeRole, dispatchRole, renderRole, ingestRole], { env }), {
    label: 'faxgate-lines',
    env: {
      FAXGATE_FAX_DOMAINS: 'fax.test',
      FAXGATE_CONSOLE_PASSWORD: 'pw',
      FAXGATE_CONSOLE_TOKEN: TOKEN,
      // Calls last long enough (about two seconds) to be seen in progress.
      FAXGATE_SIM_TIME_SCALE: '0.1',
      FAXGATE_NODE_ID: 'node-a',
      FAXGATE_NODE_LINES: '2',
    },
  });
  const front = g.gw;
  // A second node daemon on the same Redis and queue prefix.
  let second: RunningGateway | undefined = await runRoles([nodeRole], { env: { ...g.env, FAXGATE_NODE_ID: 'node-b', FAXGATE_NODE_LINES: '3' } });
  t.after(async () => {
    await second?.stop();
    await g.dispose();
  });
  const smtpPort = front.instanceOf(ingestRole).smtpPort();

  // Both nodes with all their lines idle.
  assert.equal((await api(front, 'GET', '/api/v1/lines', false)).status, 401, 'behind the console auth');
  const first = await waitUntil('both nodes', async () => {
    const l = await lines(front);
    return l.nodes.length === 2 ? l : undefined;
  }, 10_000);
  assert.deepEqual(first.nodes.map((n) => [n.nodeId, n.pool, n.lines.length, n.draining, n.heartbeat]), [['node-a', 'sim', 2, false, true], ['node-b', 'sim', 3, false, true]]);
  assert.deepEqual(first.nodes[0].lines.map((l) => [l.line, l.state]), [['sim/node-a/1', 'idle'], ['sim/node-a/2', 'idle']]);
  assert.deepEqual(first.pools.sim, { nodes: 2, lines: 5, calling: 0, down: 0 });

  // node-b is drained: it confirms through its published status.
  assert.equal((await api(front, 'POST', '/api/v1/nodes/node-b/drain')).status, 202);
  await waitUntil('node-b draining', async () => (await lines(front)).nodes.find((n) => n.nodeId === 'node-b')?.draining, 10_000);
  assert.equal((await api(front, 'POST', '/api/v1/nodes/no-such-node/drain')).status, 404);

  // A fax goes to node-a; its call shows on a line of node-a with the call id.
  const fax1 = await sendFax(smtpPort, '12125550161');
  const calling = await waitUntil('a call in progress', async () => {
    const l = await lines(front);
    return l.nodes.flatMap((n) => n.lines.map((x) => ({ ...x, nodeId: n.nodeId }))).find((x) => x.state === 'calling');
  }, 20_000);
  assert.equal(calling.nodeId, 'node-a');
  assert.ok(calling.callId?.startsWith(`${fax1}-r0-a`), `call id ${calling.callId} belongs to ${fax1}`);
  assert.ok(Date.parse(calling.since) > 0);

  // Drain node-a while its call runs: the call still finishes.
  assert.equal((await api(front, 'POST', '/api/v1/nodes/node-a/drain')).status, 202);
  await waitUntil('node-a draining', async () => (await lines(front)).nodes.find((n) => n.nodeId === 'node-a')?.draining, 10_000);
  await waitUntil('fax 1 sent', async () => (await faxState(front, fax1)) === 'sent', 30_000);
  assert.deepEqual((await callLines(front, fax1)).map((l) => l.split('/')[1]), ['node-a']);

  // Both nodes drained: a new fax waits; lifting node-b's drain lets node-b take it.
  const fax2 = await sendFax(smtpPort, '12125550162');
  await waitUntil('fax 2 queued for a line', async () => (await api(front, 'GET', `/api/v1/faxes/${fax2}`)).body.timeline?.some((e: { event: string }) => e.event === 'queued for a line'), 20_000);
  // 1.5 s is many times what a free line takes to pick up a queued call here (scale 0.1).
  await assertNothingFor('a drained node taking fax 2', async () => {
    const [state, calling] = [await faxState(front, fax2), (await lines(front)).pools.sim.calling];
    return (state === 'sent' || calling > 0) && { state, calling };
  }, 1500, 100);
  assert.equal((await api(front, 'DELETE', '/api/v1/nodes/node-b/drain')).status, 202);
  await waitUntil('fax 2 sent', async () => (await faxState(front, fax2)) === 'sent', 30_000);
  assert.deepEqual((await callLines(front, fax2)).map((l) => l.split('/')[1]), ['node-b']);
  const after = await lines(front);
  assert.deepEqual(after.nodes.map((n) => [n.nodeId, n.draining, n.drainRequested]), [['node-a', true, true], ['node-b', false, false]]);

  // A node that stops cleanly leaves the list at once.
  await second.stop();
  second = undefined;
  assert.deepEqual((await lines(front)).nodes.map((n) => n.nodeId), ['node-a']);
});
