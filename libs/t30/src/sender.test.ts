import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T30Sender } from './sender.ts';
import { FCF } from './fcf.ts';
import { parseDcs, rateOf } from './dis.ts';
import { decodeIdent } from './ident.ts';
import { disEvents, feedAll, FULL_CAPS, names, rx, sentFrames, testDocument } from '../test/script-helpers.ts';
import { buildPprMap, reverseBits } from './ecm.ts';
import type { T30Action, T30Config } from './types.ts';

function sender(over: Partial<T30Config> = {}, pages = 2, size = 600) {
  const document = testDocument(pages, size);
  const engine = new T30Sender({
    role: 'send', localId: '+1 555 0100', ecm: false, modems: ['v27ter', 'v29', 'v17'], encodings: ['mh', 'mr', 'mmr'],
    document, ...over,
  });
  return { engine, document };
}

const confirmedPages = (a: T30Action[]) => a.flatMap((x) => (x.type === 'page-confirmed' ? [{ index: x.index, confirmed: x.confirmed }] : []));
const ended = (a: T30Action[]) => a.find((x) => x.type === 'call-ended');
const timers = (a: T30Action[]) => a.filter((x) => x.type === 'start-timer').map((x) => (x.type === 'start-timer' ? x.name : ''));

test('non-ECM call: DIS, DCS+TCF, FTT fallback, CFR, two pages, DCN', () => {
  const { engine, document } = sender();
  assert.deepEqual(timers(engine.handle({ type: 'start' })), ['T1']);
  let a = feedAll(engine, disEvents());
  assert.deepEqual(names(a), ['TSI', 'DCS']);
  const dcs = sentFrames(a)[1];
  assert.equal(dcs.x, 1, 'the station that received DIS sets X');
  const p = parseDcs(dcs.fif);
  assert.deepEqual(p?.modulation, { modem: 'v17', bps: 14400 });
  assert.equal(p?.encoding, 'mr', 'MMR needs ECM, which is off');
  assert.equal(p?.resolution, 'fine');
  assert.ok(a.some((x) => x.type === 'send-tcf' && x.ms === 1500));
  assert.deepEqual(timers(engine.handle({ type: 'sent' })), ['T4']);

  a = engine.handle(rx(FCF.FTT));
  assert.deepEqual(names(a), ['TSI', 'DCS']);
  assert.deepEqual(rateOf(sentFrames(a)[1].fif), { modem: 'v17', bps: 12000 });
  engine.handle({ type: 'sent' });

  a = engine.handle(rx(FCF.CFR));
  const img = a.find((x) => x.type === 'send-image');
  assert.ok(img && img.type === 'send-image' && img.data.length === 600 && img.data[0] === 1);
  assert.deepEqual(names(a), ['MPS']);
  assert.equal(document.requests[0].encoding, 'mr');
  engine.handle({ type: 'sent' });

  a = engine.handle(rx(FCF.MCF));
  assert.deepEqual(names(a), ['EOP']);
  assert.deepEqual(confirmedPages(a), [{ index: 0, confirmed: 1 }], 'page 1 is reported confirmed as its MCF arrives');
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.MCF));
  assert.deepEqual(names(a), ['DCN']);
  assert.deepEqual(confirmedPages(a), [{ index: 1, confirmed: 2 }]);
  assert.ok(a.findIndex((x) => x.type === 'page-confirmed') < a.findIndex((x) => x.type === 'call-ended'), 'the last page is confirmed before the call ends');
  const end = ended(a);
  assert.ok(end && end.type === 'call-ended');
  assert.equal(end.result.code, 'ok');
  assert.equal(end.result.pages.length, 2);
  assert.equal(end.result.remoteId, '+49 30 1234');
  assert.equal(end.result.pages[1].rate, 'V.17 12000 bit/s');
});

test('no CFR or FTT after three DCS: "no response to DCS after 3 tries"', () => {
  const { engine } = sender();
  engine.handle({ type: 'start' });
  let a = feedAll(engine, disEvents());
  let dcsCount = names(a).filter((n) => n === 'DCS').length;
  for (let i = 0; i < 3; i++) {
    engine.handle({ type: 'sent' });
    a = engine.handle({ type: 'timer', name: 'T4' });
    dcsCount += names(a).filter((n) => n === 'DCS').length;
  }
  assert.equal(dcsCount, 3);
  assert.deepEqual(names(a), ['DCN']);
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'dcs-no-response');
});

