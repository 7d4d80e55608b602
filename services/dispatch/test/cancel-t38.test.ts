// Issue 14: cancelling a fax on a real T.38 call ends the call cleanly: faxgate's T.30 engine
// sends DCN (T.30 §5.3.6.1.8) and spandsp, the far machine, reports the disconnect.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { waitUntil } from '@faxgate/testkit';
import { cancelFax } from '@faxgate/fax-control';
import { buildSpandspPeer, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { startSimBed, type SimBed } from './sim-bed.ts';

let peer: string;
before(() => {
  peer = buildSpandspPeer();
});

test('cancel during a T.38 call: DCN goes to the far machine, which hangs up; the record and the result mail say cancelled and by whom', { timeout: 180_000 }, async () => {
  let sp: Proc | undefined;
  let bed: SimBed | undefined;
  const received = join('/tmp', `faxgate-cancel-t38-${process.pid}.tif`);
  try {
    sp = start(peer, ['receive', '--file', received, '--ecm', '0', '--timeout', '150']);
    const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
    bed = await startSimBed('faxgate-cancel-t38', { FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_STATION_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '1' });
    const faxId = await bed.fax({ numbers: ['+12125550150'], pages: 6 });
    const dump = () => `spandsp:\n${sp!.stdout()}${sp!.stderr()}`;
    await waitUntil('the first page to be confirmed', async () => ((await bed!.gw.ctx.records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= 1, 120_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const cancelledAt = Date.now();
    await cancelFax(bed.gw.ctx, faxId, { by: 'ops@example.com', reason: 'sent to the wrong number' });
    const completion = (await sp.waitFor(/COMPLETION (.*)/).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    }))[1];
    assert.match(completion, /DCN/, `spandsp did not see a DCN: ${completion}\n${dump()}`);
    const attempt = await waitUntil('the attempt to record its end', async () => {
      const a = await bed!.gw.ctx.records.getAttempt(faxId, 0, 1);
      return a?.result ? a : undefined;
    }, 20_000);
    assert.ok(Date.now() - cancelledAt < 10_000, 'the call ended within seconds');
    assert.match(attempt.reason ?? '', /cancelled by ops@example\.com: sent to the wrong number/);
    assert.ok((attempt.pagesSent ?? 0) >= 1 && (attempt.pagesSent ?? 0) < 6, `pages confirmed before the cancel: ${attempt.pagesSent}`);
    const r = await bed.gw.ctx.records.getRecipient(faxId, 0);
    assert.equal(r?.state, 'cancelled');
    const mail = await bed.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
    assert.match(mail.parsed.text ?? '', /cancelled by ops@example\.com: sent to the wrong number/);
  } finally {
    sp?.kill();
    await bed?.dispose();
    await rm(received, { force: true });
  }
});
