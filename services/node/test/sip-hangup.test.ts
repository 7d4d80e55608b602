// A SIP fax call that the far end (SIPp, with spandsp on the UDPTL port) hangs up with BYE while
// the page is on its way: the `sip` line driver must report the attempt as failed, with the
// reason, and count no page as sent; hung up after a page was confirmed, the attempt counts that
// page (no-carrier), so the retry resumes after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, makeTiff, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-hangup');

test('outgoing: the far end hangs up during the fax, before the page is confirmed: the attempt fails with that reason, no page counted', { timeout: 60_000 }, async () => {
  const received = join(bench.dir.path, 'spandsp-cut.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '30']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(bench.dir.path, 'uas-t38-then-bye.xml', { keys: { udptl_port: udptl }, pauseMs: 12_000 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  try {
    const outcome = await d.send({ callId: 'c2', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
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

test('outgoing: the far end hangs up after page 1 of 3 was confirmed: the attempt is no-carrier with that page counted, so the retry resumes after it', { timeout: 90_000 }, async () => {
  const three = makeTiff(bench.dir.path, 'three', 3, 196);
  const received = join(bench.dir.path, 'spandsp-cut-3.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(bench.dir.path, 'uas-t38-bye-on-info.xml', { keys: { udptl_port: udptl }, timeoutS: 80 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  const info = createSocket('udp4');
  await new Promise<void>((r) => info.bind(0, '127.0.0.1', () => r()));
  const confirmed: number[] = [];
  try {
    const outcome = await d.send({
      callId: 'c3', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(three)), fromPage: 1, line: 'test/1',
      // As soon as faxgate has page 1 confirmed (T.30 MCF), the far end hangs up: the test tells SIPp with an INFO in its call.
      onPageConfirmed: (n) => {
        confirmed.push(n);
        if (n !== 1) return;
        const sipCallId = [...d.sipCallStates().values()][0]?.callId ?? '';
        const msg = [
          `INFO sip:sipp@127.0.0.1:${far.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${info.address().port};branch=z9hG4bKtest${Date.now()}`,
          'From: <sip:test@127.0.0.1>;tag=t1', 'To: <sip:sipp@127.0.0.1>', `Call-ID: ${sipCallId}`, 'CSeq: 1 INFO', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
        ].join('\r\n');
        info.send(msg, far.port, '127.0.0.1');
      },
    }, new AbortController().signal);
    assert.equal(outcome.result, 'no-carrier', `${JSON.stringify(outcome)} confirmed ${confirmed}\n${far.logs()}`);
    assert.ok(outcome.pagesSent >= 1 && outcome.pagesSent < 3, `page 1 confirmed counts, the call ended before page 3: ${JSON.stringify(outcome)}`);
    assert.equal(outcome.pagesSent, confirmed.at(-1), 'what the receiver confirmed, no more');
    assert.match(outcome.reason ?? '', /call ended during the fax: the far end hung up/);
    assert.equal(await far.done(), 0, far.logs());
    assert.match(sp.stdout(), /PAGE received pages_tx=0 pages_rx=1 /, `spandsp received page 1:\n${sp.stdout()}`);
  } finally {
    info.close();
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});
