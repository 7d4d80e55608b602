import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T30Receiver } from './receiver.ts';
import { FCF } from './fcf.ts';
import { buildDcs, parseDis, type SessionParams } from './dis.ts';
import { encodeIdent } from './ident.ts';
import { fast, feedAll, instantLine, names, rx, sentFrames } from '../test/script-helpers.ts';
import { parsePprMap, reverseBits } from './ecm.ts';
import type { T30Action, T30Config } from './types.ts';

const X = 1; // frames from the calling transmitter carry X = 1

function receiver(over: Partial<T30Config> = {}) {
  return instantLine(new T30Receiver({
    role: 'receive', localId: '+44 20 7946', ecm: true, modems: ['v27ter', 'v29', 'v17'], encodings: ['mh', 'mr', 'mmr'],
    judgePage: (data) => ({ rows: data.length, badRows: data.filter((b) => b === 0xee).length }),
    ...over,
  }));
}

const PARAMS: SessionParams = {
  modulation: { modem: 'v17', bps: 9600 }, resolution: 'fine', encoding: 'mr', width: 'A4', length: 'A4',
  minScanLineMs: 0, ecm: false, ecmFrameSize: 256,
};
const ended = (a: T30Action[]) => a.find((x) => x.type === 'call-ended');
const pages = (a: T30Action[]) => a.flatMap((x) => (x.type === 'page-received' ? [x] : []));

function dcs(p: SessionParams) {
  return [rx(FCF.TSI, encodeIdent('+1 555 0100'), false, X), rx(FCF.DCS, buildDcs(p), true, X)];
}
const tcf = (octets: number, value = 0) => [{ type: 'image-data' as const, data: new Uint8Array(octets).fill(value) }, { type: 'image-end' as const }];

test('answers with CSI+DIS, repeats DIS on T4, and ends when T1 expires', () => {
  const r = receiver();
  let a = r.handle({ type: 'start' });
  assert.deepEqual(names(a), ['CSI', 'DIS']);
  const dis = parseDis(sentFrames(a)[1].fif);
  assert.ok(dis.ecm && dis.encodings.includes('mmr') && dis.modems.includes('v17'));
  assert.equal(sentFrames(a)[1].x, 0);
  r.handle({ type: 'sent' });
  a = r.handle({ type: 'timer', name: 'T4' });
  assert.deepEqual(names(a), ['CSI', 'DIS']);
  a = r.handle({ type: 'timer', name: 'T1' });
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'no-dcs');
});

test('non-ECM: TCF judged, FTT for a noisy one, CFR, pages confirmed, DCN ends well', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  r.handle({ type: 'sent' });
  let a = feedAll(r, [...dcs(PARAMS), ...tcf(1800, 0x55)]);
  assert.deepEqual(names(a), ['FTT']);
  a = feedAll(r, [...dcs(PARAMS), ...tcf(1800)]);
  assert.deepEqual(names(a), ['CFR']);
  r.handle({ type: 'sent' });
  a = feedAll(r, [
    { type: 'image-data', data: Uint8Array.of(1, 2, 3) }, { type: 'image-data', data: Uint8Array.of(4) }, { type: 'image-end' },
    rx(FCF.MPS, [], true, X),
  ]);
  assert.deepEqual(names(a), ['MCF']);
  assert.deepEqual([...pages(a)[0].data], [1, 2, 3, 4]);
  assert.equal(pages(a)[0].params.encoding, 'mr');
  // the transmitter missed MCF and repeats MPS: MCF again, no second page
  a = r.handle(rx(FCF.MPS, [], true, X));
  assert.deepEqual(names(a), ['MCF']);
  assert.equal(pages(a).length, 0);
  a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(9) }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  assert.deepEqual(names(a), ['MCF']);
  a = r.handle(rx(FCF.DCN, [], true, X));
  const end = ended(a);
  assert.ok(end?.type === 'call-ended');
  assert.equal(end.result.code, 'ok');
  assert.equal(end.result.pages.length, 2);
  assert.equal(end.result.remoteId, '+1 555 0100');
});

