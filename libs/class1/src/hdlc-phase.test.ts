import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AtChannel } from './at-channel.ts';
import { receiveHdlcFrame, sendHdlcFrames, splitFcs } from './hdlc-phase.ts';
import { replayLink, waitFor } from '../test/replay-link.ts';

// Outcomes of +FRH/+FTH that two healthy iaxmodems do not produce on demand (a bad FCS, no
// carrier, a wrong carrier), replayed in the framing iaxmodem uses; the good paths run against
// real modems in test/class1-iaxmodem.test.ts.

const DIS_WITH_FCS = [0xff, 0x13, 0x80, 0x00, 0xee, 0xf0, 0x80, 0x80, 0x10, 0x10, 0xb7, 0xf7];

test('a frame answered ERROR after <DLE><ETX> is returned with fcsOk false', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const r = receiveHdlcFrame(ch, { connectTimeoutMs: 1_000 });
  await waitFor(() => m.written.length === 1);
  assert.equal(m.written[0], 'AT+FRH=3\r');
  m.modemSends('\r\nCONNECT\r\n', [...DIS_WITH_FCS, 0x10, 0x03], '\r\nERROR\r\n');
  const got = await r;
  assert.equal(got.kind, 'frame');
  if (got.kind !== 'frame') return;
  assert.equal(got.fcsOk, false);
  assert.deepEqual([...got.frame], [0xff, 0x13, 0x80, 0x00, 0xee, 0xf0, 0x80, 0x80, 0x10]);
  assert.deepEqual([...(got.fcs ?? [])], [0xb7, 0xf7]);
});

test('NO CARRIER and +FCERROR to AT+FRH=3 are told apart', async () => {
  for (const [answer, kind] of [['NO CARRIER', 'no-carrier'], ['+FCERROR', 'wrong-carrier'], ['ERROR', 'error']] as const) {
    const m = replayLink();
    const ch = new AtChannel(m.link);
    const r = receiveHdlcFrame(ch, { connectTimeoutMs: 1_000 });
    await waitFor(() => m.written.length === 1);
    m.modemSends(`\r\n${answer}\r\n`);
    assert.deepEqual(await r, { kind }, answer);
  }
});

test('frames go out one by one: CONNECT after each non-final frame, OK after the final one', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const csi = Uint8Array.of(0xff, 0x03, 0x40, 0x20);
  const dis = Uint8Array.of(0xff, 0x13, 0x80, 0x10);
  const sent = sendHdlcFrames(ch, [csi, dis]);
  await waitFor(() => m.written.length === 1);
  m.modemSends('\r\nCONNECT\r\n');
  await waitFor(() => m.written.length === 2);
  assert.equal(m.written[1], '\xff\x03\x40\x20\x10\x03');
  m.modemSends('\r\nCONNECT\r\n');
  await waitFor(() => m.written.length === 3);
  assert.equal(m.written[2], '\xff\x13\x80\x10\x10\x10\x03', 'DLE doubled, then <DLE><ETX>');
  m.modemSends('\r\nOK\r\n');
  await sent;
});

test('only the last frame of a transmission may be final (control 0x13)', async () => {
  const ch = new AtChannel(replayLink().link);
  await assert.rejects(sendHdlcFrames(ch, [Uint8Array.of(0xff, 0x13, 0x40), Uint8Array.of(0xff, 0x13, 0x80)], { sendCommand: false }), /only the last frame of a transmission is final/);
  await assert.rejects(sendHdlcFrames(ch, [Uint8Array.of(0xff, 0x03, 0x80)], { sendCommand: false }), /only the last frame/);
});

test('the FCS is split off only when there is room for one', () => {
  assert.deepEqual(splitFcs(Uint8Array.of(0xff, 0x13, 0x84, 0xea, 0x7d)), { frame: Uint8Array.of(0xff, 0x13, 0x84), fcs: Uint8Array.of(0xea, 0x7d) });
  assert.deepEqual(splitFcs(Uint8Array.of(0xff, 0x13, 0x84)), { frame: Uint8Array.of(0xff, 0x13, 0x84), fcs: undefined });
});
