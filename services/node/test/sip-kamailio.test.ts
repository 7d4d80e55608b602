// Two faxgate SIP nodes through Kamailio, a real registrar and record-routing proxy: both
// REGISTER (401, digest), node A's INVITE is challenged with 407 and routed to node B's
// registered contact; B answers with audio and re-INVITEs to T.38 at once (through the proxy's
// Record-Route), and a page goes from A to B. libtiff compares what B received with what A sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
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

function node(user: string, logs: string[], o: Partial<SipDriverOptions> = {}): SipLineDriver {
  const log = pino({ level: 'info' }, { write: (l: string) => logs.push(l.trim()) });
  return new SipLineDriver({
    sip: {
      bindHost: '127.0.0.1', bindPort: 0, user, domain: '127.0.0.1', outboundProxy: { host: '127.0.0.1', port: kam.port }, registrar: 'sip:127.0.0.1',
      credentials: { username: user, password: 'n0de-secret' }, t38WaitMs: 3000,
    },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: 1, callsPerSecond: 0, localId: user.replace(/^\+/, '+'), ecm: true, redundancy: 3, country: 'US',
    line: `${user}/sip`, keepAliveMs: 0, log,
    ...o,
  });
}

test('node A faxes node B through Kamailio: register, 407, routed INVITE, T.38 re-INVITE by the callee, the page arrives intact', { timeout: 90_000 }, async () => {
  const page = makeTiff(dir.path, 'letter', 1, 196);
  const logsA: string[] = [], logsB: string[] = [];
  const a = node('+12125550100', logsA);
  const b = node('+12125550188', logsB);
  const got: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  const dump = () => `--- node A ---\n${logsA.join('\n')}\n--- node B ---\n${logsB.join('\n')}\n${kam.logs()}`;
  const stopB = await b.listen(async (call, outcome) => {
    got.push({ call, outcome });
    return 'in-1';
  });
  const stopA = await a.listen(async () => 'unused');
  try {
    await waitUntil('both nodes registered with Kamailio', () => logsA.some((l) => l.includes('sip registered')) && logsB.some((l) => l.includes('sip registered')), 10_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const outcome = await a.send({ callId: 'k1', number: '+12125550188', dialString: '12125550188', document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'a/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${dump()}`);
    assert.equal(outcome.pagesSent, 1);
    await waitUntil('node B handed the fax to its sink', () => got.length > 0, 15_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const { call, outcome: rx } = got[0];
    assert.equal(rx.partial, false, rx.reason);
    assert.equal(call.did, '+12125550188', 'the DID from the Request-URI Kamailio rewrote to B\'s contact');
    assert.equal(call.callingNumber, '+12125550100');
    const out = join(dir.path, 'b-received.tif');
    writeFileSync(out, rx.document!);
    assert.equal(comparePages(dir.path, page, out), null, 'B\'s page differs from what A sent');
    // Kamailio saw the challenge-answered INVITE and the callee's re-INVITE through its Record-Route.
    assert.equal(kam.logs().match(/REQ INVITE sip:\+12125550188@127\.0\.0\.1 /g)?.length, 2, 'the INVITE, then again with Proxy-Authorization after the 407');
    assert.match(kam.logs(), /REQ INVITE sip:\+12125550100@127\.0\.0\.1:\d+/);
  } finally {
    await stopA();
    await stopB();
  }
});
