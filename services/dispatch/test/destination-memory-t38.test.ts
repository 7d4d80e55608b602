// Issue 14: destination memory learned from a real fax call: faxgate's T.30 engine over T.38
// to spandsp, whose DIS and CSI (set on its command line) are what dispatch must remember.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { waitUntil } from '@faxgate/testkit';
import { Destinations } from '@faxgate/destinations';
import { buildSpandspPeer, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { startSimBed, type SimBed } from './sim-bed.ts';

let peer: string;
before(() => {
  peer = buildSpandspPeer();
});

test('a T.38 call to spandsp teaches dispatch the far machine\'s CSI, what its DIS offered and the speed that worked', { timeout: 180_000 }, async () => {
  let sp: Proc | undefined;
  let bed: SimBed | undefined;
  const received = join('/tmp', `faxgate-dest-t38-${process.pid}.tif`);
  try {
    // V.27 ter and V.29 only, no superfine: a DIS distinct from faxgate's own defaults.
    sp = start(peer, ['receive', '--file', received, '--ecm', '1', '--compress', 'mh,mr,mmr', '--modems', 'v27ter,v29', '--resolutions', 'standard,fine', '--id', 'ACME 212 555 0100', '--timeout', '150']);
    const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
    bed = await startSimBed('faxgate-dest-t38', { FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_STATION_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '1' });
    const faxId = await bed.fax({ numbers: ['+12125550100'] });
    const r = await waitUntil('the T.38 call to end', async () => {
      const x = await bed!.gw.ctx.records.getRecipient(faxId, 0);
      return x && (x.state === 'sent' || x.state === 'failed') ? x : undefined;
    }, 150_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nspandsp:\n${sp!.stdout()}${sp!.stderr()}`);
    });
    assert.equal(r.state, 'sent', `${r.reason}\nspandsp:\n${sp.stdout()}${sp.stderr()}`);
    const d = await new Destinations(bed.gw.ctx.redis, bed.gw.ctx.base.FAXGATE_QUEUE_PREFIX).get('+12125550100');
    assert.ok(d, 'the number is remembered');
    assert.equal(d.csi, 'ACME 212 555 0100');
    assert.deepEqual(d.dis?.rates, [2400, 4800, 7200, 9600]);
    assert.equal(d.dis?.ecm, true);
    assert.equal(d.dis?.mmr, true);
    assert.equal(d.dis?.fine, true);
    assert.equal(d.dis?.superfine, false);
    assert.equal(d.lastGoodSpeed, 9600);
    assert.equal(d.lastResult, 'success');
    assert.equal(d.consecutiveFailures, 0);
  } finally {
    sp?.kill();
    await bed?.dispose();
    await rm(received, { force: true });
  }
});

test('a number that refused 14400 and 12000 before is called at the speed that worked: spandsp, able to do V.17, receives at 9600', { timeout: 180_000 }, async () => {
  let sp: Proc | undefined;
  let bed: SimBed | undefined;
  const received = join('/tmp', `faxgate-dest-t38-rate-${process.pid}.tif`);
  try {
    sp = start(peer, ['receive', '--file', received, '--ecm', '0', '--modems', 'v27ter,v29,v17', '--timeout', '150']);
    const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
    bed = await startSimBed('faxgate-dest-t38-rate', { FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_STATION_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '1' });
    const dest = new Destinations(bed.gw.ctx.redis, bed.gw.ctx.base.FAXGATE_QUEUE_PREFIX);
    // What an earlier call taught: FTT at 14400 and 12000, pages at 9600.
    await dest.learn('+12125550101', { callId: 'earlier', result: 'success', pagesSent: 1, at: new Date().toISOString(), remote: { speed: 9600, trainingFailures: [14400, 12000] } }, { maxFailures: 5, failureWindowMs: 3_600_000, holdMs: 3_600_000 });
    const faxId = await bed.fax({ numbers: ['+12125550101'] });
    const r = await waitUntil('the T.38 call to end', async () => {
      const x = await bed!.gw.ctx.records.getRecipient(faxId, 0);
      return x && (x.state === 'sent' || x.state === 'failed') ? x : undefined;
    }, 150_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nspandsp:\n${sp!.stdout()}${sp!.stderr()}`);
    });
    assert.equal(r.state, 'sent', `${r.reason}\nspandsp:\n${sp.stdout()}${sp.stderr()}`);
    const stats = (await sp.waitFor(/STATS (.*)/))[1];
    assert.match(stats, /bit_rate=9600/, `spandsp received at another rate: ${stats}`);
    assert.equal((await bed.gw.ctx.records.getAttempt(faxId, 0, 1))?.remote?.speed, 9600);
  } finally {
    sp?.kill();
    await bed?.dispose();
    await rm(received, { force: true });
  }
});
