// FAXGATE_SIP_CALLS_PER_SECOND (default 1): carriers refuse INVITE bursts above the call rate
// they sold (503 or 403), so calls queued at once must leave one per 1/cap s and the rest wait
// their turn instead of failing. SIPp plays the carrier and is the judge of when each INVITE
// arrived (the timestamps of its message trace); each call's UDPTL goes to its own spandsp T.38
// receiver, which judges that every waiting call still carried its fax.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '@faxgate/config';
import { nodeSchema } from '../src/config.ts';
import { sipDriverOptions } from '../src/sip-driver-config.ts';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { sipp, sippTrace } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-rate');

const header = (m: { headers: Array<[string, string]> }, name: string) => m.headers.find(([n]) => n === name)?.[1] ?? '';

/** Initial INVITEs (no To tag) SIPp received: when it read each, and its Request-URI. */
function invitesReceived(trace: string): Array<{ at: number; uri: string }> {
  return sippTrace(trace).filter((m) => m.dir === 'received' && m.line.startsWith('INVITE ') && !/^To:[^\r\n]*;tag=/im.test(m.text))
    .map((m) => ({ at: m.at, uri: m.line.split(' ')[1] }));
}

test('calls per second cap (default 1): three calls queued at once reach the carrier ≥ 1 s apart, and each waiting call carries its fax', { timeout: 120_000 }, async () => {
  const calls = 3;
  // The default a node gets when FAXGATE_SIP_CALLS_PER_SECOND is not set.
  const { callsPerSecond } = await sipDriverOptions(loadConfig('node', nodeSchema, { FAXGATE_NODE_DRIVER: 'sip' }), { log: pino({ level: 'silent' }), nodeId: 'n1' });
  assert.equal(callsPerSecond, 1);
  const receivers: Proc[] = [];
  const files: string[] = [];
  for (let i = 0; i < calls; i++) {
    files.push(join(bench.dir.path, `spandsp-rate-${i}.tif`));
    receivers.push(start(bench.peer, ['receive', '--file', files[i], '--ecm', '1', '--timeout', '90']));
  }
  const ports = await Promise.all(receivers.map(async (r) => (await r.waitFor(/LISTENING (\d+)/))[1]));
  const far = await sipp(bench.dir.path, 'uas-accept-our-t38-inject.xml', { calls, inject: ports, timeoutS: 110 });
  /** When faxgate handed each initial INVITE to its socket, by its own clock (retransmissions aside). */
  const sentBy = new Map<string, number>();
  const d = sipDriver({
    sip: {
      bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500,
      trace: (dir, _peer, m) => { if (dir === 'out' && typeof m !== 'string' && m.kind === 'request' && m.method === 'INVITE' && !/;tag=/.test(header(m, 'To'))) {
        const id = header(m, 'Call-ID');
        if (!sentBy.has(id)) sentBy.set(id, Date.now());
      } },
    },
    dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, maxCalls: calls, callsPerSecond,
  });
  const evidence = () => `${receivers.map((r, i) => `--- spandsp ${i} ---\n${r.stdout()}${r.stderr()}`).join('\n')}\n${far.logs()}`;
  try {
    const page = new Uint8Array(readFileSync(bench.page));
    const queuedAt = Date.now();
    const outcomes = await Promise.all(Array.from({ length: calls }, (_, i) => d.send({ callId: `rate-${i}`, number: `+1212555010${i}`, dialString: `1212555010${i}`, document: page, fromPage: 1, line: `test/${i}` }, new AbortController().signal)));
    for (const o of outcomes) assert.equal(o.result, 'success', `${JSON.stringify(outcomes)}\n${evidence()}`);
    assert.equal(await far.done(), 0, far.logs());
    const invites = invitesReceived(far.logs());
    assert.equal(invites.length, calls, `one INVITE per call, none refused or repeated:\n${JSON.stringify(invites)}\n${far.logs()}`);
    assert.deepEqual(invites.map((x) => x.uri.replace(/@.*/, '')).sort(), Array.from({ length: calls }, (_, i) => `sip:+1212555010${i}`));
    // faxgate lets each INVITE go 1 s after the previous one left (Date.now() counts whole ms).
    const sent = [...sentBy.values()];
    const sentGaps = sent.slice(1).map((t, i) => t - sent[i]);
    assert.equal(sent.length, calls);
    for (const g of sentGaps) assert.ok(g >= 1000 - 1, `faxgate sent its INVITEs ${sentGaps.join(', ')} ms apart; the cap is 1 per second`);
    // SIPp stamps each INVITE when it reads it, late by however long a loaded machine kept it
    // from running (25 ms seen): the carrier's view, with that much slack. Unpaced, the three
    // INVITEs arrive within a few ms of each other.
    const gaps = invites.slice(1).map((x, i) => x.at - invites[i].at);
    for (const g of gaps) assert.ok(g >= 1000 - 150, `INVITEs ${gaps.join(', ')} ms apart at SIPp; the cap is 1 per second\n${far.logs()}`);
    // Waiting for a turn is all the cap costs: the last call leaves about (calls-1) s after they were queued.
    const spread = invites[calls - 1].at - invites[0].at;
    assert.ok(spread < (calls - 1) * 1000 + 2000, `the calls took ${spread} ms to leave; ${calls - 1} s expected`);
    assert.ok(Date.now() - queuedAt > (calls - 1) * 1000);
    for (let i = 0; i < calls; i++) {
      assert.equal(await receivers[i].exit, 0, `spandsp ${i} did not report success:\n${evidence()}`);
      assert.equal(comparePages(bench.dir.path, bench.page, files[i]), null, `spandsp ${i}'s page differs from the one sent`);
    }
  } finally {
    for (const r of receivers) r.kill();
    far.proc.kill();
    await d.stop();
  }
});

