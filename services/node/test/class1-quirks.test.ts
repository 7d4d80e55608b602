import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeTiff } from '@faxgate/fax-image';
import { tempDir, textPage, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import { startPtySpy, spyEvents, type PtySpy, type SpyEvent } from '../../../libs/class1/test/pty-spy.ts';
import { callAtoB } from './class1-bed.ts';

// The per-modem settings (docs/modems.md: HylaFAX's Class1SwitchingCmd, Class1TCFWaitCmd,
// Class1PPMWaitCmd, Class1TMConnectDelay, Class1TCFRecvTimeout, ModemResetCmds, ModemDialCmd,
// RingsBeforeAnswer, and the init commands) change what reaches the modem. Judged at the pty: socat sits
// between each driver and its iaxmodem (libs/class1/test/pty-spy.ts) and logs every octet with
// its time; the modem's answers (OK after the +FTS silence, CONNECT, RING) come from spandsp's
// T.31 inside iaxmodem, not from faxgate. Each setting is given a value other than its default,
// and the default is checked not to reach the modem.
//
// Two real-time calls over iaxmodem (about 30 s and 40 s).

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-quirks');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

async function spies(tag: string): Promise<{ a: PtySpy; b: PtySpy; stop(): Promise<void> }> {
  const a = await startPtySpy(pair.a.device, join(dir.path, `${tag}-spyA`), join(dir.path, `${tag}-spyA.log`));
  const b = await startPtySpy(pair.b.device, join(dir.path, `${tag}-spyB`), join(dir.path, `${tag}-spyB.log`));
  return { a, b, stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
}

function show(events: SpyEvent[]): string {
  return events.map((e) => `${e.t.toFixed(3)} ${e.toModem ? '>' : '<'} ${e.data !== undefined ? `<${e.data} octets>` : e.text}`).join('\n');
}

const commands = (events: SpyEvent[]) => events.filter((e) => e.toModem && e.data === undefined).map((e) => e.text);

/** The modem's answer to the command at `i` (its next line, past the command's echo: iaxmodem starts with E1). */
function answerTo(events: SpyEvent[], i: number): SpyEvent | undefined {
  return events.slice(i + 1).find((e) => !e.toModem && e.data === undefined && e.text !== events[i].text);
}

test('every Class 1 quirk setting changes what reaches the modem: switching, TCF and PPM waits, CONNECT delay, reset, init and dial strings, rings before answer', { timeout: 120_000 }, async () => {
  const spy = await spies('quirks');
  const tiff = writeTiff([{ bitmap: textPage(1728, 200, 91), xDpi: 204, yDpi: 196 }], { compression: 'mh' });
  let evA: SpyEvent[] = [];
  let evB: SpyEvent[] = [];
  try {
    const r = await callAtoB({ ...pair, a: { ...pair.a, device: spy.a.device }, b: { ...pair.b, device: spy.b.device } }, '5550102', tiff, {
      a: {
        ecm: false,
        resetCmds: ['ATZ', 'ATS8=3'],
        initCmds: ['AT+VCID=1', 'ATS7=45'],
        dialCmd: 'ATD%s',
        quirks: { switchingCmd: 'AT+FRS=6', tcfWaitCmd: 'AT+FTS=200', ppmWaitCmd: 'AT+FTS=9', tmConnectDelayMs: 600 },
      },
      b: { ecm: false, rings: 2, quirks: { switchingCmd: 'AT+FRS=5' } },
      request: () => ({ callId: 'quirks' }),
    });
    evA = spyEvents(await spy.a.chunks());
    evB = spyEvents(await spy.b.chunks());
    try {
      assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
      await assertSamePages(r.received.outcome.document, tiff, dir.path, 'quirks');
      const cmdA = commands(evA);
      const cmdB = commands(evB);

      // Reset and init strings (FAXGATE_MODEM_RESET_CMDS, _INIT_CMDS): sent, and answered OK.
      for (const cmd of ['ATZ', 'ATS8=3', 'AT+VCID=1', 'ATS7=45']) {
        const i = evA.findIndex((e) => e.toModem && e.text === cmd);
        assert.ok(i >= 0, `${cmd} reached modem A`);
        assert.equal(answerTo(evA, i)?.text, 'OK', `modem A's answer to ${cmd}`);
      }
      assert.ok(cmdA.indexOf('ATS8=3') > cmdA.indexOf('ATZ') && cmdA.indexOf('ATS7=45') > cmdA.indexOf('ATS8=3'), 'reset strings in order, then init strings');
      // Dial command (ModemDialCmd): ATD without the default's T.
      assert.ok(cmdA.includes('ATD5550102'), 'the dial command as configured');
      assert.ok(!cmdA.some((c) => /^ATDT/.test(c)), 'not the default ATDT');

      // TCF wait (Class1TCFWaitCmd): the command right before the TCF's +FTM (A's first), and
      // the modem's OK comes after its 2 s of silence.
      const firstFtm = evA.findIndex((e) => e.toModem && /^AT\+FTM=\d/.test(e.text));
      const beforeTcf = evA.slice(0, firstFtm).filter((e) => e.toModem && e.data === undefined).at(-1);
      assert.equal(beforeTcf?.text, 'AT+FTS=200', 'the command before the TCF');
      const fts = evA.indexOf(beforeTcf!);
      const ok = answerTo(evA, fts);
      assert.equal(ok?.text, 'OK');
      assert.ok(ok!.t - beforeTcf!.t >= 1.9, `+FTS=200 is 2 s of silence before OK (${(ok!.t - beforeTcf!.t).toFixed(3)} s)`);

      // PPM wait (Class1PPMWaitCmd): after the page data, before the post-page message's +FTH.
      const pageFtm = evA.findIndex((e, i) => i > firstFtm && e.toModem && /^AT\+FTM=\d/.test(e.text));
      assert.ok(pageFtm > firstFtm, 'a second +FTM (the page)');
      const afterPage = evA.slice(pageFtm).filter((e) => e.toModem && e.data === undefined).slice(1, 3).map((e) => e.text);
      assert.deepEqual(afterPage, ['AT+FTS=9', 'AT+FTH=3'], 'after the page data');

      // Switching (Class1SwitchingCmd): before transmitting after receiving, on both sides.
      const aTsi = cmdA.indexOf('AT+FTH=3');
      assert.equal(cmdA[aTsi - 1], 'AT+FRS=6', 'A: before TSI/DCS, after the DIS received');
      assert.ok(cmdB.includes('AT+FRS=5'), 'B: before CFR, after the TCF received');
      for (const [side, cmds] of [['A', cmdA], ['B', cmdB]] as const) {
        assert.ok(!cmds.includes('AT+FRS=7') && !cmds.includes('AT+FTS=7'), `${side}: no default switching or wait command`);
      }

      // CONNECT delay (Class1TMConnectDelay): every block of data A sent after +FTM's CONNECT
      // started at least 600 ms after it.
      const ftmData = evA.filter((e, i) => e.toModem && e.data !== undefined && evA.slice(0, i).filter((x) => x.toModem && x.data === undefined).at(-1)?.text.startsWith('AT+FTM='));
      assert.equal(ftmData.length, 2, 'TCF and page data');
      for (const d of ftmData) assert.ok(d.t - d.connectAt! >= 0.59, `data ${(d.t - d.connectAt!).toFixed(3)} s after CONNECT`);

      // Rings before answer (RingsBeforeAnswer): B answered at the second RING.
      const ata = evB.findIndex((e) => e.toModem && e.text === 'ATA');
      assert.ok(ata > 0, 'B answered');
      assert.equal(evB.slice(0, ata).filter((e) => !e.toModem && e.text === 'RING').length, 2, 'RINGs before ATA');

      // What test 2 needs of the default TCF receive timeout (4.5 s): B's +FRM for the TCF got
      // its CONNECT more than 1.5 s after it was sent (A's 2 s wait).
      const frmTcf = evB.findIndex((e) => e.toModem && /^AT\+FRM=\d/.test(e.text));
      const tcfConnect = answerTo(evB, frmTcf);
      assert.equal(tcfConnect?.text, 'CONNECT');
      assert.ok(tcfConnect!.t - evB[frmTcf].t > 1.5, `TCF carrier ${(tcfConnect!.t - evB[frmTcf].t).toFixed(3)} s after +FRM`);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- modem A's pty\n${show(evA)}\n--- modem B's pty\n${show(evB)}${await r.evidence()}`, { cause: err });
    }
  } finally {
    await spy.stop();
  }
});

test('the TCF receive timeout (Class1TCFRecvTimeout) cuts +FRM short: with 1 s and a sender that waits 2 s before its TCF, the receiver aborts each +FRM after 1 s and answers FTT', { timeout: 120_000 }, async () => {
  const spy = await spies('tcf-timeout');
  const tiff = writeTiff([{ bitmap: textPage(1728, 100, 92), xDpi: 204, yDpi: 196 }], { compression: 'mh' });
  let evB: SpyEvent[] = [];
  try {
    const r = await callAtoB({ ...pair, a: { ...pair.a, device: spy.a.device }, b: { ...pair.b, device: spy.b.device } }, '5550102', tiff, {
      a: { ecm: false, modulations: ['v27ter'], quirks: { tcfWaitCmd: 'AT+FTS=200' } },
      b: { ecm: false, quirks: { tcfRecvTimeoutMs: 1_000 } },
      request: () => ({ callId: 'tcf-timeout' }),
    });
    evB = spyEvents(await spy.b.chunks());
    try {
      // The sender's TCF comes while B sends FTT, so the sender hears no answer and repeats DCS
      // at 4800 (T.30 §5.3.6.1.4 has it do so up to three times) and gives up.
      assert.notEqual(r.outcome.result, 'success', JSON.stringify(r.outcome));
      const frms = evB.flatMap((e, i) => (e.toModem && /^AT\+FRM=48$/.test(e.text) ? [i] : []));
      assert.ok(frms.length >= 1, 'a +FRM for the TCF at 4800');
      for (const i of frms) {
        const next = evB.slice(i + 1).find((e) => e.toModem);
        assert.equal(next?.text, '<CAN>', `${evB[i].text} aborted by the DTE`);
        const waited = next!.t - evB[i].t;
        assert.ok(waited >= 0.95 && waited < 1.8, `${evB[i].text} aborted ${waited.toFixed(3)} s after it was sent`);
        assert.ok(!evB.slice(i + 1, evB.indexOf(next!)).some((e) => !e.toModem), 'the modem said nothing before the abort (no carrier)');
        assert.equal(answerTo(evB, evB.indexOf(next!))?.text, 'OK', 'the modem confirms the abort');
      }
      assert.match(r.logB, /no TCF carrier within 1000 ms/);
      assert.match(r.logB, /tx FTT/);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- modem B's pty\n${show(evB)}${await r.evidence()}`, { cause: err });
    }
  } finally {
    await spy.stop();
  }
});