test('a page with too many bad rows earns RTN, then the resent page MCF', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  let a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(0xee, 1, 2) }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  assert.deepEqual(names(a), ['RTN']);
  assert.equal(pages(a).length, 0);
  a = feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  assert.deepEqual(names(a), ['CFR']);
  a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(1, 2, 3) }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  assert.deepEqual(names(a), ['MCF']);
  assert.equal(pages(a).length, 1);
});

test('rows lost to a burst count in the copy quality (T.30 §5.3.6.2): few bad rows but many lost earn RTN; a few lost, RTP', () => {
  // judge: octet 0xee is a bad row, octet 0xdd a stretch in which 9 more rows vanished
  const r = receiver({ judgePage: (data) => ({ rows: data.length, badRows: data.filter((b) => b === 0xee).length, lostRows: 9 * data.filter((b) => b === 0xdd).length }) });
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  // 1 bad row in 100 decoded is within 5 %, but with 9 lost it is 10 of 109
  const page = new Uint8Array(100).fill(1);
  page[50] = 0xdd;
  page[51] = 0xee;
  let a = feedAll(r, [{ type: 'image-data', data: page }, { type: 'image-end' }, rx(FCF.MPS, [], true, X)]);
  assert.deepEqual(names(a), ['RTN']);
  assert.equal(pages(a).length, 0);
  a = feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  assert.deepEqual(names(a), ['CFR']);
  // resent: 9 lost rows in 300 decoded, no bad row at all: kept, and RTP asks for retraining
  const resent = new Uint8Array(300).fill(1);
  resent[10] = 0xdd;
  a = feedAll(r, [{ type: 'image-data', data: resent }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  assert.deepEqual(names(a), ['RTP']);
  assert.equal(pages(a).length, 1);
});

test('the far end vanishing mid-page ends the call when T2 expires', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  r.handle({ type: 'sent' });
  const a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(1) }, { type: 'timer', name: 'T2' }]);
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.sentence, 'Remote station stopped responding before T2 expired');
});

test('ECM: missing frame asked again with PPR, block committed once, page bits restored', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  const ecm: SessionParams = { ...PARAMS, encoding: 'mmr', ecm: true };
  feedAll(r, [...dcs(ecm), ...tcf(1200)]);
  r.handle({ type: 'sent' });
  const frame = (n: number, v: number) => fast(FCF.FCD, [n, v, v]);
  let a = feedAll(r, [frame(0, 0x01), frame(1, 0x02), frame(2, 0x03), fast(FCF.RCP, []),
    rx(FCF.PPS, [FCF.MPS | X, 0, 0, 3], true, X)]);
  assert.deepEqual(names(a), ['PPR']);
  assert.deepEqual(parsePprMap(sentFrames(a)[0].fif, 4), [3]);
  r.handle({ type: 'sent' });
  a = feedAll(r, [frame(3, 0x04), fast(FCF.RCP, []), rx(FCF.PPS, [FCF.MPS | X, 0, 0, 3], true, X)]);
  assert.deepEqual(names(a), ['MCF']);
  const page = pages(a)[0];
  assert.deepEqual([...page.data], [...reverseBits(Uint8Array.of(1, 1, 2, 2, 3, 3, 4, 4))]);
  // a repeated PPS for the block already taken is confirmed without a second copy
  a = r.handle(rx(FCF.PPS, [FCF.MPS | X, 0, 0, 3], true, X));
  assert.deepEqual(names(a), ['MCF']);
  assert.equal(pages(a).length, 0);
  // CTC changes the rate, CTR answers; EOR ends page 2 with what arrived, ERR answers
  a = r.handle(rx(FCF.CTC, [0, 0x0c], true, X)); // bits 11-12 set: V.29 7200
  assert.deepEqual(names(a), ['CTR']);
  a = feedAll(r, [fast(FCF.FCD, [0, 0x80]), fast(FCF.FCD, [1, 0x80], false), rx(FCF.EOR, [FCF.EOP | X], true, X)]);
  assert.deepEqual(names(a), ['ERR']);
  assert.equal(pages(a)[0].params.modulation.bps, 7200);
  assert.deepEqual([...pages(a)[0].data], [0x01]);
  a = r.handle(rx(FCF.DCN, [], true, X));
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'ok');
});