test('FTT at every rate ends with "remote refused all rates"', () => {
  const { engine } = sender();
  engine.handle({ type: 'start' });
  let a = feedAll(engine, disEvents());
  const rates: number[] = [];
  while (!ended(a)) {
    const dcs = sentFrames(a).find((f) => f.name === 'DCS');
    if (dcs) rates.push(rateOf(dcs.fif)?.bps ?? 0);
    engine.handle({ type: 'sent' });
    a = engine.handle(rx(FCF.FTT));
  }
  assert.deepEqual(rates, [14400, 12000, 9600, 7200, 4800, 2400]);
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.sentence, 'Remote refused all rates (FTT down to 2400 bit/s)');
});

test('T1 expires without DIS', () => {
  const { engine } = sender();
  engine.handle({ type: 'start' });
  const a = engine.handle({ type: 'timer', name: 'T1' });
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'no-dis');
  assert.deepEqual(engine.handle(rx(FCF.DIS, [0, 0x0a, 0])), [], 'an ended engine stays quiet');
});

test('RTN retrains one rate lower and resends the page; three RTN give up', () => {
  const { engine } = sender({}, 1);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents());
  engine.handle({ type: 'sent' });
  let a = engine.handle(rx(FCF.CFR));
  assert.deepEqual(names(a), ['EOP']);
  for (let i = 0; i < 2; i++) {
    engine.handle({ type: 'sent' });
    a = engine.handle(rx(FCF.RTN));
    assert.deepEqual(names(a), ['TSI', 'DCS']);
    assert.deepEqual(confirmedPages(a), [], 'a page answered with RTN is not confirmed');
    engine.handle({ type: 'sent' });
    a = engine.handle(rx(FCF.CFR));
    assert.ok(a.some((x) => x.type === 'send-image'));
  }
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.RTN));
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'page-rejected');
});

test('unanswered post-page command is sent three times', () => {
  const { engine } = sender({}, 1);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents());
  engine.handle({ type: 'sent' });
  let a = engine.handle(rx(FCF.CFR));
  let eops = names(a).length;
  for (let i = 0; i < 3; i++) {
    engine.handle({ type: 'sent' });
    a = engine.handle({ type: 'timer', name: 'T4' });
    eops += names(a).filter((n) => n === 'EOP').length;
  }
  assert.equal(eops, 3);
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'post-page-no-response');
});

test('ECM: partial page of 256-octet frames, PPR resend of one frame, then MCF', () => {
  const { engine, document } = sender({ ecm: true }, 1, 600);
  engine.handle({ type: 'start' });
  let a = feedAll(engine, disEvents());
  const p = parseDcs(sentFrames(a)[1].fif);
  assert.equal(p?.encoding, 'mmr');
  assert.equal(p?.ecm, true);
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.CFR));
  assert.equal(document.requests[0].ecm, true);
  const frames = sentFrames(a);
  assert.deepEqual(frames.map((f) => f.name), ['FCD', 'FCD', 'FCD', 'RCP', 'RCP', 'RCP', 'PPS']);
  assert.deepEqual(frames.slice(0, 3).map((f) => [f.fif[0], f.fif.length - 1]), [[0, 256], [1, 256], [2, 88]]);
  // ECM frames carry the image least significant bit first
  assert.equal(frames[0].fif[1], reverseBits(Uint8Array.of(1))[0]);
  assert.ok(frames[0].fast && !frames[6].fast);
  // PPS-EOP: FCF2 with X, page 0, block 0, 3 frames - 1
  assert.deepEqual([...frames[6].fif], [FCF.EOP | 1, 0, 0, 2]);

  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.PPR, buildPprMap([1])));
  assert.deepEqual(sentFrames(a).map((f) => f.name + (f.name === 'FCD' ? f.fif[0] : '')), ['FCD1', 'RCP', 'RCP', 'RCP', 'PPS']);
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.MCF));
  assert.deepEqual(names(a), ['DCN']);
  const end = ended(a);
  assert.ok(end?.type === 'call-ended' && end.result.code === 'ok' && end.result.pages[0].retransmissions === 1);
});

