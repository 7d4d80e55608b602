// Two faxgate SIP nodes through Kamailio, a real registrar and record-routing proxy: both
// REGISTER (401, digest), node A's INVITE is challenged with 407 and routed to node B's
// registered contact; B answers with audio and re-INVITEs to T.38 at once (through the proxy's
// Record-Route), and a page goes from A to B; then B faxes A the same way. With ECM on and off.
// libtiff compares what each received with what the other sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { tempDir, waitUntil, type TempDir } from '@faxgate/testkit';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { SipLineDriver, type SipDriverOptions } from '../src/sip-line-driver.ts';
import { comparePages, makeTiff } from '../../../libs/t38/test/fax-peers.ts';
import { startKamailio, type Kamailio } from '../../../libs/sip/test/kamailio.ts';

let dir: TempDir;
let kam: Kamailio;
before(async () => {
  dir = await tempDir('faxgate-sip-kamailio');
  kam = await startKamailio(dir.path, 'n0de-secret');
});
after(async () => {
  await kam?.stop();
  await dir.remove();
});

function node(user: string, logs: string[], o: Partial<SipDriverOptions> = {}, proxy: Kamailio = kam, sent?: string[]): SipLineDriver {
  const log = pino({ level: 'info' }, { write: (l: string) => logs.push(l.trim()) });
  return new SipLineDriver({
    sip: {
      bindHost: '127.0.0.1', bindPort: 0, user, domain: '127.0.0.1', outboundProxy: { host: '127.0.0.1', port: proxy.port }, registrar: 'sip:127.0.0.1',
      credentials: { username: user, password: 'n0de-secret' }, t38WaitMs: 3000,
      ...(sent ? { trace: (dir: 'in' | 'out', _peer: unknown, m: unknown) => { if (dir === 'out' && typeof m === 'object' && m && 'headers' in m) sent.push((m as { headers: Array<[string, string]> }).headers.map(([k, v]) => `${k}: ${v}`).join('\n')); } } : {}),
    },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: 1, callsPerSecond: 0, localId: user.replace(/^\+/, '+'), ecm: true, redundancy: 3, country: 'US',
    line: `${user}/sip`, keepAliveMs: 0, log,
    ...o,
  });
}

for (const ecm of [true, false]) {
  test(`nodes A and B fax each other through Kamailio, ECM ${ecm ? 'on' : 'off'}: register, 407, routed INVITE, T.38 re-INVITE by the callee, each page arrives intact`, { timeout: 150_000 }, async () => {
    // Own numbers per test: Kamailio's log is shared by the file's tests.
    const [userA, userB] = ecm ? ['+12125550100', '+12125550188'] : ['+12125550101', '+12125550189'];
    const page = makeTiff(dir.path, `letter-${ecm}`, 1, 196);
    const logsA: string[] = [], logsB: string[] = [];
    const a = node(userA, logsA, { ecm });
    const b = node(userB, logsB, { ecm });
    const gotA: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
    const gotB: typeof gotA = [];
    const dump = () => `--- node A ---\n${logsA.join('\n')}\n--- node B ---\n${logsB.join('\n')}\n${kam.logs()}`;
    const stopB = await b.listen(async (call, outcome) => {
      gotB.push({ call, outcome });
      return 'in-b';
    });
    const stopA = await a.listen(async (call, outcome) => {
      gotA.push({ call, outcome });
      return 'in-a';
    });
    try {
      await waitUntil('both nodes registered with Kamailio', () => logsA.some((l) => l.includes('sip registered')) && logsB.some((l) => l.includes('sip registered')), 10_000).catch((err) => {
        throw new Error(`${(err as Error).message}\n${dump()}`);
      });
      for (const [from, to, fromUser, toUser, got] of [[a, 'B', userA, userB, gotB], [b, 'A', userB, userA, gotA]] as const) {
        const outcome = await from.send({ callId: `k-${to}-${ecm}`, number: toUser, dialString: toUser.slice(1), document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'x/1' }, new AbortController().signal);
        assert.equal(outcome.result, 'success', `to ${to}: ${JSON.stringify(outcome)}\n${dump()}`);
        assert.equal(outcome.pagesSent, 1);
        await waitUntil(`node ${to} handed the fax to its sink`, () => got.length > 0, 15_000).catch((err) => {
          throw new Error(`${(err as Error).message}\n${dump()}`);
        });
        const { call, outcome: rx } = got[0];
        assert.equal(rx.partial, false, rx.reason);
        assert.equal(call.did, toUser, `${to}: the DID from the Request-URI Kamailio rewrote to its contact`);
        assert.equal(call.callingNumber, fromUser);
        const out = join(dir.path, `${to}-received-${ecm}.tif`);
        writeFileSync(out, rx.document!);
        assert.equal(comparePages(dir.path, page, out), null, `${to}'s page differs from what was sent`);
        // Kamailio saw the challenge-answered INVITE and the callee's re-INVITE through its Record-Route.
        assert.equal(kam.logs().match(new RegExp(`REQ INVITE sip:\\${toUser}@127\\.0\\.0\\.1 `, 'g'))?.length, 2, 'the INVITE, then again with Proxy-Authorization after the 407');
        assert.match(kam.logs(), new RegExp(`REQ INVITE sip:\\${fromUser}@127\\.0\\.0\\.1:\\d+`), 'the callee\'s re-INVITE routed to the caller\'s contact');
      }
    } finally {
      await stopA();
      await stopB();
    }
  });
}

test('digest with SHA-256 (RFC 7616): Kamailio challenges with algorithm=SHA-256, both nodes register and A faxes B through it', { timeout: 90_000 }, async () => {
  // Its own directory: a second Kamailio must not share the first one's config and run files.
  const shaDir = join(dir.path, 'sha');
  mkdirSync(shaDir, { recursive: true });
  const sha = await startKamailio(shaDir, 'n0de-secret', { algorithm: 'SHA-256' });
  const page = makeTiff(dir.path, 'letter-sha', 1, 196);
  const logsA: string[] = [], logsB: string[] = [], sentA: string[] = [];
  const a = node('+12125550102', logsA, {}, sha, sentA);
  const b = node('+12125550190', logsB, {}, sha);
  const got: ReceiveOutcome[] = [];
  const dump = () => `--- node A ---\n${logsA.join('\n')}\n--- node B ---\n${logsB.join('\n')}\n${sha.logs()}`;
  const stopB = await b.listen(async (_call, outcome) => {
    got.push(outcome);
    return 'in-sha';
  });
  const stopA = await a.listen(async () => 'unused');
  try {
    await waitUntil('both nodes registered with Kamailio', () => logsA.some((l) => l.includes('sip registered')) && logsB.some((l) => l.includes('sip registered')), 10_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const outcome = await a.send({ callId: 'k-sha', number: '+12125550190', dialString: '12125550190', document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'x/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${dump()}`);
    await waitUntil('node B handed the fax to its sink', () => got.length > 0, 15_000);
    assert.equal(got[0].partial, false, got[0].reason);
    assert.ok(sentA.some((m) => /^Authorization: Digest .*algorithm=SHA-256/m.test(m)), `A's REGISTER answered the 401 with SHA-256\n${sentA.join('\n---\n')}`);
    assert.ok(sentA.some((m) => /^Proxy-Authorization: Digest .*algorithm=SHA-256/m.test(m)), `A's INVITE answered the 407 with SHA-256\n${sentA.join('\n---\n')}`);
  } finally {
    await stopA();
    await stopB();
    await sha.stop();
  }
});
