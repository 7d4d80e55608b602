// Two audio terminals on one simulated line (faxgate against itself): the paths the spandsp
// judges in test/audio-call-* do not reach, such as stepping down the rates after FTT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createT30Engine, type SendDocument, type T30Config } from '@faxgate/t30';
import { decodeReceivedPage } from '@faxgate/t38';
import { bitmapsEqual, createBitmap, encodeFax, setPixel, type Bitmap } from '@faxgate/fax-image';
import { AudioFaxTerminal } from './audio-fax-terminal.ts';

/** A page of 1728 × 200 pels with a diagonal and a few bars, coded on request. */
function page(): { bitmap: Bitmap; doc: SendDocument } {
  const bitmap = createBitmap(1728, 200);
  for (let y = 0; y < 200; y++) {
    setPixel(bitmap, 100 + y * 7, y, 1);
    if (y % 40 < 8) for (let x = 300; x < 900; x++) setPixel(bitmap, x, y, 1);
  }
  const doc: SendDocument = {
    pageCount: 1,
    resolution: 'standard',
    encodePage: (req) => encodeFax(bitmap, { compression: req.encoding, k: 2, minRowBits: req.minRowBits, rtc: true, eofb: true, bitOrder: 'msb-first' }),
  };
  return { bitmap, doc };
}

function call(send: Partial<T30Config>, receive: Partial<T30Config>, delayBlocks = 0) {
  const base = { localId: '+1 555 0199', ecm: false, encodings: ['mh', 'mr'] as T30Config['encodings'], resolutions: ['standard', 'fine'] as T30Config['resolutions'] };
  const log: string[] = [];
  const received: Uint8Array[] = [];
  const a = new AudioFaxTerminal({ engine: createT30Engine({ ...base, role: 'send', modems: ['v27ter', 'v29'], ...send }), calling: true, log: (l) => log.push(`A ${l}`) });
  const b = new AudioFaxTerminal({
    engine: createT30Engine({ ...base, role: 'receive', modems: ['v27ter', 'v29'], judgePage: (d, p) => decodeReceivedPage(d, p), ...receive }),
    calling: false,
    log: (l) => log.push(`B ${l}`),
    onAction: (act) => {
      if (act.type === 'page-received') received.push(act.data);
    },
  });
  // The line delays each direction by `delayBlocks` 20 ms blocks (jitter buffers, a long path).
  const ab: Int16Array[] = Array.from({ length: delayBlocks }, () => new Int16Array(160));
  const ba: Int16Array[] = Array.from({ length: delayBlocks }, () => new Int16Array(160));
  // Bounded: 5 minutes of line time.
  for (let k = 0; k < 50 * 300 && !(a.finished && b.finished); k++) {
    const x = new Int16Array(160);
    const y = new Int16Array(160);
    a.generate(x);
    b.generate(y);
    ab.push(x);
    ba.push(y);
    a.receive(ba.shift()!);
    b.receive(ab.shift()!);
  }
  return { a, b, log, received };
}

test('a page crosses between two audio terminals at V.29 9600 and decodes to the same pixels', () => {
  const { bitmap, doc } = page();
  const { a, b, log, received } = call({ document: doc }, {});
  assert.equal(a.result?.success, true, log.join('\n'));
  assert.equal(b.result?.success, true, log.join('\n'));
  assert.equal(a.result?.rate, 'V.29 9600 bit/s');
  assert.equal(received.length, 1);
  const got = decodeReceivedPage(received[0], { modulation: { modem: 'v29', bps: 9600 }, resolution: 'standard', encoding: 'mr', width: 'A4', length: 'A4', minScanLineMs: 0, ecm: false, ecmFrameSize: 256 });
  assert.equal(got.badRows, 0);
  const top = createBitmap(1728, 200);
  for (let y = 0; y < 200; y++) for (let i = 0; i < top.stride; i++) top.data[y * top.stride + i] = got.bitmap.data[y * got.bitmap.stride + i];
  assert.ok(bitmapsEqual(top, bitmap), 'the first 200 rows equal the page sent');
});

test('after FTT the sender steps down V.29 9600, 7200, V.27 ter 4800, 2400, each sent and heard at its rate', () => {
  const { doc } = page();
  const { a, log } = call({ document: doc }, { refuseTraining: true });
  assert.equal(a.result?.success, false);
  const sent = log.filter((l) => /^A .* tx \S+ \d+ TCF/.test(l)).map((l) => /tx (\S+ \d+) TCF/.exec(l)?.[1]);
  assert.deepEqual(sent, ['v29 9600', 'v29 7200', 'v27ter 4800', 'v27ter 2400'], log.join('\n'));
  // Each FTT answered a TCF received whole: the refusal is the receiver's choice, not a
  // reception failure (a V.21 DCS once passed for TCF through a V.27 ter receiver trained on it).
  const judged = log.filter((l) => /^B .* TCF: /.test(l));
  assert.equal(judged.length, sent.length, log.join('\n'));
  for (const j of judged) assert.match(j, /longest zero run (\d+), need (\d+): FTT/);
  for (const j of judged) {
    const m = /longest zero run (\d+), need (\d+)/.exec(j);
    assert.ok(m && Number(m[1]) >= Number(m[2]), `the TCF itself was clean: ${j}`);
  }
});

