// Whole faxes over G.711 through SIP calls (issue 13): SIPp plays a trunk without T.38 (it
// answers with PCMU or PCMA and refuses faxgate's T.38 re-INVITE with 488, or is an audio-only
// pool's trunk), and the RTP port its SDP names belongs to spandsp's audio fax terminal (the C
// harness of the modem tests, `--rtp latch`), the judge of the fax. faxgate's side is the node's
// `sip` line driver: SIP user agent + faxgate's own modems on an RTP line + T.30 engine.
// Audio calls run in real time: a fine page at V.29 9600 takes ~20-40 s of line time, so each
// test has its own 110 s timeout and the four calls run at once.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { sipp, type Sipp } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-audio');
const repo = resolve(import.meta.dirname, '../../..');
let audioPeer: string;
before(() => {
  audioPeer = execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-audio-fax-peer'], { encoding: 'utf8' }).trim();
});

/** spandsp's audio fax terminal on an RTP port that latches onto whoever sends to it first. */
async function spandspAudio(args: string[], law: 'ulaw' | 'alaw'): Promise<{ sp: Proc; rtpPort: string }> {
  const sp = start(audioPeer, [...args, '--rtp', 'latch', '--law', law, '--timeout', '100']);
  return { sp, rtpPort: (await sp.waitFor(/LISTENING (\d+)/, 10_000))[1] };
}

const evidence = (sp: Proc, far: Sipp, log: string[]) => `\n--- spandsp ---\n${sp.stderr().slice(-3000)}\n${far.logs()}\n--- faxgate ---\n${log.slice(-40).join('\n')}`;

/** The driver's log lines, kept for failure reports. */
function logged(): { lines: string[]; log: pino.Logger } {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s.trim()) });
  return { lines, log };
}

// 500 ms of jitter buffer: the test machine is shared, and a node process that misses its timers
// for a few hundred ms must delay the call, not tear holes in the page.
const JITTER_MS = 500;

