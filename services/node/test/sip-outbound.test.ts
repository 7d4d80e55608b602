// Whole faxes through SIP calls: SIPp plays the carrier's signalling, and the UDPTL port its
// SDP names belongs to spandsp's T.38 terminal, the judge of the fax itself. faxgate's side is
// the node's `sip` line driver (SIP user agent + T.38 terminal + T.30 engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-out');

test('outgoing: audio call with the pool\'s caller ID in From and P-Asserted-Identity, our T.38 re-INVITE accepted by SIPp, spandsp receives the page exactly, BYE ends the call', { timeout: 90_000 }, async () => {
  const received = join(bench.dir.path, 'spandsp-received.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(bench.dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: udptl }, timeoutS: 80 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, callerId: '+12125550177', assertedIdentity: 'sip:+12125550177@carrier.test' });
  try {
    const outcome = await d.send({ callId: 'c1', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(outcome.pagesSent, 1);
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.equal(await far.done(), 0, far.logs());
    // What SIPp received on the wire (its message trace): the INVITE, and again none other.
    const invite = /^INVITE sip:\+12125550100@[\s\S]*?\r?\n\r?\n/m.exec(far.logs())?.[0] ?? '';
    assert.match(invite, /^From: <sip:\+12125550177@127\.0\.0\.1>;tag=/m, `the caller ID as From user\n${far.logs()}`);
    assert.match(invite, /^P-Asserted-Identity: <sip:\+12125550177@carrier\.test>\r?$/m, `P-Asserted-Identity (RFC 3325)\n${far.logs()}`);
    assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});

test('outgoing: an UPDATE session refresh (RFC 4028) from the far end in the middle of the fax is answered with the same T.38 stream, and spandsp still receives the page exactly', { timeout: 90_000 }, async () => {
  const received = join(bench.dir.path, 'spandsp-received-update.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const refreshAfterMs = 3000;
  const far = await sipp(bench.dir.path, 'uas-t38-update-refresh.xml', { keys: { udptl_port: udptl }, pauseMs: refreshAfterMs, timeoutS: 80 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  try {
    const outcome = await d.send({ callId: 'c-upd', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(await far.done(), 0, far.logs());
    assert.match(far.logs(), /^UPDATE sip:/m, 'SIPp sent its UPDATE');
    assert.ok(outcome.durationMs > refreshAfterMs, `the fax (${outcome.durationMs} ms) outlasted the UPDATE sent ${refreshAfterMs} ms after the switch`);
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});