test('ECM: a PPS after PPR that counts only the frames resent (as spandsp sends it) neither shrinks the partial page nor earns MCF while a frame is missing', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  const ecm: SessionParams = { ...PARAMS, encoding: 'mmr', ecm: true };
  feedAll(r, [...dcs(ecm), ...tcf(1200)]);
  r.handle({ type: 'sent' });
  const frame = (n: number, v: number) => fast(FCF.FCD, [n, v, v]);
  // Four frames sent; the carrier was lost after the second.
  let a = feedAll(r, [frame(0, 0x01), frame(1, 0x02), rx(FCF.PPS, [FCF.EOP | X, 0, 0, 3], true, X)]);
  assert.deepEqual(parsePprMap(sentFrames(a)[0].fif, 256), [2, 3]);
  r.handle({ type: 'sent' });
  // Two frames resent, PPS counts 2; frame 3 is lost again: the block is not whole.
  a = feedAll(r, [frame(2, 0x03), fast(FCF.RCP, []), rx(FCF.PPS, [FCF.EOP | X, 0, 0, 1], true, X)]);
  assert.deepEqual(names(a), ['PPR']);
  assert.deepEqual(parsePprMap(sentFrames(a)[0].fif, 256), [3]);
  r.handle({ type: 'sent' });
  a = feedAll(r, [frame(3, 0x04), fast(FCF.RCP, []), rx(FCF.PPS, [FCF.EOP | X, 0, 0, 0], true, X)]);
  assert.deepEqual(names(a), ['MCF']);
  assert.deepEqual([...pages(a)[0].data], [...reverseBits(Uint8Array.of(1, 1, 2, 2, 3, 3, 4, 4))]);
});

test('refuseTraining answers FTT to a perfect TCF', () => {
  const r = receiver({ refuseTraining: true });
  r.handle({ type: 'start' });
  const a = feedAll(r, [...dcs(PARAMS), ...tcf(1800)]);
  assert.deepEqual(names(a), ['FTT']);
});

test('a command with a bad FCS is answered with CRP', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  const ev = rx(FCF.DCS, buildDcs(PARAMS), true, X);
  const a = r.handle(ev.type === 'hdlc' ? { ...ev, ok: false } : ev);
  assert.deepEqual(names(a), ['CRP']);
});

test('SUB and SID from the caller end up in the result', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [rx(FCF.TSI, encodeIdent('+1 555 0100'), false, X), rx(FCF.SUB, encodeIdent('4711'), false, X),
    rx(FCF.SID, encodeIdent('1234'), false, X), rx(FCF.DCS, buildDcs({ ...PARAMS, withSubaddress: true, withSenderId: true }), true, X), ...tcf(1200)]);
  feedAll(r, [{ type: 'image-data', data: Uint8Array.of(1) }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  const a = r.handle(rx(FCF.DCN, [], true, X));
  const end = ended(a);
  assert.ok(end?.type === 'call-ended');
  assert.equal(end.result.subaddress, '4711');
  assert.equal(end.result.senderId, '1234');
});

test('a caller that hangs up after FTT gave up on training', () => {
  const r = receiver({ refuseTraining: true });
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1800)]);
  const a = r.handle(rx(FCF.DCN, [], true, X));
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'training-failed');
});

test('a page with a few bad rows is kept and answered RTP; the caller retrains for the next', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  // judge: 1 bad row (0xee) in 40 is within the 5 % allowance
  const page = new Uint8Array(40).fill(1);
  page[7] = 0xee;
  let a = feedAll(r, [{ type: 'image-data', data: page }, { type: 'image-end' }, rx(FCF.MPS, [], true, X)]);
  assert.deepEqual(names(a), ['RTP']);
  assert.equal(pages(a).length, 1);
  a = feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  assert.deepEqual(names(a), ['CFR']);
  a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(1, 2) }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  assert.deepEqual(names(a), ['MCF']);
  assert.equal(pages(a)[0].index, 1);
});

