// G.711 RTP over real UDP sockets on 127.0.0.1: the paced sender, a lossy / reordering /
// duplicating wrapper around the sender's socket (test only), the receiver's jitter buffer.
// V.21 T.30 frames ride through the stream and are demodulated on the far side.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { waitUntil } from '@faxgate/testkit';
import { g711Decode, g711Encode, type G711Law } from '../src/g711.ts';
import { HdlcReceiver, HdlcTransmitter } from '../src/hdlc.ts';
import { JitterBuffer } from '../src/rtp-jitter-buffer.ts';
import { decodeRtp } from '../src/rtp-packet.ts';
import { RtpPacedSender } from '../src/rtp-pacer.ts';
import { RtpPacketiser, SAMPLES_PER_PACKET } from '../src/rtp-packetiser.ts';
import { V21Receiver, V21Transmitter } from '../src/v21.ts';
import { drain, pad } from './v21-channel.ts';

/** The network misbehaving: every `dropEvery`-th packet lost, pairs swapped, one duplicated. */
function impairedSend(sock: Socket, port: number, opts: { dropEvery?: number; swapEvery?: number; dupEvery?: number }) {
  let n = 0;
  let held: Uint8Array | undefined;
  const dropped: number[] = [];
  const out = (p: Uint8Array) => sock.send(p, port, '127.0.0.1');
  return {
    dropped,
    send(p: Uint8Array) {
      const k = n++;
      if (opts.dropEvery && k % opts.dropEvery === opts.dropEvery - 1) {
        dropped.push(k);
        return;
      }
      if (opts.dupEvery && k % opts.dupEvery === 1) out(p);
      if (opts.swapEvery && k % opts.swapEvery === 0) {
        held = p; // sent after the next one
        return;
      }
      out(p);
      if (held) {
        out(held);
        held = undefined;
      }
    },
    flush() {
      if (held) out(held);
      held = undefined;
    },
  };
}

async function stream(law: G711Law, audio: Int16Array, impair: Parameters<typeof impairedSend>[2]) {
  const rx = createSocket('udp4');
  const tx = createSocket('udp4');
  rx.bind(0, '127.0.0.1');
  tx.bind(0, '127.0.0.1');
  await Promise.all([once(rx, 'listening'), once(tx, 'listening')]);
  const arrivals: Uint8Array[] = [];
  rx.on('message', (m) => arrivals.push(new Uint8Array(m)));
  const net = impairedSend(tx, rx.address().port, impair);
  const packetiser = new RtpPacketiser({ law });
  let off = 0;
  const sendTimes: number[] = [];
  const sender = new RtpPacedSender({
    send: (p) => {
      sendTimes.push(performance.now());
      net.send(p);
    },
    next: () => {
      if (off >= audio.length) return undefined;
      const chunk = audio.subarray(off, off + SAMPLES_PER_PACKET);
      off += SAMPLES_PER_PACKET;
      return packetiser.packetise(chunk);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  // Packet k is due 20·k ms after the pacer's start, which is at or after this instant; the first
  // send is not the reference (it can itself come a few ms after the start on a loaded machine).
  const startedAt = performance.now();
  try {
    sender.start();
    await Promise.race([sender.done, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`sender not done after 20 s: ${sender.sent} packets sent`)), 20_000)))]);
    net.flush();
    const packets = sendTimes.length;
    const expected = packets - net.dropped.length + (impair.dupEvery ? Math.floor((packets + impair.dupEvery - 2) / impair.dupEvery) : 0);
    await waitUntil(`${expected} datagrams (have ${arrivals.length})`, () => arrivals.length >= expected, 5000, 10);
    return { arrivals, packets, dropped: net.dropped, sendTimes, startedAt, payloadType: packetiser.payloadType };
  } finally {
    clearTimeout(timer);
    sender.stop();
    rx.close();
    tx.close();
  }
}

function playout(law: G711Law, payloadType: number, arrivals: Uint8Array[], frames: number) {
  const jb = new JitterBuffer({ law, payloadType, delayFrames: 0, capacityFrames: 4000 });
  for (const a of arrivals) {
    const p = decodeRtp(a);
    assert.ok(p, 'every datagram is RTP');
    jb.push(p);
  }
  const out = new Int16Array(frames * SAMPLES_PER_PACKET);
  for (let k = 0; k < frames; k++) jb.pull(out.subarray(k * SAMPLES_PER_PACKET, (k + 1) * SAMPLES_PER_PACKET));
  return { out, stats: jb.stats };
}

test('PCMU over UDP with reordering and duplicates: the samples come out in order, paced at 20 ms', async () => {
  const audio = Int16Array.from({ length: 160 * 60 }, (_, i) => Math.round(12000 * Math.sin(i / 5) + 3000 * Math.sin(i / 37)));
  const r = await stream('ulaw', audio, { swapEvery: 5, dupEvery: 7 });
  assert.equal(r.packets, 60);
  // Paced, not bursted: the k-th packet is never sent before start + 20·k ms.
  for (let k = 1; k < r.sendTimes.length; k++) assert.ok(r.sendTimes[k] - r.startedAt >= 20 * k, `packet ${k} at ${(r.sendTimes[k] - r.startedAt).toFixed(1)} ms`);
  const { out, stats } = playout('ulaw', r.payloadType, r.arrivals, 60);
  assert.deepEqual(Array.from(out), Array.from(g711Decode('ulaw', g711Encode('ulaw', audio))));
  assert.equal(stats.duplicates, r.arrivals.length - 60);
  assert.equal(stats.filled, 0);
});

test('PCMA over UDP with every 9th packet lost: those 20 ms are silence, the rest is exact', async () => {
  const audio = Int16Array.from({ length: 160 * 45 }, (_, i) => Math.round(9000 * Math.sin(i / 3)));
  const r = await stream('alaw', audio, { dropEvery: 9, swapEvery: 4 });
  assert.deepEqual(r.dropped, [8, 17, 26, 35, 44]);
  const { out, stats } = playout('alaw', r.payloadType, r.arrivals, 45);
  const exact = g711Decode('alaw', g711Encode('alaw', audio));
  for (const k of r.dropped) exact.fill(0, k * 160, (k + 1) * 160);
  assert.deepEqual(Array.from(out), Array.from(exact));
  assert.equal(stats.filled, r.dropped.length);
});

test('V.21 T.30 frames through µ-law RTP over UDP with reordering are demodulated intact', async () => {
  const frames = [Uint8Array.of(0xff, 0x03, 0x40, 0x31, 0x32, 0x33, 0x34), Uint8Array.of(0xff, 0x13, 0x80, 0x00, 0xce, 0xf4, 0x80, 0x80, 0x91, 0x02)];
  const hdlcTx = new HdlcTransmitter({ preambleFlags: 12 });
  for (const f of frames) hdlcTx.sendFrame(f);
  hdlcTx.finish();
  const audio = pad(drain(new V21Transmitter({ getBit: () => hdlcTx.nextBit() })), 40, 60);
  const n = Math.ceil(audio.length / 160);
  const r = await stream('ulaw', audio, { swapEvery: 3 });
  const { out } = playout('ulaw', r.payloadType, r.arrivals, n);
  const got: string[] = [];
  const hdlc = new HdlcReceiver({ onFrame: (f, ok) => got.push(`${ok} ${Buffer.from(f).toString('hex')}`) });
  const v21 = new V21Receiver({}, { bit: (b) => hdlc.putBit(b) });
  v21.receive(out);
  assert.deepEqual(got, frames.map((f) => `true ${Buffer.from(f).toString('hex')}`));
});
