import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { sliceTiff, writeTiff } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { tempDir, textPage, waitUntil } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import type { Class1DriverOptions, Class1LineDriver } from '../src/class1-line-driver.ts';
import { callAtoB, class1Driver } from './class1-bed.ts';

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

/** The shared bed's driver (class1-bed.ts), stopped after the test; a call waits 5 s at most for its modem. */
function driver(device: string, name: string, lines: string[], extra: Partial<Class1DriverOptions> = {}): Class1LineDriver {
  const d = class1Driver(device, name, lines, { lineWaitMs: 5_000, ...extra });
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
  const r = await callAtoB(p2, '5550120', doc, { a: { ecm: false, lineWaitMs: 5_000 }, request: () => ({ callId: 'resume', fromPage: 2 }) });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.equal(r.received.outcome.pages, 2);
    const dir = await tempDir('faxgate-class1-resume');
    cleanups.push(() => dir.remove());
    // Exactly pages 2 and 3 of the document, pixel for pixel as libtiff decodes them.
    await assertSamePages(r.received.outcome.document, sliceTiff(doc, 1, 3), dir.path, 'resumed');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
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
