// Whole faxes through SIP calls: SIPp plays the carrier's signalling, and the UDPTL port its
// SDP names belongs to spandsp's T.38 terminal, the judge of the fax itself. faxgate's side is
// the node's `sip` line driver (SIP user agent + T.38 terminal + T.30 engine).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { tempDir, type TempDir } from '@faxgate/testkit';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { SipLineDriver, type SipDriverOptions } from '../src/sip-line-driver.ts';
import { buildSpandspPeer, comparePages, makeTiff, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

let dir: TempDir;
let peer: string;
let page: string;
before(async () => {
  dir = await tempDir('faxgate-sip-in');
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

test('incoming: carrier calls with audio, faxgate switches to T.38 at once, a session refresh mid-fax leaves UDPTL alone, the page from spandsp arrives exactly', { timeout: 90_000 }, async () => {
  const sp = start(peer, ['send', '--file', page, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const d = driver();
  const got: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  let done!: () => void;
  const delivered = new Promise<void>((r) => { done = r; });
  const stop = await d.listen(async (call, outcome) => {
    got.push({ call, outcome });
    done();
    return 'in-1';
  });
  const refreshAfterMs = 4000;
  const far = await sipp(dir.path, 'uac-audio-refresh-fax.xml', { remote: `127.0.0.1:${d.port}`, service: '2125550188', keys: { udptl_port: udptl }, pauseMs: refreshAfterMs, timeoutS: 80 });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([delivered, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`no fax delivered within 60 s\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`)), 60_000); })]);
    clearTimeout(timer);
    const { call, outcome } = got[0];
    assert.equal(outcome.partial, false, `${outcome.reason}\n${sp.stdout()}`);
    assert.equal(outcome.pages, 1);
    assert.ok(outcome.durationMs > refreshAfterMs, `the fax (${outcome.durationMs} ms) outlasted the refresh sent ${refreshAfterMs} ms into it`);
    assert.equal(call.did, '+12125550188', 'national Request-URI user part read as E.164 in the default country');
    assert.equal(call.callingNumber, '+4930123456');
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.equal(await far.done(), 0, far.logs());
    const out = join(dir.path, 'faxgate-received.tif');
    writeFileSync(out, outcome.document!);
    assert.equal(comparePages(dir.path, page, out), null, 'faxgate\'s received page differs from what spandsp sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await stop();
  }
});
