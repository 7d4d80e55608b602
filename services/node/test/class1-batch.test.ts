import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { Class1LineDriver, type Class1DriverOptions } from '../src/class1-line-driver.ts';

// Batching through the `class1` driver (issue 14): two faxes' documents in one modem call, EOM
// between them (PPS-EOM with ECM, T.30 §5.3.6.1.7), then phase B again. Node A's class1 driver
// dials on iaxmodem pty A; node B's class1 driver answers on pty B (two real software modems,
// spandsp behind each, wired over IAX2 on loopback). B must get one call carrying every page of
// both documents, equal pixel for pixel (libtiff decodes both sides) to the pages A sent.
//
// Calls over iaxmodem run in real time (about 20–40 s each here): each test has its own timeout.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-batch');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

function logger(lines: string[]) {
  return pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
}

function driver(device: string, name: string, lines: string[], extra: Partial<Class1DriverOptions> = {}): Class1LineDriver {
  return new Class1LineDriver({
    devices: [device], linePrefix: `test/${name}`, localId: name === 'a' ? '+1 212 555 0101' : '+1 212 555 0102', ecm: true,
    modulations: ['v17', 'v29', 'v27ter'], dialCmd: 'ATDT%s', dialTimeoutMs: 30_000, resetCmds: ['ATZ'], initCmds: ['AT+VCID=1'],
    answer: true, rings: 1, did: '', quirks: {}, checkIntervalMs: 30_000, log: logger(lines), ...extra,
  });
}

for (const ecm of [true, false]) {
  test(`one class1 modem call carries two documents to faxgate's class1 receiver (ECM ${ecm ? 'on: PPS-EOM' : 'off: EOM'}): 3 pages in that call, pixel for pixel`, { timeout: 150_000 }, async () => {
    const logA: string[] = [];
    const logB: string[] = [];
    const a = driver(pair.a.device, 'a', logA, { ecm });
    const b = driver(pair.b.device, 'b', logB);
    const received: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
    // Fax 1 has two pages, fax 2 one; the call's document is both back to back, as the call worker builds it.
    const bitmaps = [textPage(1728, 260, 21), textPage(1728, 260, 22), textPage(1728, 260, 23)] as Bitmap[];
    const document = writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' });
    const confirmed: number[] = [];
    try {
      assert.equal(a.multiDocument, true, 'the class1 driver says it sends batched calls');
      const stopB = await b.listen(async (c, outcome) => {
        received.push({ call: c, outcome });
        return 'in-test';
      });
      try {
        const outcome = await a.send({
          callId: 'lead-r0-a1', number: '+12125550102', dialString: '5550102', document, fromPage: 1, line: 'test/a/1',
          parts: [{ callId: 'lead-r0-a1', fromPage: 1, pages: 2 }, { callId: 'other-r0-a1', fromPage: 1, pages: 1 }],
          onPageConfirmed: (n) => confirmed.push(n),
        }, new AbortController().signal);
        assert.equal(outcome.result, 'success', JSON.stringify(outcome));
        assert.equal(outcome.pagesSent, 3);
        assert.deepEqual(confirmed, [1, 2, 3]);
        await waitUntil(`node B to hand the received fax to its sink (A's outcome: ${JSON.stringify(outcome)})`, () => received.length > 0, 30_000);
      } finally {
        await stopB();
        await a.stop();
      }
      // One call: the receiver handed over one fax holding all three pages, complete.
      assert.equal(received.length, 1, 'one call received');
      const got = received[0].outcome;
      assert.equal(got.pages, 3);
      assert.equal(got.partial, false, got.reason);
      // The sender ended document 1 with EOM and went through phase B again (a second DCS).
      const sent = logA.join('');
      assert.match(sent, /EOM confirmed: phase B for the next document/);
      assert.ok(got.document, 'no document received');
      const pages = await decodeTiffWithLibtiff(got.document, dir.path, `rx-${ecm}`);
      assert.equal(pages.length, bitmaps.length, 'page count');
      const ref = await decodeTiffWithLibtiff(document, dir.path, `tx-${ecm}`);
      for (let i = 0; i < ref.length; i++) {
        assert.equal(pages[i].height, ref[i].height, `page ${i + 1} height`);
        assert.equal(differingPixels(pages[i], ref[i]), 0, `page ${i + 1}: pixels differ from the page sent`);
      }
    } catch (err) {
      (err as Error).message += `\n--- node A log\n${logA.join('').slice(-20_000)}\n--- node B log\n${logB.join('').slice(-20_000)}\n${await pair.logs()}`;
      throw err;
    }
  });
}
