import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { sliceTiff, writeTiff } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { Class1LineDriver, type Class1DriverOptions } from '../src/class1-line-driver.ts';

// The class1 driver's failure paths on real software modems (two iaxmodems wired to each other
// over IAX2 on 127.0.0.1, a fresh pair per test since some tests kill one): no answer, the far
// end gone mid-fax (confirmed pages recorded, the next attempt resumes after them), and the
// modem's own pty vanishing mid-call (the line goes down, the call fails for a retry).
//
// Calls over iaxmodem run in real time: each test has its own timeout.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function pair(): Promise<IaxmodemPair> {
  const p = await startIaxmodemPair();
  cleanups.push(() => p.stop());
  return p;
}

function driver(device: string, name: string, lines: string[], extra: Partial<Class1DriverOptions> = {}): Class1LineDriver {
  const d = new Class1LineDriver({
    devices: [device], linePrefix: `test/${name}`, localId: '+1 212 555 0101', ecm: true, modulations: ['v17', 'v29', 'v27ter'],
    dialCmd: 'ATDT%s', dialTimeoutMs: 30_000, resetCmds: ['ATZ'], initCmds: ['AT+VCID=1'], answer: true, rings: 1, did: '',
    quirks: {}, checkIntervalMs: 30_000, lineWaitMs: 5_000, log: pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) }), ...extra,
  });
  cleanups.push(() => d.stop());
  return d;
}

function pages(n: number, rows = 700): Uint8Array {
  return writeTiff(Array.from({ length: n }, (_, i) => ({ bitmap: textPage(1728, rows, 40 + i), xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
}

function explain(err: unknown, logs: Record<string, string[]>): never {
  // The runner prints the stack made with the first message: a new error carries the evidence.
  const evidence = Object.entries(logs).map(([name, l]) => `\n--- ${name}\n${l.join('')}`).join('');
  throw new Error(`${(err as Error).message}${evidence}`, { cause: err });
}

test('no answer: the dial times out, the call counts as no-answer, and the line is idle again', { timeout: 90_000 }, async () => {
  const p = await pair();
  const log: string[] = [];
  // B's modem rings, but nothing answers it.
  const a = driver(p.a.device, 'a', log, { dialTimeoutMs: 12_000 });
  try {
    const outcome = await a.send({ callId: 'na', number: '+12125550120', dialString: '5550120', document: pages(1, 100), fromPage: 1, line: 'x' }, new AbortController().signal);
    assert.equal(outcome.result, 'no-answer', JSON.stringify(outcome));
    assert.equal(outcome.pagesSent, 0);
    await waitUntil('line A to be idle again after the hang-up and re-probe', () => a.lines[0].state === 'idle', 15_000);
  } catch (err) {
    explain(err, { A: log });
  }
});

test('the far end goes away mid-fax: the confirmed page is recorded, and the next attempt from the first unconfirmed page delivers exactly the rest', { timeout: 150_000 }, async () => {
  const doc = pages(3);
  const logA: string[] = [];
  const logB: string[] = [];
  const p = await pair();
  const a = driver(p.a.device, 'a', logA, { ecm: false });
  const b = driver(p.b.device, 'b', logB);
  const received: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  await b.listen(async (c, outcome) => {
    received.push({ call: c, outcome });
    return 'in-test';
  });
  const confirmed: number[] = [];
  try {
    // As soon as page 1 is confirmed, B's modem dies (its iaxmodem is killed): the line drops
    // while A sends page 2.
    const outcome = await a.send({
      callId: 'cut', number: '+12125550120', dialString: '5550120', document: doc, fromPage: 1, line: 'x',
      onPageConfirmed: (n) => {
        confirmed.push(n);
        if (n === 1) void p.kill('b');
      },
    }, new AbortController().signal);
    assert.deepEqual(confirmed, [1]);
    assert.equal(outcome.pagesSent, 1, JSON.stringify(outcome));
    assert.equal(outcome.result, 'no-carrier', JSON.stringify(outcome));
    await waitUntil('line A to be idle again', () => a.lines[0].state === 'idle', 20_000);
  } catch (err) {
    explain(err, { A: logA, B: logB });
  }

  // The next attempt, as the call worker makes it: from page 2, to a receiver that is there.
  const p2 = await pair();
  const logA2: string[] = [];
  const logB2: string[] = [];
  const a2 = driver(p2.a.device, 'a2', logA2, { ecm: false });
  const b2 = driver(p2.b.device, 'b2', logB2);
  const received2: ReceiveOutcome[] = [];
  await b2.listen(async (_c, outcome) => {
    received2.push(outcome);
    return 'in-test';
  });
  try {
    const outcome = await a2.send({ callId: 'resume', number: '+12125550120', dialString: '5550120', document: doc, fromPage: 2, line: 'x' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', JSON.stringify(outcome));
    assert.equal(outcome.pagesSent, 2);
    await waitUntil('the second receiver to hand its fax over', () => received2.length > 0, 20_000);
    assert.equal(received2[0].pages, 2);
    const dir = await tempDir('faxgate-class1-resume');
    cleanups.push(() => dir.remove());
    const got = await decodeTiffWithLibtiff(received2[0].document as Uint8Array, dir.path, 'got');
    const want = await decodeTiffWithLibtiff(sliceTiff(doc, 1, 3), dir.path, 'want');
    assert.equal(got.length, 2);
    for (let i = 0; i < 2; i++) assert.equal(differingPixels(got[i], want[i]), 0, `resumed page ${i + 2} differs from the page sent`);
  } catch (err) {
    explain(err, { A2: logA2, B2: logB2 });
  }
});

test('the modem\'s pty vanishes mid-call: the call fails (for the call worker to retry) and the line is down with the reason', { timeout: 90_000 }, async () => {
  const p = await pair();
  const logA: string[] = [];
  const logB: string[] = [];
  const a = driver(p.a.device, 'a', logA);
  const b = driver(p.b.device, 'b', logB);
  await b.listen(async () => 'in-test');
  try {
    const sending = a.send({
      callId: 'gone', number: '+12125550120', dialString: '5550120', document: pages(2), fromPage: 1, line: 'x',
    }, new AbortController().signal);
    // Once the call is under way (A's modem is off-hook, frames flowing), A's iaxmodem dies.
    await waitUntil('the call to be in phase B', () => logA.some((l) => /"msg":"rx (CSI|DIS)/.test(l)), 40_000);
    // The rejection may come while kill() is still awaiting the exit: its handler is attached
    // first, else the runner counts it as an unhandled rejection (failed CI once).
    const failed = assert.rejects(sending, /modem device closed|closed/);
    await p.kill('a');
    await failed;
    await waitUntil('line A to be down', () => a.lines[0].state === 'down', 10_000);
    assert.match(a.lines[0].reason, /closed|cannot open|No such file/);
  } catch (err) {
    explain(err, { A: logA, B: logB });
  }
});
