// Batching through the `sip` driver (issue 14): two faxes' documents in one SIP call, EOM
// between them (PPS-EOM with ECM, T.30 §5.3.6.1.7). SIPp plays the carrier's signalling and
// accepts our T.38 re-INVITE; spandsp's T.38 terminal answers the one call and is the judge of
// what arrived: every page of both documents, pixel for pixel as libtiff decodes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, makeTiff, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-batch');

for (const ecm of [true, false]) {
  test(`one SIP call carries two documents to spandsp over T.38 (ECM ${ecm ? 'on: PPS-EOM' : 'off: EOM'}); all 3 pages arrive in that call`, { timeout: 120_000 }, async () => {
    const tag = ecm ? 'ecm' : 'noecm';
    const docA = makeTiff(bench.dir.path, `a-${tag}`, 2, 196);
    const docB = makeTiff(bench.dir.path, `b-${tag}`, 1, 196);
    const both = join(bench.dir.path, `both-${tag}.tif`);
    execFileSync('tiffcp', [docA, docB, both]);
    const received = join(bench.dir.path, `spandsp-received-${tag}.tif`);
    const sp = start(bench.peer, ['receive', '--file', received, '--ecm', ecm ? '1' : '0', '--timeout', '100']);
    const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
    const far = await sipp(bench.dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: udptl }, timeoutS: 110 });
    const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, ecm });
    const evidence = () => `\nspandsp:\n${sp.stdout()}${sp.stderr()}\nSIPp:\n${far.logs()}`;
    try {
      assert.equal(d.multiDocument, true, 'the sip driver says it sends batched calls');
      const confirmed: number[] = [];
      const outcome = await d.send({
        callId: 'lead-r0-a1', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(both)), fromPage: 1, line: 'test/1',
        parts: [{ callId: 'lead-r0-a1', fromPage: 1, pages: 2 }, { callId: 'other-r0-a1', fromPage: 1, pages: 1 }],
        onPageConfirmed: (n) => confirmed.push(n),
      }, new AbortController().signal);
      assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}${evidence()}`);
      assert.equal(outcome.pagesSent, 3);
      assert.deepEqual(confirmed, [1, 2, 3]);
      assert.equal(await sp.exit, 0, `spandsp did not report success${evidence()}`);
      // One call (SIPp's scenario takes exactly one), both documents in it.
      assert.equal(await far.done(), 0, far.logs());
      const pages = sp.stdout().split('\n').filter((l) => l.startsWith('PAGE received'));
      assert.equal(pages.length, 3, `spandsp received ${pages.length} pages${evidence()}`);
      assert.equal(comparePages(bench.dir.path, both, received), null, `spandsp's pages differ from the two documents${evidence()}`);
    } finally {
      sp.kill();
      far.proc.kill();
      await d.stop();
    }
  });
}
