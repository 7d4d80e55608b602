import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AtChannel } from './at-channel.ts';
import type { Unsolicited } from './result-codes.ts';
import { replayLink, waitFor } from '../test/replay-link.ts';

// The modem side is replayed from byte sequences iaxmodem (spandsp's T.31) sent on its pty,
// cut into the chunks it arrived in; the integration test in test/ runs the real thing.

test('a command gets its information lines and final result; the echo is left out', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const p = ch.command('AT+FCLASS=?');
  assert.deepEqual(m.written, ['AT+FCLASS=?\r']);
  m.modemSends('AT+FCLASS=?\r', '\r\n0,1,1.0\r\n', '\r\nOK', '\r\n');
  assert.deepEqual(await p, { result: 'OK', lines: ['0,1,1.0'] });
});

test('RING arriving while a command waits goes to the unsolicited listener, not the command', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const seen: Unsolicited[] = [];
  ch.onUnsolicited((u) => seen.push(u));
  const p = ch.command('ATI');
  m.modemSends('\r\n', 'RING\r\n', '\r\nNMBR = 5550110\r\n\r\nspandsp\r\n\r\nOK\r\n');
  assert.deepEqual(await p, { result: 'OK', lines: ['spandsp'] });
  assert.deepEqual(seen.map((u) => u.kind === 'caller-id' ? `${u.field}=${u.value}` : u.kind), ['ring', 'NMBR=5550110']);
});

test('a command that gets no final result fails after its timeout, with the dialogue', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const p = ch.command('AT+FRH=3', { timeoutMs: 50 });
  m.modemSends('\r\n');
  await assert.rejects(p, /timed out after 50 ms waiting for the result of AT\+FRH=3; dialogue:\n.*> AT\+FRH=3/s);
});

test('after a timeout the next command first aborts with CAN and drops the late result, so it gets its own', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  await assert.rejects(ch.command('AT+FRH=3', { timeoutMs: 50, onConnect: 'receive' }), /timed out/);
  const q = ch.command('AT+FCLASS?');
  assert.deepEqual(m.written, ['AT+FRH=3\r', '\x18'], 'CAN before the next command');
  // The modem answers the abort (the late result of AT+FRH=3) ...
  m.modemSends('\r\nOK\r\n');
  await waitFor(() => m.written.length === 3);
  assert.equal(m.written[2], 'AT+FCLASS?\r');
  // ... and only then the new command.
  m.modemSends('\r\n1\r\n\r\nOK\r\n');
  assert.deepEqual(await q, { result: 'OK', lines: ['1'] });
});

test('after a timeout with no late result the resynchronisation gives up after its own bound', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  await assert.rejects(ch.command('AT', { timeoutMs: 20 }), /timed out/);
  const started = Date.now();
  const q = ch.command('AT');
  await waitFor(() => m.written.length === 3, 3_000);
  assert.ok(Date.now() - started >= 900, 'waited about RESYNC_MS for a late result');
  m.modemSends('\r\nOK\r\n');
  assert.equal((await q).result, 'OK');
});

test('a second command while one waits is refused', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const p = ch.command('AT', { timeoutMs: 1_000 });
  await assert.rejects(ch.command('ATI'), /busy: "AT" is still waiting/);
  m.modemSends('\r\nOK\r\n');
  await p;
});

test('after CONNECT to a receive command the data up to <DLE><ETX> and the result code after it are read', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const p = ch.command('ATD5550120', { timeoutMs: 1_000, onConnect: 'receive' });
  // As iaxmodem sent it: CONNECT's <CR><LF> split over chunks, then the CSI frame (with its two
  // FCS octets), <DLE><ETX> and OK in one chunk.
  m.modemSends('\r\n', 'CONNECT', '\r');
  assert.equal((await p).result, 'CONNECT');
  const frame = [0xff, 0x03, 0x40, ...Buffer.from('                 BA '), 0x5d, 0x03];
  m.modemSends([0x0a, ...frame, 0x10, 0x03, 0x0d, 0x0a, 0x4f, 0x4b, 0x0d, 0x0a]);
  const block = await ch.readData(1_000);
  assert.equal(block.result, 'OK');
  assert.deepEqual([...block.data], frame);
});

test('data octets that look like CR, LF or a result code are data, and DLE DLE is one DLE', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const p = ch.command('AT+FRM=96', { timeoutMs: 1_000, onConnect: 'receive' });
  m.modemSends('\r\nCONNECT\r\n');
  await p;
  const r = ch.readData(1_000);
  m.modemSends([0x0d, 0x0a, 0x4f, 0x4b, 0x0d, 0x0a, 0x10, 0x10], [0x10], [0x10, 0x0a, 0x10, 0x03], '\r\nNO CARRIER\r\n');
  const block = await r;
  assert.deepEqual([...block.data], [0x0d, 0x0a, 0x4f, 0x4b, 0x0d, 0x0a, 0x10, 0x10, 0x0a]);
  assert.equal(block.result, 'NO CARRIER');
});

test('a device that goes away fails the waiting command and every later one', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  const p = ch.command('AT', { timeoutMs: 5_000 });
  m.hangUp(new Error('EIO'));
  await assert.rejects(p, /modem device closed: EIO/);
  await assert.rejects(ch.command('AT'), /modem device closed/);
  assert.ok(ch.closed);
});

test('abort writes one CAN and the waiting command ends with the result the DCE gives it', async () => {
  const m = replayLink();
  const ch = new AtChannel(m.link);
  assert.throws(() => ch.abort(), /no command is waiting/);
  const p = ch.command('AT+FRH=3', { timeoutMs: 1_000, onConnect: 'receive' });
  ch.abort();
  assert.deepEqual(m.written, ['AT+FRH=3\r', '\x18']);
  m.modemSends('\r\nOK\r\n');
  assert.equal((await p).result, 'OK');
});
