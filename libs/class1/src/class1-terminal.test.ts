import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FCF, buildDcs, buildDis, buildFrame, createT30Engine, encodeIdent, type SessionParams } from '@faxgate/t30';
import { fcs16 } from '@faxgate/modem';
import { AtChannel } from './at-channel.ts';
import { MODULATIONS, type ModemCapabilities } from './capabilities.ts';
import { Class1Terminal } from './class1-terminal.ts';
import { dleEncode } from './dle.ts';
import { replayLink, waitFor } from '../test/replay-link.ts';

// The terminal's choice of what to ask the modem for, against a scripted DCE: the turns two
// healthy iaxmodems do not take on demand (a repeated frame arriving where TCF was expected, a
// modem that has lost the call). The good paths run on real modems in services/node/test.

const ALL = [...MODULATIONS.values()];
const CAPS: ModemCapabilities = {
  classes: { raw: ['0', '1'], class1: true, class10: false, class2: false, class20: false, voice: false },
  transmit: ALL.filter((m) => m.code !== 3), receive: ALL.filter((m) => m.code !== 3),
  hdlcTransmit: [MODULATIONS.get(3)!], hdlcReceive: [MODULATIONS.get(3)!], unknownCodes: [], identity: { ati: [], ati3: [] },
};

/** A frame as a DCE delivers it after +FRH=3's CONNECT: with its FCS, DLE-shielded, then OK. */
function delivered(frame: Uint8Array): number[] {
  return [...dleEncode(Uint8Array.from([...frame, ...fcs16(frame)]), true)];
}

test('receiving: after DCS the terminal asks for TCF in V.17 long training; a V.21 frame there (+FCERROR) is listened for at once; a modem answering ERROR to every receive command has lost the call', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const engine = createT30Engine({ role: 'receive', localId: '1', ecm: false, modems: ['v27ter', 'v29', 'v17'], encodings: ['mh', 'mr'] });
  const run = new Class1Terminal({ channel: ch, engine, capabilities: CAPS, connected: 'transmitting' }).run();
  let i = 0;
  const next = async () => {
    await waitFor(() => m.written.length > i, 3_000);
    return m.written[i++];
  };
  // After ATA's CONNECT the DCE already sends V.21 flags: CSI and DIS go out without +FTH.
  assert.notEqual(await next(), 'AT+FTH=3\r', 'no +FTH before the first frame');
  m.modemSends('\r\nCONNECT\r\n');
  await next();
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  m.modemSends('\r\nCONNECT\r\n', delivered(buildFrame(FCF.TSI | 1, encodeIdent('5550110'), false)), '\r\nOK\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  const p: SessionParams = {
    modulation: { modem: 'v17', bps: 14400 }, resolution: 'fine', encoding: 'mr', width: 'A4', length: 'A4', minScanLineMs: 0, ecm: false,
    ecmFrameSize: 256, withSubaddress: false, withSenderId: false,
  };
  m.modemSends('\r\nCONNECT\r\n', delivered(buildFrame(FCF.DCS | 1, buildDcs(p), true)), '\r\nOK\r\n');
  // T.30 §5.3.2.4 / T.31: TCF follows DCS in V.17 with long training, code 145.
  assert.equal(await next(), 'AT+FRM=145\r');
  // T.31: the DCE heard V.21 instead (say, the caller repeating DCS): +FRH=3 at once.
  m.modemSends('\r\n+FCERROR\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  // iaxmodem answers ERROR to +FRH=3 once its call is gone.
  m.modemSends('\r\nERROR\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  m.modemSends('\r\nERROR\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  m.modemSends('\r\nERROR\r\n');
  const r = await run;
  assert.equal(r.success, false);
  assert.match(r.lineLost ?? '', /ERROR to 3 receive commands/);
  assert.equal(r.remoteId, '');
});

test('sending: after CFR the page goes out in V.17 short training, bit-reversed for the DCE, with +FRS=7 before it and +FTS=7 before the post-page command', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const page = Uint8Array.of(0x00, 0x01, 0x80, 0x0f);
  const engine = createT30Engine({
    role: 'send', localId: '1', ecm: false, modems: ['v27ter', 'v29', 'v17'], encodings: ['mh'],
    document: { pageCount: 1, resolution: 'fine', encodePage: () => page },
  });
  // ATD's CONNECT (T.31 §8.2): the DCE is then receiving the called station's first frame.
  const dialled = ch.command('ATD1', { timeoutMs: 1_000, onConnect: 'receive' });
  await waitFor(() => m.written.length === 1);
  m.modemSends('\r\nCONNECT\r\n');
  assert.equal((await dialled).result, 'CONNECT');
  const run = new Class1Terminal({ channel: ch, engine, capabilities: CAPS, connected: 'receiving' }).run();
  let i = 1;
  const next = async () => {
    await waitFor(() => m.written.length > i, 3_000);
    return m.written[i++];
  };
  const dis = buildFrame(FCF.DIS, buildDis({
    readyToReceive: true, modems: ['v27ter', 'v29', 'v17'], resolutions: ['standard', 'fine'], encodings: ['mh'], widths: ['A4'],
    lengths: ['A4'], minScanLineMs: 0, ecm: false, prefers64: false, t38: false, subaddressing: false, password: false,
  }), true);
  m.modemSends(delivered(dis), '\r\nOK\r\n');
  // TSI+DCS: +FRS=7 first (we received last), then +FTH=3 and two frames.
  assert.equal(await next(), 'AT+FRS=7\r');
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTH=3\r');
  m.modemSends('\r\nCONNECT\r\n');
  await next();
  m.modemSends('\r\nCONNECT\r\n');
  await next();
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTS=7\r');
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTM=145\r');
  m.modemSends('\r\nCONNECT\r\n');
  await next();
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  m.modemSends('\r\nCONNECT\r\n', delivered(buildFrame(FCF.CFR, [], true)), '\r\nOK\r\n');
  assert.equal(await next(), 'AT+FRS=7\r');
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTM=146\r', 'page data in V.17 short training');
  m.modemSends('\r\nCONNECT\r\n');
  // LSB first on the line: 0x01 → 0x80, 0x80 → 0x01, 0x0f → 0xf0; <DLE><ETX> ends it.
  assert.deepEqual([...Buffer.from(await next(), 'latin1')], [0x00, 0x80, 0x01, 0xf0, 0x10, 0x03]);
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTS=7\r');
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTH=3\r');
  m.modemSends('\r\nCONNECT\r\n');
  const eop = [...Buffer.from(await next(), 'latin1')];
  assert.equal(eop[2] & 0xfe, FCF.EOP, 'EOP after the last page');
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FRH=3\r');
  m.modemSends('\r\nCONNECT\r\n', delivered(buildFrame(FCF.MCF, [], true)), '\r\nOK\r\n');
  // DCN (T.30 §5.3.2.5) after the last MCF, then the call is over.
  assert.equal(await next(), 'AT+FRS=7\r');
  m.modemSends('\r\nOK\r\n');
  assert.equal(await next(), 'AT+FTH=3\r');
  m.modemSends('\r\nCONNECT\r\n');
  await next();
  m.modemSends('\r\nOK\r\n');
  const r = await run;
  assert.equal(r.success, true, r.sentence);
  assert.equal(r.pages.length, 1);
  assert.equal(r.pages[0].rate, 'V.17 14400 bit/s');
});
