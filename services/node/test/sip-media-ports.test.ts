// FAXGATE_SIP_MEDIA_PORTS: calls' RTP and UDPTL ports come from the configured range. SIPp, the
// independent judge, sees them in our SDP (the audio offer and the T.38 re-INVITE) while spandsp
// receives the fax; a range with room for one call refuses a second call at once, inbound with
// 503 and outbound as congestion, and hands the same ports to the next call once the first ended.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OutgoingCall } from '@faxgate/line-driver';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';
import { PORTS_PER_CALL } from '../src/sip-media-ports.ts';

const bench = useSipBench('faxgate-sip-ports');

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A range with room for one call: 4 free ports from a multiple of 4, between the default range
 * (10000-11999, which nodes of other tests use) and the test ports of @faxgate/testkit (20000 up).
 */
async function oneCallRange(): Promise<{ first: number; last: number }> {
  for (let tries = 0; tries < 200; tries++) {
    const first = 12_000 + 4 * Math.floor(Math.random() * 1999);
    const free = await Promise.all(Array.from({ length: PORTS_PER_CALL }, (_, i) => udpFree(first + i)));
    if (free.every(Boolean)) return { first, last: first + PORTS_PER_CALL - 1 };
  }
  throw new Error('no 4 free UDP ports found in 12000-19999');
}

const call = (callId: string): OutgoingCall => ({ callId, number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' });

async function within<T>(ms: number, what: string, p: Promise<T>, evidence: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => { timer = setTimeout(() => rej(new Error(`${what} not within ${ms} ms\n${evidence()}`)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

test('the SDP of the audio offer and of the T.38 re-INVITE names ports of the range (RTP even), and the fax reaches spandsp', { timeout: 90_000 }, async () => {
  const range = await oneCallRange();
  const received = join(bench.dir.path, 'spandsp-received.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '60']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(bench.dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: udptl }, timeoutS: 80 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}`, mediaPorts: range });
  try {
    const outcome = await d.send(call('ports-1'), new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(await far.done(), 0, far.logs());
    const trace = far.logs();
    const audio = [...trace.matchAll(/^m=audio (\d+) RTP\/AVP/gm)].map((m) => Number(m[1]));
    const image = [...trace.matchAll(/^m=image (\d+) udptl t38/gm)].map((m) => Number(m[1]));
    // SIPp's own answers name its ports, not ours: ours are the ones in the range.
    assert.ok(audio.includes(range.first), `our audio offer names RTP port ${range.first} (even, first of the range): ${audio}\n${trace}`);
    assert.ok(image.includes(range.first + 2), `our T.38 re-INVITE names UDPTL port ${range.first + 2}: ${image}\n${trace}`);
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});

test('a range with room for one call: a second call at once is refused (incoming 503, outgoing congestion), the ports serve the next call after', { timeout: 120_000 }, async () => {
  const rangeA = await oneCallRange();
  let rangeB = await oneCallRange();
  while (rangeB.first === rangeA.first) rangeB = await oneCallRange();
  const finalsB: string[] = [];
  const finalsC: string[] = [];
  const b = sipDriver({ mediaPorts: rangeB, onFinalResponse: (direction, code) => finalsB.push(`${direction} ${code}`) });
  const received: number[] = [];
  const stopB = await b.listen(async (_c, outcome) => {
    received.push(outcome.pages);
    return `in-${received.length}`;
  });
  const a = sipDriver({ mediaPorts: rangeA, dialFormat: `sip:{e164}@127.0.0.1:${b.port}` });
  const c = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${b.port}`, onFinalResponse: (direction, code) => finalsC.push(`${direction} ${code}`) });
  const evidence = () => `A ${JSON.stringify([...a.sipCallStates()])} B finals ${finalsB} C finals ${finalsC}`;
  try {
    const first = a.send(call('one'), new AbortController().signal);
    // Both single-call ranges are held once A's call is on T.38 with B.
    await within(30_000, 'the first call faxing', (async () => {
      while (![...a.sipCallStates().values()].some((s) => s.state === 'faxing')) await new Promise((r) => setTimeout(r, 50));
    })(), evidence);

    await assert.rejects(a.send(call('two'), new AbortController().signal), /congestion on this node: no media ports free in FAXGATE_SIP_MEDIA_PORTS \d+-\d+ \(room for 1 call/, 'A\'s second call at once fails as congestion, naming the range');
    await assert.rejects(c.send(call('three'), new AbortController().signal), /congested \(503 Service Unavailable: No Media Ports Free\)/, 'B refuses an incoming call beyond its range with 503');
    assert.deepEqual(finalsC, ['outgoing 503']);

    const one = await within(60_000, 'the first fax', first, evidence);
    assert.equal(one.result, 'success', JSON.stringify(one));
    // B's call ends after A's result (B finishes receiving, then gives its ports back).
    await within(30_000, 'the first call over at B', (async () => {
      while (received.length < 1 || b.incomingCalls().length > 0) await new Promise((r) => setTimeout(r, 50));
    })(), () => `${evidence()} B incoming ${JSON.stringify(b.incomingCalls())}`);
    // A's and B's only blocks serve the next call.
    const again = await within(60_000, 'the fax after', a.send(call('four'), new AbortController().signal), evidence);
    assert.equal(again.result, 'success', JSON.stringify(again));
    await within(30_000, 'both faxes delivered at B', (async () => {
      while (received.length < 2) await new Promise((r) => setTimeout(r, 50));
    })(), evidence);
    assert.deepEqual(received, [1, 1]);
    assert.deepEqual(finalsB, ['incoming 200', 'incoming 503', 'incoming 200']);
  } finally {
    await a.stop();
    await c.stop();
    await stopB();
  }
});