test('both offering V.17: TCF goes with the long train, the page with the short one, and decodes to the same pixels', () => {
  const { bitmap, doc } = page();
  const { a, b, log, received } = call({ document: doc, modems: ['v27ter', 'v29', 'v17'] }, { modems: ['v27ter', 'v29', 'v17'] });
  assert.equal(a.result?.success, true, log.join('\n'));
  assert.equal(b.result?.success, true, log.join('\n'));
  assert.equal(a.result?.rate, 'V.17 14400 bit/s');
  assert.ok(log.some((l) => /^A .* tx v17 14400 TCF$/.test(l)), log.join('\n'));
  assert.ok(log.some((l) => /^A .* tx v17 14400 page data .*\(short train\)$/.test(l)), log.join('\n'));
  assert.equal(received.length, 1);
  const got = decodeReceivedPage(received[0], { modulation: { modem: 'v17', bps: 14400 }, resolution: 'standard', encoding: 'mr', width: 'A4', length: 'A4', minScanLineMs: 0, ecm: false, ecmFrameSize: 256 });
  assert.equal(got.badRows, 0);
  const top = createBitmap(1728, 200);
  for (let y = 0; y < 200; y++) for (let i = 0; i < top.stride; i++) top.data[y * top.stride + i] = got.bitmap.data[y * got.bitmap.stride + i];
  assert.ok(bitmapsEqual(top, bitmap), 'the first 200 rows equal the page sent');
});

test('a line with 0.6 s of delay each way: the receiver waits for the whole TSI + DCS sequence once its flags are heard (T.30 §5.4.3), and the page crosses', () => {
  const { doc } = page();
  const { a, b, log, received } = call({ document: doc }, {}, 30);
  assert.equal(b.result?.success, true, log.join('\n'));
  assert.equal(a.result?.success, true, log.join('\n'));
  assert.equal(received.length, 1);
  assert.equal(log.filter((l) => /^B .*timer T4 expired/.test(l)).length, 0, log.join('\n'));
});

test('V.17 with ECM: 0.3 s of the signal lost in the middle of a 36 s ECM block (a burst of lost RTP packets) costs a few frames sent again after PPR, not the call', () => {
  // A page that codes to some 117 kB of MR: ECM blocks of 256 frames, each over 36 s at 14400 bit/s.
  const bitmap = createBitmap(1728, 400);
  let r = 7;
  for (let y = 0; y < 400; y++) {
    for (let x = 0; x < 1728; x += 3) {
      r = (r * 1103515245 + 12345) >>> 0;
      if ((r >>> 16) & 1) setPixel(bitmap, x, y, 1);
    }
  }
  const doc: SendDocument = { pageCount: 1, resolution: 'standard', encodePage: (req) => encodeFax(bitmap, { compression: req.encoding, k: 2, minRowBits: req.minRowBits, rtc: true, eofb: true, bitOrder: 'msb-first' }) };
  const base = { localId: '+1 555 0199', ecm: true, encodings: ['mh', 'mr'] as T30Config['encodings'], resolutions: ['standard', 'fine'] as T30Config['resolutions'], modems: ['v27ter', 'v29', 'v17'] as T30Config['modems'] };
  const log: string[] = [];
  const received: Uint8Array[] = [];
  const a = new AudioFaxTerminal({ engine: createT30Engine({ ...base, role: 'send', document: doc }), calling: true, log: (l) => log.push(`A ${l}`) });
  const b = new AudioFaxTerminal({
    engine: createT30Engine({ ...base, role: 'receive', judgePage: (d, p) => decodeReceivedPage(d, p) }),
    calling: false,
    log: (l) => log.push(`B ${l}`),
    onAction: (act) => {
      if (act.type === 'page-received') received.push(act.data);
    },
  });
  let blockStart = -1;
  let gaps = 0;
  // Bounded: 5 minutes of line time.
  for (let k = 0; k < 50 * 300 && !(a.finished && b.finished); k++) {
    const x = new Int16Array(160);
    const y = new Int16Array(160);
    a.generate(x);
    b.generate(y);
    if (blockStart < 0 && log.some((l) => /^A .* tx v17 HDLC, 259 frame/.test(l))) blockStart = k;
    // 15 blocks (0.3 s) of A's signal lost 3 s into the first block, as a jitter buffer fills a loss with silence.
    if (blockStart >= 0 && k >= blockStart + 150 && k < blockStart + 165) {
      x.fill(0);
      gaps++;
    }
    a.receive(y);
    b.receive(x);
  }
  assert.equal(gaps, 15, `the loss was made inside the first block\n${log.join('\n')}`);
  assert.equal(b.result?.success, true, log.join('\n'));
  assert.equal(a.result?.success, true, log.join('\n'));
  const ppr = log.find((l) => /^B .*PPS: \d+ of 256 frames missing, PPR/.test(l));
  assert.ok(ppr, `the frames lost in the gap were asked for again\n${log.join('\n')}`);
  assert.ok(Number(/PPS: (\d+) of/.exec(ppr)![1]) < 20, `only the frames in the gap were lost: ${ppr}`);
  assert.equal(received.length, 1);
  const got = decodeReceivedPage(received[0], { modulation: { modem: 'v17', bps: 14400 }, resolution: 'standard', encoding: 'mr', width: 'A4', length: 'A4', minScanLineMs: 0, ecm: true, ecmFrameSize: 256 });
  assert.equal(got.badRows, 0);
  const top = createBitmap(1728, 400);
  for (let y = 0; y < 400; y++) for (let i = 0; i < top.stride; i++) top.data[y * top.stride + i] = got.bitmap.data[y * got.bitmap.stride + i];
  assert.ok(bitmapsEqual(top, bitmap), 'the page received equals the page sent');
});
