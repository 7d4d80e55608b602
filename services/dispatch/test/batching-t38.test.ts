// Issue 14, batching on a real fax protocol: two faxes to one number go out in one T.38 call
// from faxgate's T.30 engine to spandsp, one document each (EOM, then phase B again). spandsp's
// receiver answers exactly one call and reports every page it received: it is the judge.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitUntil } from '@faxgate/testkit';
import { DestinationGate } from '@faxgate/destinations';
import { BatchClaims } from '@faxgate/node';
import { buildSpandspPeer, comparePages, makeTiff, start, tempDir, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { startSimBed, type SimBed } from './sim-bed.ts';

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
      const { redis, base, records } = bed.gw.ctx;
      const number = '+12125550100';
      const docA = makeTiff(tmp.dir, 'a', 2, 196);
      const docB = makeTiff(tmp.dir, 'b', 1, 196);
      // Another call holds the number while both faxes are queued (the gate's real slot).
      const gate = new DestinationGate(redis, base.FAXGATE_QUEUE_PREFIX);
      assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 120_000));
      let a: string;
      let b: string;
      try {
        a = await bed.fax({ numbers: [number], pages: 2, document: await readFile(docA), sender: 'ann@example.com' });
        b = await bed.fax({ numbers: [number], pages: 1, document: await readFile(docB), sender: 'bob@example.com' });
        const claims = new BatchClaims(redis, base.FAXGATE_QUEUE_PREFIX);
        await waitUntil('both faxes to wait for the number', async () => (await claims.waiting(number, 60_000)).length === 2, 30_000);
      } finally {
        await gate.release(number, 'test-holds-the-number');
      }
      const ends = await Promise.all([a, b].map((id) => waitUntil(`${id} to end`, async () => {
        const x = await records.getRecipient(id, 0);
        return x && (x.state === 'sent' || x.state === 'failed') ? x : undefined;
      }, 200_000).catch((err) => {
        throw new Error(`${(err as Error).message}${dump()}`);
      })));
      assert.deepEqual(ends.map((r) => r.state), ['sent', 'sent'], `${ends.map((r) => r.reason).join('; ')}${dump()}`);
      // spandsp answers one call: both faxes were in it, and it ended that call in success.
      assert.equal(await sp.exit, 0, `spandsp did not report success${dump()}`);
      const pages = sp.stdout().split('\n').filter((l) => l.startsWith('PAGE received'));
      assert.equal(pages.length, 3, `spandsp received ${pages.length} pages${dump()}`);
      const [fa, fb] = await Promise.all([records.getAttempt(a, 0, 1), records.getAttempt(b, 0, 1)]);
      const lead = fa?.batchedIn ? b : a;
      assert.equal((lead === a ? fb : fa)?.batchedIn, `${lead}-r0-a1`, 'the other fax went in the lead\'s call');
      assert.deepEqual([fa?.pagesSent, fb?.pagesSent], [2, 1]);
      // What spandsp wrote, pixel for pixel as libtiff decodes it: the lead's document, then the other's.
      const expected = join(tmp.dir, 'expected.tif');
      execFileSync('tiffcp', lead === a ? [docA, docB, expected] : [docB, docA, expected]);
      assert.equal(comparePages(tmp.dir, expected, received), null, `spandsp's pages differ from the two faxes' documents${dump()}`);
    } finally {
      sp?.kill();
      await bed?.dispose();
      tmp.cleanup();
    }
  });
}
