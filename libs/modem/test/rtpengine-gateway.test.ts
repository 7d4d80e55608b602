// faxgate's G.711 fax leg through an independent T.38 gateway (issue 13): rtpengine (Debian's
// rtpengine-daemon, userspace, its spandsp-based T.38 gateway set up with the ng protocol's
// `T.38: force` flag) between faxgate's audio fax terminal on an RtpAudioLine and spandsp's
// T.38 terminal (test/peers/spandsp-t38-peer). Received pages must equal the sent ones through
// libtiff. Real time: a page takes ~30 s, so each test has its own 110 s timeout.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createT30Engine, type SessionParams } from '@faxgate/t30';
import { decodeReceivedPage, receivedTiff, tiffDocument } from '@faxgate/t38';
import { freeUdpPort, tempDir, type TempDir } from '@faxgate/testkit';
import { AudioFaxTerminal, AUDIO_MODEMS } from '../src/audio-fax-terminal.ts';
import { RtpAudioLine } from '../src/rtp-audio-line.ts';
import { buildSpandspPeer, comparePages, makeTiff, start } from '../../t38/test/fax-peers.ts';
import { startRtpengine, type Rtpengine } from './rtpengine.ts';

let dir: TempDir;
let page: string;
let t38Peer: string;
let rtpe: Rtpengine | undefined;
const haveRtpengine = (() => {
  try {
    execFileSync('rtpengine', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

before(async () => {
  dir = await tempDir('modem-rtpengine');
  page = makeTiff(dir.path, 'letter', 1, 196);
  t38Peer = buildSpandspPeer();
  if (haveRtpengine) rtpe = await startRtpengine();
});
after(async () => {
  await rtpe?.stop();
  await dir?.remove();
});

const sdp = (o: string, m: string) => `v=0\r\no=${o} 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n${m}`;
const AUDIO = (port: number) => sdp('faxgate', `m=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n`);
const IMAGE = (port: number) => sdp('spandsp', `m=image ${port} udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n`);

/**
 * One gatewayed call: faxgate's audio offer goes to rtpengine with `T.38: force` (its answer
 * towards the T.38 side is an image stream), spandsp's T.38 SDP is the answer (rtpengine's
 * answer towards faxgate is audio). Returns the ports each side sends to.
 */
async function gateway(callId: string, audioPort: number, udptlPort: number): Promise<{ toT38: number; toAudio: number }> {
  const offer = await rtpe!.ng({ command: 'offer', 'call-id': callId, 'from-tag': 'faxgate', sdp: AUDIO(audioPort), 'T.38': ['force'] });
  assert.equal(offer.result, 'ok', JSON.stringify(offer));
  const image = /m=image (\d+) udptl t38/.exec(String(offer.sdp));
  assert.ok(image, `rtpengine offered no T.38 stream: ${String(offer.sdp)}`);
  const answer = await rtpe!.ng({ command: 'answer', 'call-id': callId, 'from-tag': 'faxgate', 'to-tag': 'spandsp', sdp: IMAGE(udptlPort) });
  assert.equal(answer.result, 'ok', JSON.stringify(answer));
  const audio = /m=audio (\d+) RTP\/AVP 0/.exec(String(answer.sdp));
  assert.ok(audio, `rtpengine answered without PCMU: ${String(answer.sdp)}`);
  return { toT38: Number(image[1]), toAudio: Number(audio[1]) };
}

async function run(terminal: AudioFaxTerminal, callId: string, spandspArgs: string[], log: string[]) {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const udptlPort = await freeUdpPort();
  const ports = await gateway(callId, socket.address().port, udptlPort);
  const sp = start(t38Peer, [...spandspArgs, '--local-port', String(udptlPort), '--peer-port', String(ports.toT38), '--timeout', '100']);
  const line = new RtpAudioLine({ socket, peer: { host: '127.0.0.1', port: ports.toAudio }, law: 'ulaw', endpoint: terminal, delayFrames: 25, hangupFrames: 100 });
  line.start();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([line.done, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`call not over after 100 s\n${log.slice(-40).join('\n')}\n--- spandsp ---\n${sp.stderr().slice(-2000)}\n--- rtpengine ---\n${rtpe!.log().slice(-3000)}`)), 100_000); })]);
    const code = await Promise.race([sp.exit, new Promise<number>((r) => setTimeout(() => r(-1), 15_000))]);
    return { code, why: `\nfaxgate:\n${log.slice(-50).join('\n')}\n--- spandsp ---\n${sp.stdout().slice(-1500)}${sp.stderr().slice(-1500)}\n--- rtpengine ---\n${rtpe!.log().slice(-2500)}` };
  } finally {
    clearTimeout(timer);
    line.stop();
    sp.kill();
    socket.close();
    await rtpe!.ng({ command: 'delete', 'call-id': callId, 'from-tag': 'faxgate' }).catch(() => undefined);
  }
}

