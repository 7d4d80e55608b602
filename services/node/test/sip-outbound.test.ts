// Whole faxes through SIP calls: SIPp plays the carrier's signalling, and the UDPTL port its
// SDP names belongs to spandsp's T.38 terminal, the judge of the fax itself. faxgate's side is
// the node's `sip` line driver (SIP user agent + T.38 terminal + T.30 engine).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { tempDir, type TempDir } from '@faxgate/testkit';
import { SipLineDriver, type SipDriverOptions } from '../src/sip-line-driver.ts';
import { buildSpandspPeer, comparePages, makeTiff, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

let dir: TempDir;
let peer: string;
let page: string;
before(async () => {
  dir = await tempDir('faxgate-sip-out');
  peer = buildSpandspPeer();
  page = makeTiff(dir.path, 'letter', 1, 196);
});
after(async () => {
  await dir.remove();
});

function driver(o: Partial<SipDriverOptions> = {}): SipLineDriver {
  return new SipLineDriver({
    sip: { bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500 },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: 2, callsPerSecond: 0, localId: '+1 212 555 0188', ecm: true, redundancy: 3, country: 'US',
    line: 'test/node/sip', keepAliveMs: 0, log: pino({ level: 'silent' }),
    ...o,
  });
}

test('outgoing: audio call, our T.38 re-INVITE accepted by SIPp, spandsp receives the page exactly, BYE ends the call', { timeout: 90_000 }, async () => {
  const received = join(dir.path, 'spandsp-received.tif');
  const sp = start(peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: udptl }, timeoutS: 80 });
  const d = driver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  try {
    const outcome = await d.send({ callId: 'c1', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(outcome.pagesSent, 1);
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.equal(await far.done(), 0, far.logs());
    assert.equal(comparePages(dir.path, page, received), null, 'spandsp\'s page differs from the one sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});
