// Issue 14, batching on a real fax protocol: two faxes to one number go out in one T.38 call
// from faxgate's T.30 engine to spandsp, one document each (EOM, then phase B again). spandsp's
// receiver answers exactly one call and reports every page it received: it is the judge.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSpandspPeer, comparePages, makeTiff, start, tempDir, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { startSimBed, type SimBed } from './sim-bed.ts';
import { batchLead, queueBehindACall, waitForEnds } from './batch-bed.ts';

let peer: string;
before(() => {
  peer = buildSpandspPeer();
});

for (const ecm of [true, false]) {
  test(`two faxes to one number make one T.38 call to spandsp carrying both documents (ECM ${ecm ? 'on: PPS-EOM' : 'off: EOM'})`, { timeout: 240_000 }, async () => {
    let sp: Proc | undefined;
    let bed: SimBed | undefined;
    const tmp = tempDir();
    const received = join(tmp.dir, 'spandsp-received.tif');
    const dump = () => (sp ? `\nspandsp:\n${sp.stdout()}${sp.stderr()}` : '');
    try {
      sp = start(peer, ['receive', '--file', received, '--ecm', ecm ? '1' : '0', '--timeout', '200']);
      const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
      bed = await startSimBed(`faxgate-batch-t38-${ecm ? 'ecm' : 'noecm'}`, { FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_ECM: String(ecm), FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_STATION_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '2' });
      const { records } = bed.gw.ctx;
      const number = '+12125550100';
      const docA = makeTiff(tmp.dir, 'a', 2, 196);
      const docB = makeTiff(tmp.dir, 'b', 1, 196);
      const [a, b] = await queueBehindACall(bed, number, [
        { pages: 2, document: await readFile(docA), sender: 'ann@example.com' },
        { pages: 1, document: await readFile(docB), sender: 'bob@example.com' },
      ]);
      const ended = await waitForEnds(bed, [a, b], 200_000, dump);
      assert.deepEqual(ended.map((r) => r.state), ['sent', 'sent'], `${ended.map((r) => r.reason).join('; ')}${dump()}`);
      // spandsp answers one call: both faxes were in it, and it ended that call in success.
      assert.equal(await sp.exit, 0, `spandsp did not report success${dump()}`);
      const pages = sp.stdout().split('\n').filter((l) => l.startsWith('PAGE received'));
      assert.equal(pages.length, 3, `spandsp received ${pages.length} pages${dump()}`);
      const { firsts, lead, leadCall } = await batchLead(bed, [a, b]);
      assert.equal(firsts[1 - lead]?.batchedIn, leadCall, 'the other fax went in the lead\'s call');
      assert.deepEqual(firsts.map((x) => x?.pagesSent), [2, 1]);
      // What spandsp wrote, pixel for pixel as libtiff decodes it: the lead's document, then the other's.
      const expected = join(tmp.dir, 'expected.tif');
      execFileSync('tiffcp', lead === 0 ? [docA, docB, expected] : [docB, docA, expected]);
      assert.equal(comparePages(tmp.dir, expected, received), null, `spandsp's pages differ from the two faxes' documents${dump()}`);
    } finally {
      sp?.kill();
      await bed?.dispose();
      tmp.cleanup();
    }
  });
}
