import { after, before, test } from 'node:test';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { FCF, buildDcs, buildDis, buildFrame, decodeIdent, encodeIdent, parseDcs, parseDis, parseFrame } from '@faxgate/t30';
import { fcs16 } from '@faxgate/modem';
import { AtChannel, MODULATIONS, openSerialLink, probeModem, receiveHdlcFrame, receiveImageData, sendHdlcFrames, sendImageData, silence, type ByteLink, type Unsolicited } from '../src/index.ts';
import { assertNothingFor, waitUntil } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from './iaxmodem-pair.ts';

// Judges: two iaxmodem processes (spandsp's T.31 Class 1 modem behind each pty) wired to each
// other over IAX2 on 127.0.0.1. Every wait is bounded; a failure carries both AT dialogues and
// both iaxmodem logs.

let pair: IaxmodemPair;
const links: ByteLink[] = [];

before(async () => {
  pair = await startIaxmodemPair();
});

after(async () => {
  for (const l of links) await l.close();
  await pair?.stop();
});

async function openModem(device: string): Promise<AtChannel> {
  const link = await openSerialLink(device);
  links.push(link);
  return new AtChannel(link);
}

/** Runs `body`; on failure, appends both dialogues and the iaxmodem logs to the error. */
async function withDiagnostics(channels: Record<string, AtChannel>, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const dialogues = Object.entries(channels).map(([name, ch]) => `=== AT dialogue ${name}\n${ch.transcript()}`).join('\n');
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n${dialogues}\n${await pair.logs()}`, { cause: err });
  } finally {
    // serialport locks a device exclusively: the next test opens it again.
    for (const l of links.splice(0)) await l.close();
  }
}

test('the probe of a real iaxmodem pty reads what spandsp\'s Class 1 modem offers', async () => {
  const a = await openModem(pair.a.device);
  await withDiagnostics({ A: a }, async () => {
    const caps = await probeModem(a);
    assert.deepEqual(caps.classes.raw, ['0', '1', '1.0']);
    assert.ok(caps.classes.class1 && caps.classes.class10 && !caps.classes.class2 && !caps.classes.class20 && !caps.classes.voice);
    const codes = [24, 48, 72, 73, 74, 96, 97, 98, 121, 122, 145, 146];
    assert.deepEqual(caps.transmit.map((m) => m.code), codes);
    assert.deepEqual(caps.receive.map((m) => m.code), codes);
    assert.deepEqual(caps.hdlcTransmit.map((m) => m.code), [3]);
    assert.deepEqual(caps.hdlcReceive.map((m) => m.code), [3]);
    assert.deepEqual(caps.unknownCodes, []);
    const v17 = caps.transmit.filter((m) => m.standard === 'V.17');
    assert.deepEqual(v17.map((m) => `${m.bitRate}/${m.training}`), ['7200/long', '7200/short', '9600/long', '9600/short', '12000/long', '12000/short', '14400/long', '14400/short']);
    assert.deepEqual(caps.identity.ati, ['spandsp']);
    // Quirks of iaxmodem 1.2 / spandsp 0.0.6 seen here: ATI3 answers the web site, +FMR? an old
    // version string.
    assert.deepEqual(caps.identity.ati3, ['www.soft-switch.org']);
    assert.equal(caps.identity.manufacturer, 'www.soft-switch.org');
    assert.equal(caps.identity.model, 'spandsp');
    assert.equal(caps.identity.revision, '0.0.5');
    // The probe leaves the modem in Class 1.
    assert.deepEqual((await a.command('AT+FCLASS?')).lines, ['1']);
  });
});

test('a call from pty A to pty B: RING with caller ID, ATA, T.30 frames both ways over V.21, TSI heard by adaptive reception, TCF and page data in V.17 14400, V.29 and V.27ter data, then B hangs up', async (t) => {
  const a = await openModem(pair.a.device);
  const b = await openModem(pair.b.device);
  await withDiagnostics({ A: a, B: b }, async () => {
    await probeModem(a);
    await probeModem(b);
    assert.equal((await b.command('AT+VCID=1')).result, 'OK');
    // Adaptive reception (T.31 +FAR=1), used for B's first +FRM below.
    assert.equal((await b.command('AT+FAR=1')).result, 'OK');
    const heard: Unsolicited[] = [];
    b.onUnsolicited((u) => heard.push(u));

    // T.31 §8.2: in Class 1, ATD ends in CONNECT once the caller hears V.21 flags (it is then
    // receiving HDLC, as after AT+FRH=3); ATA ends in CONNECT once the answerer has sent CED and
    // started V.21 flags (it is then transmitting, as after AT+FTH=3).
    const dialed = a.command(`ATDT${pair.b.callerNumber}`, { timeoutMs: 30_000, onConnect: 'receive' });
    await waitUntil('RING on B', () => heard.some((u) => u.kind === 'ring'), 10_000, 20);
    const answered = await b.command('ATA', { timeoutMs: 15_000 });
    assert.equal(answered.result, 'CONNECT');
    assert.equal((await dialed).result, 'CONNECT');

    const csi = buildFrame(FCF.CSI, encodeIdent('+1 555 0120'), false);
    const disCaps = { readyToReceive: true, modems: ['v27ter', 'v29', 'v17'] as const, resolutions: ['standard', 'fine'] as const, encodings: ['mh', 'mr'] as const, widths: ['A4'] as const, lengths: ['A4'] as const, minScanLineMs: 0, ecm: false, prefers64: false, t38: false };
    const dis = buildFrame(FCF.DIS, buildDis({ ...disCaps, modems: [...disCaps.modems], resolutions: [...disCaps.resolutions], encodings: [...disCaps.encodings], widths: [...disCaps.widths], lengths: [...disCaps.lengths] }), true);
    const sent = sendHdlcFrames(b, [csi, dis], { sendCommand: false });

    // A is already receiving after ATD's CONNECT: the first frame needs no AT+FRH=3; the second
    // does, sent at once after the first frame's OK (the carrier is still on).
    const first = await receiveHdlcFrame(a, { connectTimeoutMs: 5_000, sendCommand: false });
    const second = await receiveHdlcFrame(a, { connectTimeoutMs: 5_000 });
    await sent;
    for (const [got, want] of [[first, csi], [second, dis]] as const) {
      assert.equal(got.kind, 'frame');
      if (got.kind !== 'frame') return;
      assert.ok(got.fcsOk, 'the DCE answered OK: FCS good');
      assert.deepEqual([...got.frame], [...want], 'the frame arrived intact');
      assert.deepEqual([...(got.fcs ?? [])], [...fcs16(want)], 'the two octets after the frame are its FCS');
    }
    if (first.kind !== 'frame' || second.kind !== 'frame') return;
    assert.equal(decodeIdent(parseFrame(first.frame)!.fif), '+1 555 0120');
    assert.deepEqual(parseDis(parseFrame(second.frame)!.fif).modems, ['v27ter', 'v29', 'v17']);

    // The answer: A sends TSI + DCS (X bit set: A received a valid DIS, T.30 §5.3.6.1), B
    // receives them with AT+FRH=3. A waits for the carrier of B to drop before its own turn.
    const dcsParams = { modulation: { modem: 'v17', bps: 14400 }, resolution: 'fine', encoding: 'mr', width: 'A4', length: 'A4', minScanLineMs: 0, ecm: false, ecmFrameSize: 256 } as const;
    const tsi = buildFrame(FCF.TSI | 1, encodeIdent('+1 555 0110'), false);
    const dcs = buildFrame(FCF.DCS | 1, buildDcs({ ...dcsParams, modulation: { ...dcsParams.modulation } }), true);
    // B listens as a receiver expecting TCF would (AT+FRM=145) with adaptive reception on: the
    // DCE hears V.21 instead, says +FRH:3 before CONNECT and delivers the TSI frame.
    const bListens = receiveImageData(b, MODULATIONS.get(145)!, { connectTimeoutMs: 10_000, dataTimeoutMs: 10_000 }).then((r) => (r.kind === 'hdlc-frame' ? { ...r, kind: 'frame' as const } : r));
    // T.31 §8.3: AT+FRS waits for silence; T.30 §5.3.2.1 wants 75 ms ± 20 between the two stations' signals.
    assert.equal((await a.command('AT+FRS=8', { timeoutMs: 5_000 })).result, 'OK');
    const aSends = sendHdlcFrames(a, [tsi, dcs]);
    const bFirst = await bListens;
    const bSecond = await receiveHdlcFrame(b, { connectTimeoutMs: 5_000 });
    await aSends;
    for (const [got, want] of [[bFirst, tsi], [bSecond, dcs]] as const) {
      assert.equal(got.kind, 'frame');
      if (got.kind !== 'frame') return;
      assert.ok(got.fcsOk);
      assert.deepEqual([...got.frame], [...want]);
    }
    if (bSecond.kind === 'frame') assert.deepEqual(parseDcs(parseFrame(bSecond.frame)!.fif)?.modulation, { modem: 'v17', bps: 14400 });

    // TCF (T.30 §5.3.6.1.4 / §5.4.2.4: 1.5 s of zeros) at V.17 14400 with long training (code
    // 145), 75 ms after DCS (AT+FTS=8 on A's side); B listens with AT+FRM=145 at once.
    const v17Long = MODULATIONS.get(145)!;
    const v17Short = MODULATIONS.get(146)!;
    const tcf = new Uint8Array((14_400 * 1.5) / 8);
    const bTcf = receiveImageData(b, v17Long, { connectTimeoutMs: 10_000, dataTimeoutMs: 10_000 });
    await silence(a, 'transmit', 8);
    await sendImageData(a, v17Long, tcf);
    const gotTcf = await bTcf;
    assert.equal(gotTcf.kind, 'data');
    if (gotTcf.kind !== 'data') return;
    const zeros = gotTcf.data.filter((o) => o === 0).length;
    t.diagnostic(`TCF: ${tcf.length} zero octets sent, ${gotTcf.data.length} received, ${zeros} of them zero, last 8: ${Buffer.from(gotTcf.data.subarray(-8)).toString('hex')}; then ${gotTcf.result}`);
    // T.30 leaves the TCF judgement to the receiver; here every sent octet must have come through.
    assert.ok(zeros >= tcf.length * 0.95, `${zeros} zero octets of ${tcf.length}`);

    // CFR back on V.21, then page data in V.17 14400 with short training (code 146). The page
    // is arbitrary octets, with DLE, ETX, CR and LF among them, so shielding is exercised.
    const bCfr = sendHdlcFrames(b, [buildFrame(FCF.CFR, [], true)]);
    const aCfr = await receiveHdlcFrame(a, { connectTimeoutMs: 10_000 });
    await bCfr;
    assert.equal(aCfr.kind, 'frame');
    if (aCfr.kind === 'frame') assert.equal(parseFrame(aCfr.frame)?.fcf, FCF.CFR);
    const page = new Uint8Array(4_000);
    for (let i = 0, x = 12345; i < page.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      page[i] = i % 97 === 0 ? 0x10 : i % 89 === 0 ? 0x03 : x >>> 24;
    }
    const bPage = receiveImageData(b, v17Short, { connectTimeoutMs: 10_000, dataTimeoutMs: 15_000 });
    await silence(a, 'transmit', 8);
    await sendImageData(a, v17Short, page);
    const gotPage = await bPage;
    assert.equal(gotPage.kind, 'data');
    if (gotPage.kind !== 'data') return;
    const at = Buffer.from(gotPage.data).indexOf(Buffer.from(page));
    t.diagnostic(`page: ${page.length} octets sent, ${gotPage.data.length} received, sent block found at offset ${at}, after it: ${Buffer.from(gotPage.data.subarray(at + page.length)).toString('hex')}; then ${gotPage.result}`);
    assert.ok(at >= 0, `the page data arrived whole and in order (${gotPage.data.length} octets received; first 32: ${Buffer.from(gotPage.data.subarray(0, 32)).toString('hex')})`);

    // Caller ID came before the first RING (iaxmodem sends it then, not between rings): the
    // caller's cidnumber and cidname, and the number it dialled as NDID.
    const beforeRing = heard.slice(0, heard.findIndex((u) => u.kind === 'ring'));
    const cid = Object.fromEntries(beforeRing.filter((u) => u.kind === 'caller-id').map((u) => [u.field, u.value]));
    assert.equal(cid.NMBR, pair.a.callerNumber);
    assert.equal(cid.NAME, pair.a.callerName);
    assert.equal(cid.NDID, pair.b.callerNumber);

    // The lower speeds a sender falls back to after FTT (T.30 §5.3.2.4): V.29 9600 and V.27ter
    // 4800 carry the same octets.
    for (const code of [96, 48]) {
      const mod = MODULATIONS.get(code)!;
      const block = page.subarray(0, 1_000);
      const bGets = receiveImageData(b, mod, { connectTimeoutMs: 10_000, dataTimeoutMs: 15_000 });
      await silence(a, 'transmit', 8);
      await sendImageData(a, mod, block);
      const got = await bGets;
      assert.equal(got.kind, 'data', `${mod.standard} ${mod.bitRate}`);
      if (got.kind !== 'data') return;
      const where = Buffer.from(got.data).indexOf(Buffer.from(block));
      t.diagnostic(`${mod.standard} ${mod.bitRate}: ${block.length} octets sent, ${got.data.length} received, sent block at offset ${where}`);
      assert.ok(where >= 0, `${mod.standard} ${mod.bitRate}: the data arrived whole and in order (${got.data.length} octets received)`);
    }

    // A waits for a frame that does not come (B silent): the DTE's own timer ends the wait with
    // an abort (CAN), which the DCE answers OK (T.31).
    let settled: string | undefined;
    const aWaits = a.command('AT+FRH=3', { timeoutMs: 20_000, onConnect: 'receive' }).then((r) => { settled = r.result; return r; });
    await assertNothingFor('a result code to A\'s AT+FRH=3 while B is silent', () => settled, 1_000);
    a.abort();
    assert.equal((await aWaits).result, 'OK');
    // The same wait ended by the channel's own timeout instead: the modem is still in +FRH, so
    // the next command is preceded by a CAN whose OK is dropped, and gets its own answer.
    await assert.rejects(a.command('AT+FRH=3', { timeoutMs: 1_000, onConnect: 'receive' }), /timed out after 1000 ms/);
    assert.deepEqual(await a.command('AT+FCLASS?'), { result: 'OK', lines: ['1'] });

    // The far end hangs up while A waits for its post-page answer (as a sender waits for MCF):
    // A's modem reports NO CARRIER.
    const aWaitsAgain = a.command('AT+FRH=3', { timeoutMs: 15_000, onConnect: 'receive' });
    const hungUpAt = Date.now();
    assert.equal((await b.command('ATH0', { timeoutMs: 5_000 })).result, 'OK');
    assert.equal((await aWaitsAgain).result, 'NO CARRIER');
    t.diagnostic(`NO CARRIER on A ${Date.now() - hungUpAt} ms after B's ATH0`);
    assert.equal((await a.command('ATH0', { timeoutMs: 5_000 })).result, 'OK');
    t.diagnostic(`AT dialogue A:\n${a.transcript()}\nAT dialogue B:\n${b.transcript()}`);
  });
});

// Last in this file: it kills modem A.
test('a pty that disappears (its iaxmodem killed): the next command fails, the channel closes, the device is gone', async () => {
  const a = await openModem(pair.a.device);
  await withDiagnostics({ A: a }, async () => {
    assert.equal((await a.command('AT')).result, 'OK');
    // The kernel has closed the pty's master once the process has exited.
    await pair.kill('a');
    // Writing to a hung-up pty fails with EIO; the link closes and the channel says so. (While
    // only reading, serialport 13 does not always notice the hang-up: a command already waiting
    // would end by its own timeout.)
    await assert.rejects(a.command('AT', { timeoutMs: 2_000 }), /modem device closed|timed out after 2000 ms/);
    await assert.rejects(a.command('AT', { timeoutMs: 2_000 }), /modem device closed/);
    await waitUntil('the AT channel to see the device closed', () => a.closed, 2_000, 50);
    assert.equal(existsSync(pair.a.device), false, 'iaxmodem\'s pty symlink now points nowhere');
    await assert.rejects(openSerialLink(pair.a.device), /cannot open/);
  });
});
