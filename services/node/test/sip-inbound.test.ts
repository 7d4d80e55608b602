// Whole faxes through SIP calls: SIPp plays the carrier's signalling, and the UDPTL port its
// SDP names belongs to spandsp's T.38 terminal, the judge of the fax itself. faxgate's side is
// the node's `sip` line driver (SIP user agent + T.38 terminal + T.30 engine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-in');

test('incoming: carrier calls with audio, faxgate switches to T.38 at once, a session refresh mid-fax leaves UDPTL alone, the page from spandsp arrives exactly', { timeout: 90_000 }, async () => {
  const sp = start(bench.peer, ['send', '--file', bench.page, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const finals: string[] = [];
  const d = sipDriver({ onFinalResponse: (direction, code) => finals.push(`${direction} ${code}`) });
  const got: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  let done!: () => void;
  const delivered = new Promise<void>((r) => { done = r; });
  const stop = await d.listen(async (call, outcome) => {
    got.push({ call, outcome });
    done();
    return 'in-1';
  });
  const refreshAfterMs = 4000;
  const far = await sipp(bench.dir.path, 'uac-audio-refresh-fax.xml', { remote: `127.0.0.1:${d.port}`, service: '2125550188', keys: { udptl_port: udptl }, pauseMs: refreshAfterMs, timeoutS: 80 });
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
    assert.deepEqual(finals, ['incoming 200'], 'the call counted once, under the 200 we answered with');
    const out = join(bench.dir.path, 'faxgate-received.tif');
    writeFileSync(out, outcome.document!);
    assert.equal(comparePages(bench.dir.path, bench.page, out), null, 'faxgate\'s received page differs from what spandsp sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await stop();
  }
});

test('incoming through a registrar: the Request-URI names our contact\'s user, so the DID is read from To; the page from spandsp arrives', { timeout: 90_000 }, async () => {
  const sp = start(bench.peer, ['send', '--file', bench.page, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const d = sipDriver();
  const got: Array<Omit<IncomingCall, 'simRemote'>> = [];
  let done!: () => void;
  const delivered = new Promise<void>((r) => { done = r; });
  const stop = await d.listen(async (call) => {
    got.push(call);
    done();
    return 'in-2';
  });
  const far = await sipp(bench.dir.path, 'uac-audio-to-did-fax.xml', { remote: `127.0.0.1:${d.port}`, service: 'faxgate', keys: { udptl_port: udptl, did: '2125550199' }, pauseMs: 2000, timeoutS: 80 });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([delivered, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`no fax delivered within 60 s\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`)), 60_000); })]);
    clearTimeout(timer);
    assert.equal(got[0].did, '+12125550199', 'the number in To, national read as E.164 in the default country');
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    sp.kill();
    far.proc.kill();
    await stop();
  }
});
