import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { decodeTiffWithLibtiff, differingPixels, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { Class1LineDriver, type Class1DriverOptions } from '../src/class1-line-driver.ts';

// faxgate ↔ faxgate over two real software modems: two iaxmodem processes (spandsp's Class 1
// modem behind each pty) wired to each other over IAX2 on 127.0.0.1. Node A's class1 driver
// sends on pty A, node B's answers on pty B. The pages B received are decoded by libtiff and
// compared pixel for pixel with the pages A sent.
//
// Calls over iaxmodem run in real time (about 15–30 s each here), so each test has its own
// timeout; the file makes two calls.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-node');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

/** Two short pages of text-like content (fine resolution), as a TIFF Class F the way render makes them. */
function document(): { tiff: Uint8Array; bitmaps: Bitmap[] } {
  const bitmaps = [textPage(1728, 260, 11), textPage(1728, 260, 12)] as Bitmap[];
  return { tiff: writeTiff(bitmaps.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mmr' }), bitmaps };
}

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

async function call(options: { a?: Partial<Class1DriverOptions>; b?: Partial<Class1DriverOptions>; stopMidCall?: boolean }) {
  const logA: string[] = [];
  const logB: string[] = [];
  const a = driver(pair.a.device, 'a', logA, options.a);
  const b = driver(pair.b.device, 'b', logB, options.b);
  const received: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  const doc = document();
  const confirmed: number[] = [];
  try {
    const stopB = await b.listen(async (c, outcome) => {
      received.push({ call: c, outcome });
      return 'in-test';
    });
    try {
      let stopped: Promise<void> | undefined;
      let sendEnded = false;
      const outcome = await a.send({
        callId: 't1', number: '+12125550102', dialString: '5550102', document: doc.tiff, fromPage: 1, line: 'test/a/1',
        onPageConfirmed: (n) => {
          confirmed.push(n);
          // A node stopping mid-call (shutdown) lets the call end before it closes its modems.
          if (n === 1 && options.stopMidCall) stopped = a.stop().then(() => assert.ok(sendEnded, 'stop() resolved before the call ended'));
        },
      }, new AbortController().signal);
      sendEnded = true;
      if (options.stopMidCall) {
        assert.ok(stopped, 'stop() was called mid-call');
        await stopped;
      }
      await waitUntil(`node B to hand the received fax to its sink (A's outcome: ${JSON.stringify(outcome)})`, () => received.length > 0, 30_000);
      return { outcome, received: received[0], confirmed, doc, logA, logB };
    } finally {
      await stopB();
      await a.stop();
    }
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- node A log\n${logA.join('')}\n--- node B log\n${logB.join('')}\n${await pair.logs()}`, { cause: err });
  }
}

/** libtiff decodes both the TIFF sent and the one received; every pixel of every page must match. */
async function assertSamePages(tiff: Uint8Array | undefined, sent: Uint8Array, tag: string): Promise<void> {
  assert.ok(tiff, 'no document received');
  const got = await decodeTiffWithLibtiff(tiff, dir.path, tag);
  const ref = await decodeTiffWithLibtiff(sent, dir.path, `${tag}-sent`);
  assert.equal(got.length, ref.length, 'page count');
  for (let i = 0; i < ref.length; i++) {
    assert.equal(got[i].width, ref[i].width, `page ${i + 1} width`);
    assert.equal(got[i].height, ref[i].height, `page ${i + 1} height`);
    assert.equal(differingPixels(got[i], ref[i]), 0, `page ${i + 1}: pixels differ from the page sent`);
  }
}

test('faxgate → faxgate over two iaxmodems, V.17 14400 with ECM (host-framed HDLC): 2 pages arrive pixel for pixel, with caller ID and TSI, though the sending node stops after page 1', { timeout: 120_000 }, async () => {
  const r = await call({ stopMidCall: true });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.deepEqual(r.confirmed, [1, 2]);
    assert.equal(r.outcome.remoteId, '+1 212 555 0102');
    const { call: c, outcome } = r.received;
    assert.equal(outcome.pages, 2);
    assert.equal(outcome.partial, false);
    assert.equal(outcome.csid, '+1 212 555 0101');
    // iaxmodem reports the caller's cidnumber as NMBR and the number dialled as NDID.
    assert.equal(c.callingNumber, pair.a.callerNumber);
    assert.equal(c.did, '5550102');
    await assertSamePages(outcome.document, r.doc.tiff, 'ecm');
    const a = r.logA.join('');
    assert.match(a, /training accepted at V\.17 14400/);
    assert.match(a, /tx ECM block 0 of page 1/);
    assert.match(r.logB.join(''), /DCS: V\.17 14400 bit\/s, mmr, fine, ecm true/);
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- node A log\n${r.logA.join('')}\n--- node B log\n${r.logB.join('')}`, { cause: err });
  }
});

test('faxgate → faxgate without ECM at a forced V.29 9600: 2 pages (MR) arrive pixel for pixel', { timeout: 120_000 }, async () => {
  const r = await call({ a: { ecm: false, modulations: ['v29', 'v27ter'] } });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.equal(r.received.outcome.pages, 2);
    await assertSamePages(r.received.outcome.document, r.doc.tiff, 'non-ecm');
    const a = r.logA.join('');
    assert.match(a, /training accepted at V\.29 9600/);
    assert.match(a, /tx page 1 \(\d+ octets\) at V\.29 9600/);
    assert.doesNotMatch(a, /ECM block/);
    assert.match(r.logB.join(''), /DCS: V\.29 9600 bit\/s, mr, fine, ecm false/);
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- node A log\n${r.logA.join('')}\n--- node B log\n${r.logB.join('')}`, { cause: err });
  }
});
