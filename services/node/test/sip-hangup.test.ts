// A SIP fax call that the far end (SIPp, with spandsp on the UDPTL port) hangs up with BYE while
// the page is on its way: the `sip` line driver must report the attempt as failed, with the
// reason, and count no page as sent.
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
  dir = await tempDir('faxgate-sip-hangup');
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

test('outgoing: the far end hangs up during the fax, before the page is confirmed: the attempt fails with that reason, no page counted', { timeout: 60_000 }, async () => {
  const received = join(dir.path, 'spandsp-cut.tif');
  const sp = start(peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '30']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(dir.path, 'uas-t38-then-bye.xml', { keys: { udptl_port: udptl }, pauseMs: 12_000 });
  const d = driver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  try {
    const outcome = await d.send({ callId: 'c2', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'failed', `${JSON.stringify(outcome)}\n${far.logs()}`);
    assert.equal(outcome.pagesSent, 0);
    assert.match(outcome.reason ?? '', /call ended during the fax: the far end hung up/);
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});