test('calls per second cap: a call aborted while it waits for its turn gives the turn up; the call behind it leaves 1 s after the first, not 2', { timeout: 120_000 }, async () => {
  const receivers = [0, 1].map((i) => start(bench.peer, ['receive', '--file', join(bench.dir.path, `spandsp-abort-${i}.tif`), '--ecm', '1', '--timeout', '90']));
  const ports = await Promise.all(receivers.map(async (r) => (await r.waitFor(/LISTENING (\d+)/))[1]));
  const far = await sipp(bench.dir.path, 'uas-accept-our-t38-inject.xml', { calls: 2, inject: ports, timeoutS: 110 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, maxCalls: 3, callsPerSecond: 1 });
  const evidence = () => `${receivers.map((r, i) => `--- spandsp ${i} ---\n${r.stdout()}${r.stderr()}`).join('\n')}\n${far.logs()}`;
  try {
    const page = new Uint8Array(readFileSync(bench.page));
    const call = (i: number, signal: AbortSignal) => d.send({ callId: `abort-${i}`, number: `+1212555020${i}`, dialString: `1212555020${i}`, document: page, fromPage: 1, line: `test/${i}` }, signal);
    const second = new AbortController();
    const calls = [call(0, new AbortController().signal), call(1, second.signal), call(2, new AbortController().signal)];
    // Aborted while it waits for its turn (due 1 s after the first).
    setTimeout(() => second.abort(), 300);
    const [first, aborted, third] = await Promise.allSettled(calls);
    assert.equal(aborted.status, 'rejected');
    assert.match(String((aborted as PromiseRejectedResult).reason), /call aborted/);
    for (const o of [first, third]) assert.ok(o.status === 'fulfilled' && o.value.result === 'success', `${JSON.stringify([first, third])}\n${evidence()}`);
    assert.equal(await far.done(), 0, far.logs());
    const invites = invitesReceived(far.logs());
    assert.deepEqual(invites.map((x) => x.uri.replace(/@.*/, '')), ['sip:+12125550200', 'sip:+12125550202'], `the aborted call placed no INVITE:\n${far.logs()}`);
    const gap = invites[1].at - invites[0].at;
    assert.ok(gap >= 1000 - 150 && gap < 1800, `the call behind the aborted one left ${Math.round(gap)} ms after the first; its turn was due at 1 s\n${far.logs()}`);
  } finally {
    for (const r of receivers) r.kill();
    far.proc.kill();
    await d.stop();
  }
});