test('ECM: four PPR slow down with CTC; at the slowest rate EOR ends the page in error', () => {
  const { engine } = sender({ ecm: true, modems: ['v27ter'] }, 1, 300);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents());
  engine.handle({ type: 'sent' });
  engine.handle(rx(FCF.CFR));
  let a: T30Action[] = [];
  for (let i = 0; i < 4; i++) {
    engine.handle({ type: 'sent' });
    a = engine.handle(rx(FCF.PPR, buildPprMap([0])));
  }
  assert.deepEqual(names(a), ['CTC']);
  assert.deepEqual(rateOf(sentFrames(a)[0].fif), { modem: 'v27ter', bps: 2400 });
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.CTR));
  assert.deepEqual(names(a), ['FCD', 'RCP', 'RCP', 'RCP', 'PPS']);
  assert.ok(a.some((x) => x.type === 'send-hdlc' && x.modulation?.bps === 2400));
  for (let i = 0; i < 4; i++) {
    engine.handle({ type: 'sent' });
    a = engine.handle(rx(FCF.PPR, buildPprMap([0])));
  }
  assert.deepEqual(names(a), ['EOR']);
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.ERR));
  assert.deepEqual(names(a), ['DCN']);
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.sentence, 'ECM page failed after 4 PPR');
});

test('ECM: RNR is polled with RR until MCF', () => {
  const { engine } = sender({ ecm: true }, 1, 10);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents());
  engine.handle({ type: 'sent' });
  engine.handle(rx(FCF.CFR));
  engine.handle({ type: 'sent' });
  let a = engine.handle(rx(FCF.RNR));
  assert.deepEqual(names(a), ['RR']);
  assert.deepEqual(timers(a), ['T5']);
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.MCF));
  assert.deepEqual(names(a), ['DCN']);
});

test('a receiver without fine resolution gets standard', () => {
  const { engine, document } = sender({}, 1);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents({ ...FULL_CAPS, resolutions: ['standard'] }));
  engine.handle({ type: 'sent' });
  engine.handle(rx(FCF.CFR));
  assert.equal(document.requests[0].resolution, 'standard');
});

test('minimum scan line time becomes minimum row bits without ECM', () => {
  const { engine, document } = sender({}, 1);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents({ ...FULL_CAPS, minScanLineMs: 10 }));
  engine.handle({ type: 'sent' });
  engine.handle(rx(FCF.CFR));
  assert.equal(document.requests[0].minRowBits, 144); // 10 ms at 14400 bit/s
});

test('DIS instead of a post-page response: retrain, then the same partial page again', () => {
  const { engine } = sender({ ecm: true }, 1, 300);
  engine.handle({ type: 'start' });
  feedAll(engine, disEvents());
  engine.handle({ type: 'sent' });
  engine.handle(rx(FCF.CFR));
  engine.handle({ type: 'sent' });
  let a = feedAll(engine, disEvents());
  assert.deepEqual(names(a), ['TSI', 'DCS']);
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.CFR));
  assert.deepEqual(names(a), ['FCD', 'FCD', 'RCP', 'RCP', 'RCP', 'PPS']);
  engine.handle({ type: 'sent' });
  a = engine.handle(rx(FCF.MCF));
  assert.equal(ended(a)?.type === 'call-ended' && ended(a)?.result.code, 'ok');
});

test('SUB and SID go before DCS when the receiver offers them; NSF before DIS is ignored', () => {
  const { engine } = sender({ subaddress: '4711', senderId: '1234' }, 1);
  engine.handle({ type: 'start' });
  const [csi, dis] = disEvents({ ...FULL_CAPS, subaddressing: true, password: true });
  const a = feedAll(engine, [rx(FCF.NSF, [0x00, 0x00, 0x0e, 0x55, 0xaa], false), csi, dis]);
  const frames = sentFrames(a);
  assert.deepEqual(frames.map((f) => f.name), ['TSI', 'SUB', 'SID', 'DCS']);
  assert.equal(decodeIdent(frames[1].fif), '4711');
  assert.equal(parseDcs(frames[3].fif)?.withSubaddress, true);
  // without the DIS offer, no SUB
  const other = sender({ subaddress: '4711' }, 1).engine;
  other.handle({ type: 'start' });
  assert.deepEqual(names(feedAll(other, disEvents())), ['TSI', 'DCS']);
});
