import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterBuffer } from './rtp-jitter-buffer.ts';
import { decodeRtp, encodeRtp, type RtpPacket } from './rtp-packet.ts';
import { RtpPacketiser } from './rtp-packetiser.ts';
import { g711Decode, g711Encode } from './g711.ts';

/** 20 ms frames whose samples tell which frame they belong to (exact in A-law). */
function frames(n: number): Int16Array[] {
  return Array.from({ length: n }, (_, k) => new Int16Array(160).fill(g711Decode('alaw', g711Encode('alaw', Int16Array.of((k + 1) * 150)))[0]));
}

function packets(fs: Int16Array[], opts: { sequence?: number; timestamp?: number; ssrc?: number } = {}): RtpPacket[] {
  const pk = new RtpPacketiser({ law: 'alaw', sequence: 100, timestamp: 8000, ssrc: 1, ...opts });
  return fs.map((f) => decodeRtp(pk.packetise(f)) as RtpPacket);
}

const id = (x: Int16Array) => x[0];

test('reordered packets play in timestamp order after the fixed delay', () => {
  const fs = frames(6);
  const ps = packets(fs);
  const jb = new JitterBuffer({ law: 'alaw', payloadType: 8, delayFrames: 2 });
  const order = [0, 2, 1, 4, 3, 5];
  const out: number[] = [];
  for (const i of order) {
    jb.push(ps[i]);
    out.push(id(jb.pull()));
  }
  for (let i = 0; i < 3; i++) out.push(id(jb.pull()));
  assert.deepEqual(out, [0, 0, ...fs.map(id), 0].slice(0, 9));
  assert.deepEqual(jb.stats, { received: 6, late: 0, duplicates: 0, filled: 1, ignored: 0, restarts: 0 });
});

test('a lost packet becomes silence, or the last sample held; a late one is dropped', () => {
  for (const fill of ['silence', 'hold'] as const) {
    const fs = frames(4);
    const ps = packets(fs);
    const jb = new JitterBuffer({ law: 'alaw', payloadType: 8, delayFrames: 0, fill });
    jb.push(ps[0]);
    const got = [id(jb.pull())];
    got.push(id(jb.pull())); // frame 1 missing at its time
    jb.push(ps[1]); // arrives too late
    jb.push(ps[2]);
    jb.push(ps[3]);
    got.push(id(jb.pull()), id(jb.pull()));
    assert.deepEqual(got, [fs[0][0], fill === 'hold' ? fs[0][159] : 0, fs[2][0], fs[3][0]], fill);
    assert.equal(jb.stats.late, 1);
    assert.equal(jb.stats.filled, 1);
  }
});

test('RFC 4733 telephone-events and duplicates are ignored; sequence and timestamp wrap', () => {
  const fs = frames(3);
  const ps = packets(fs, { sequence: 0xffff, timestamp: 0xffffff60 });
  const jb = new JitterBuffer({ law: 'alaw', payloadType: 8, delayFrames: 0 });
  const dtmf = decodeRtp(encodeRtp({ payloadType: 101, marker: true, sequence: 5, timestamp: 0xffffff60, ssrc: 1, payload: Uint8Array.of(1, 0x8a, 0, 160) })) as RtpPacket;
  jb.push(ps[0]);
  jb.push(dtmf);
  jb.push(ps[0]);
  jb.push(ps[1]);
  jb.push(ps[2]);
  assert.deepEqual([jb.pull(), jb.pull(), jb.pull()].map(id), fs.map(id));
  assert.equal(jb.stats.ignored, 1);
  assert.equal(jb.stats.duplicates, 1);
});

test('a new SSRC restarts playout at its first packet', () => {
  const a = packets(frames(2));
  const b = packets(frames(5).slice(3), { ssrc: 2, timestamp: 123456 });
  const jb = new JitterBuffer({ law: 'alaw', payloadType: 8, delayFrames: 1 });
  jb.push(a[0]);
  jb.push(a[1]);
  const got = [id(jb.pull()), id(jb.pull())];
  jb.push(b[0]);
  jb.push(b[1]);
  got.push(id(jb.pull()), id(jb.pull()), id(jb.pull()));
  assert.deepEqual(got, [0, frames(2)[0][0], 0, frames(5)[3][0], frames(5)[4][0]]);
  assert.equal(jb.stats.restarts, 1);
});

test('a packet overtaken before playout began moves the start back to it', () => {
  const fs = frames(3);
  const ps = packets(fs);
  const jb = new JitterBuffer({ law: 'alaw', payloadType: 8, delayFrames: 1 });
  jb.push(ps[1]);
  jb.push(ps[0]);
  jb.push(ps[2]);
  assert.deepEqual([jb.pull(), jb.pull(), jb.pull(), jb.pull()].map(id), [0, ...fs.map(id)]);
  assert.equal(jb.stats.late, 0);
});