describe('fax over G.711 on SIP calls, spandsp as the far terminal, real time', { concurrency: 4 }, () => {
  test('outgoing, t38-then-audio: the trunk answers PCMU and refuses T.38 with 488; the page goes over audio with ECM and spandsp receives it exactly', { timeout: 110_000 }, async () => {
    const received = join(bench.dir.path, 'out-488-received.tif');
    const { sp, rtpPort } = await spandspAudio(['receive', received, '--ecm', '1'], 'ulaw');
    const far = await sipp(bench.dir.path, 'uas-audio-488-t38.xml', { keys: { rtp_port: rtpPort }, timeoutS: 100 });
    const { lines, log } = logged();
    const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, ecm: true, jitterBufferMs: JITTER_MS, log });
    try {
      const outcome = await d.send({ callId: 'a1', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
      const why = evidence(sp, far, lines);
      assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}${why}`);
      assert.equal(outcome.pagesSent, 1);
      assert.ok(lines.some((l) => /falls back to G\.711/.test(l) && /488/.test(l)), `the fallback is logged with its reason${why}`);
      assert.equal(await sp.exit, 0, `spandsp did not report success${why}`);
      assert.equal(await far.done(), 0, far.logs());
      assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
    } finally {
      sp.kill();
      far.proc.kill();
      await d.stop();
    }
  });

  test('outgoing, audio pool: no T.38 offer at all, PCMA as the trunk prefers, without ECM; spandsp receives the page exactly', { timeout: 110_000 }, async () => {
    const received = join(bench.dir.path, 'out-audio-received.tif');
    const { sp, rtpPort } = await spandspAudio(['receive', received], 'alaw');
    const far = await sipp(bench.dir.path, 'uas-audio-only.xml', { keys: { rtp_port: rtpPort }, timeoutS: 100 });
    const { lines, log } = logged();
    const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, ecm: false, jitterBufferMs: JITTER_MS, log, sip: { bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500, media: 'audio' } });
    try {
      const outcome = await d.send({ callId: 'a2', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/2' }, new AbortController().signal);
      const why = evidence(sp, far, lines);
      assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}${why}`);
      assert.equal(await sp.exit, 0, `spandsp did not report success${why}`);
      assert.equal(await far.done(), 0, `SIPp saw something other than INVITE, ACK, BYE (a re-INVITE?)${why}`);
      assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
    } finally {
      sp.kill();
      far.proc.kill();
      await d.stop();
    }
  });

  test('incoming, t38-then-audio: the carrier offers PCMU, refuses our T.38 re-INVITE with 488; the page from spandsp arrives over audio exactly', { timeout: 110_000 }, async () => {
    const { sp, rtpPort } = await spandspAudio(['send', bench.page], 'ulaw');
    const { lines, log } = logged();
    const d = sipDriver({ jitterBufferMs: JITTER_MS, log });
    const got: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
    let done!: () => void;
    const delivered = new Promise<void>((r) => { done = r; });
    const stop = await d.listen(async (call, outcome) => {
      got.push({ call, outcome });
      done();
      return 'in-a1';
    });
    const far = await sipp(bench.dir.path, 'uac-audio-488-t38.xml', { remote: `127.0.0.1:${d.port}`, service: '2125550188', keys: { rtp_port: rtpPort }, timeoutS: 100 });
    try {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([delivered, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`no fax delivered within 95 s${evidence(sp, far, lines)}`)), 95_000); })]);
      clearTimeout(timer);
      const { call, outcome } = got[0];
      const why = evidence(sp, far, lines);
      assert.equal(outcome.partial, false, `${outcome.reason}${why}`);
      assert.equal(outcome.pages, 1);
      assert.equal(call.did, '+12125550188');
      assert.equal(call.callingNumber, '+4930123456', 'the caller from P-Asserted-Identity, not From (the trunk)');
      assert.equal(await sp.exit, 0, `spandsp did not report success${why}`);
      assert.equal(await far.done(), 0, far.logs());
      const out = join(bench.dir.path, 'in-audio-received.tif');
      writeFileSync(out, outcome.document!);
      assert.equal(comparePages(bench.dir.path, bench.page, out), null, 'faxgate\'s received page differs from what spandsp sent');
    } finally {
      sp.kill();
      far.proc.kill();
      await stop();
    }
  });

  test('outgoing: faxing over audio after a 488, the far end then re-INVITEs to T.38 itself; faxgate switches (T.38 preferred), T.30 starts afresh there and spandsp\'s T.38 terminal receives the page exactly', { timeout: 110_000 }, async () => {
    const received = join(bench.dir.path, 'switch-received.tif');
    // The audio terminal is abandoned at the switch (it then reports the far end gone).
    const { sp: audio, rtpPort } = await spandspAudio(['receive', join(bench.dir.path, 'switch-audio.tif')], 'ulaw');
    const t38 = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '90']);
    const udptl = (await t38.waitFor(/LISTENING (\d+)/))[1];
    const far = await sipp(bench.dir.path, 'uas-audio-488-then-t38.xml', { keys: { rtp_port: rtpPort, udptl_port: udptl }, pauseMs: 4000, timeoutS: 100 });
    const { lines, log } = logged();
    const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, jitterBufferMs: JITTER_MS, log });
    try {
      const outcome = await d.send({ callId: 'a4', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/4' }, new AbortController().signal);
      const why = `${evidence(audio, far, lines)}\n--- spandsp T.38 ---\n${t38.stderr().slice(-2000)}`;
      assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}${why}`);
      assert.equal(outcome.pagesSent, 1);
      assert.ok(lines.some((l) => /"media":"t38"/.test(l) && /"from":"audio"/.test(l)), `the switch from audio to T.38 is logged${why}`);
      assert.equal(await t38.exit, 0, `spandsp's T.38 terminal did not report success${why}`);
      assert.equal(await far.done(), 0, far.logs());
      assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
    } finally {
      audio.kill();
      t38.kill();
      far.proc.kill();
      await d.stop();
    }
  });
});