describe('G.711 through rtpengine\'s T.38 gateway to spandsp\'s T.38 terminal, real time', { concurrency: 2, skip: haveRtpengine ? false : 'rtpengine is not installed (Debian rtpengine-daemon; scripts/setup.sh installs it)' }, () => {
  // ECM only: without it a page through the gateway is exposed to any bit error of two modem
  // hops on a loaded test machine (one run of three lost 5 rows that way); ECM is what a
  // gateway path is run with in practice, and it corrects such errors.
  for (const ecm of [true]) {
    const mode = ecm ? 'ECM' : 'no ECM';
    test(`faxgate sends over G.711, spandsp receives over T.38 the page unchanged (${mode})`, { timeout: 110_000 }, async () => {
      const log: string[] = [];
      const engine = createT30Engine({ role: 'send', localId: '+1 555 0100', ecm, modems: [...AUDIO_MODEMS], encodings: ['mh', 'mr', 'mmr'], document: tiffDocument(new Uint8Array(readFileSync(page))) });
      const terminal = new AudioFaxTerminal({ engine, calling: true, log: (l) => log.push(l) });
      const out = join(dir.path, `rtpengine-received-${ecm}.tif`);
      const r = await run(terminal, `gw-send-${ecm}`, ['receive', '--file', out, '--ecm', ecm ? '1' : '0'], log);
      assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${r.why}`);
      assert.equal(r.code, 0, `spandsp's completion${r.why}`);
      assert.equal(comparePages(dir.path, page, out), null, `spandsp's page differs from the one sent${r.why}`);
    });

    test(`spandsp sends over T.38, faxgate receives over G.711 the page unchanged (${mode})`, { timeout: 110_000 }, async () => {
      const log: string[] = [];
      const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
      const engine = createT30Engine({ role: 'receive', localId: '+1 555 0100', ecm: true, modems: [...AUDIO_MODEMS], encodings: ['mh', 'mr', 'mmr'], judgePage: (d, p) => decodeReceivedPage(d, p) });
      const terminal = new AudioFaxTerminal({ engine, calling: false, log: (l) => log.push(l), onAction: (a) => { if (a.type === 'page-received') pages.push({ data: a.data, params: a.params }); } });
      const r = await run(terminal, `gw-receive-${ecm}`, ['send', '--file', page, '--caller', '1', '--ecm', ecm ? '1' : '0'], log);
      assert.equal(terminal.result?.success, true, `faxgate: ${terminal.result?.sentence}${r.why}`);
      assert.equal(r.code, 0, `spandsp's completion${r.why}`);
      assert.equal(pages.length, 1, r.why);
      const out = join(dir.path, `faxgate-received-${ecm}.tif`);
      writeFileSync(out, receivedTiff(pages));
      assert.equal(comparePages(dir.path, page, out), null, `faxgate's page differs from what spandsp sent${r.why}`);
    });
  }
});
