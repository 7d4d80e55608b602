// A SIP fax call that the far end (SIPp, with spandsp on the UDPTL port) hangs up with BYE while
// the page is on its way: the `sip` line driver must report the attempt as failed, with the
// reason, and count no page as sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start } from '../../../libs/t38/test/fax-peers.ts';
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