test('EOM: MCF, then phase B again with DIS, and a second document', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  let a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(1) }, { type: 'image-end' }, rx(FCF.EOM, [], true, X)]);
  assert.deepEqual(names(a), ['MCF', 'CSI', 'DIS']);
  a = feedAll(r, [...dcs({ ...PARAMS, resolution: 'standard' }), ...tcf(1200)]);
  assert.deepEqual(names(a), ['CFR']);
  a = feedAll(r, [{ type: 'image-data', data: Uint8Array.of(2) }, { type: 'image-end' }, rx(FCF.EOP, [], true, X)]);
  assert.equal(pages(a)[0].params.resolution, 'standard');
  a = r.handle(rx(FCF.DCN, [], true, X));
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.pages.length, 2);
});

test('ECM: a partial page missed whole (noise over its training) does not end the call at T2: the PPS after it gets PPR for every frame, the resent block completes the page', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  const ecm: SessionParams = { ...PARAMS, modulation: { modem: 'v17', bps: 14400 }, encoding: 'mmr', ecm: true };
  let a = feedAll(r, [...dcs(ecm), ...tcf(1800)]);
  assert.deepEqual(names(a), ['CFR']);
  assert.ok(a.some((x) => x.type === 'start-timer' && x.name === 'T2'), 'CFR sent: T2 runs for the partial page');
  // The sender's 40-frame block lasts past T2; not one frame of it arrived.
  a = r.handle({ type: 'timer', name: 'T2' });
  assert.equal(ended(a), undefined, 'T2 while the partial page may still be on the line ends nothing');
  assert.deepEqual(names(a), [], 'no DCN');
  const wait = a.find((x) => x.type === 'start-timer' && x.name === 'T2');
  assert.ok(wait?.type === 'start-timer' && wait.ms > 37_000 + 6_000, 'the command wait outlasts a 256-frame block at 14 400 bit/s plus T2');
  a = r.handle(rx(FCF.PPS, [FCF.EOP | X, 0, 0, 39], true, X));
  assert.deepEqual(names(a), ['PPR']);
  assert.deepEqual(parsePprMap(sentFrames(a)[0].fif, 256), Array.from({ length: 40 }, (_, n) => n));
  r.handle({ type: 'sent' });
  const frames = Array.from({ length: 40 }, (_, n) => fast(FCF.FCD, [n, n, n]));
  a = feedAll(r, [...frames, fast(FCF.RCP, []), rx(FCF.PPS, [FCF.EOP | X, 0, 0, 39], true, X)]);
  assert.deepEqual(names(a), ['MCF']);
  const want = Uint8Array.from({ length: 80 }, (_, i) => i >> 1);
  assert.deepEqual([...pages(a)[0].data], [...reverseBits(want)]);
  r.handle({ type: 'sent' });
  a = r.handle(rx(FCF.DCN, [], true, X));
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'ok');
});

test('ECM: when neither the partial page nor a command comes, the call ends after the command wait with DCN', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [...dcs({ ...PARAMS, encoding: 'mmr', ecm: true }), ...tcf(1200)]);
  r.handle({ type: 'sent' });
  assert.equal(ended(r.handle({ type: 'timer', name: 'T2' })), undefined);
  const a = r.handle({ type: 'timer', name: 'T2' });
  assert.deepEqual(names(a), ['DCN']);
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'no-page');
});

test('non-ECM: no page within T2 after CFR still ends the call (a post-page command then could be a repeat of one already confirmed)', () => {
  const r = receiver();
  r.handle({ type: 'start' });
  feedAll(r, [...dcs(PARAMS), ...tcf(1200)]);
  r.handle({ type: 'sent' });
  const a = r.handle({ type: 'timer', name: 'T2' });
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'no-page');
});
