// `faxgate sip send|receive` (issue 11) as a user runs it: the real command in its own process,
// SIPp as the far end's signalling and spandsp as the far fax terminal on the media port SIPp's
// SDP names. Sending goes to a trunk without T.38 (488), so the page travels over G.711 with
// faxgate's own modems (issue 13) and takes ~25 s of real time; receiving is a T.38 call.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { freeUdpPort, tempDir, type TempDir } from '@faxgate/testkit';
import { buildSpandspPeer, comparePages, makeTiff, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

const repo = resolve(import.meta.dirname, '../../..');
const MAIN = join(repo, 'services/cli/src/main.ts');
let dir: TempDir;
let page: string;
let audioPeer: string;
let t38Peer: string;

before(async () => {
  dir = await tempDir('faxgate-sip-cli');
  page = makeTiff(dir.path, 'letter', 1, 196);
  audioPeer = execFileSync(join(repo, 'test/peers/build.sh'), ['spandsp-audio-fax-peer'], { encoding: 'utf8' }).trim();
  t38Peer = buildSpandspPeer();
});
after(() => dir?.remove());

/** `faxgate <args>` in its own process; killed (and reported) after `ms`. */
async function faxgate(args: string[], ms: number, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(t);
  return { code, stdout, stderr };
}

describe('faxgate sip', { concurrency: 2 }, () => {
  test('send: a trunk that answers PCMU and refuses T.38 gets the page over G.711; spandsp receives it exactly', { timeout: 110_000 }, async () => {
    const received = join(dir.path, 'cli-sent.tif');
    const sp = start(audioPeer, ['receive', received, '--rtp', 'latch', '--law', 'ulaw', '--timeout', '100']);
    try {
      const rtpPort = (await sp.waitFor(/LISTENING (\d+)/, 10_000))[1];
      const far = await sipp(dir.path, 'uas-audio-488-t38.xml', { keys: { rtp_port: rtpPort }, timeoutS: 100 });
      const r = await faxgate(['sip', 'send', `sip:+12125550100@127.0.0.1:${far.port}`, page, '--bind', '127.0.0.1:0', '--id', '+1 212 555 0188', '--ecm', 'off'], 100_000, { FAXGATE_SIP_T38_WAIT: '500ms' });
      const why = `\n--- faxgate ---\n${r.stdout}${r.stderr}\n--- spandsp ---\n${sp.stderr().slice(-2000)}\n${far.logs()}`;
      assert.equal(r.code, 0, why);
      assert.match(r.stdout, /^success: 1 page\(s\) confirmed/, why);
      assert.equal(await sp.exit, 0, `spandsp did not report success${why}`);
      assert.equal(await far.done(), 0, far.logs());
      assert.equal(comparePages(dir.path, page, received), null, 'spandsp\'s page differs from the one sent');
    } finally {
      sp.kill();
    }
  });

  test('receive: a T.38 call from a carrier, the page from spandsp written to -o exactly; bad arguments are usage errors', { timeout: 110_000 }, async () => {
    const bad = await faxgate(['sip', 'send', 'not a number', page, '--media', 'pigeon'], 30_000);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--media must be t38, audio or t38-then-audio/);

    const out = join(dir.path, 'cli-received.tif');
    const port = await freeUdpPort();
    const rx = spawn(process.execPath, [MAIN, 'sip', 'receive', '-o', out, '--bind', `127.0.0.1:${port}`, '--timeout', '90'], { env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    rx.stdout.on('data', (d) => (stdout += d));
    rx.stderr.on('data', (d) => (stderr += d));
    const closed = once(rx, 'close');
    let sp: ReturnType<typeof start> | undefined;
    try {
      // Bounded wait for the listener, then the carrier calls. A CLI start took over 20 s once
      // with six test files at once on two cores, so the bound is generous and spandsp's sender
      // (with its own 60 s limit) is started only once faxgate listens.
      const deadline = Date.now() + 60_000;
      while (!/listening on port (\d+)/.test(stderr)) {
        if (Date.now() > deadline || rx.exitCode !== null) assert.fail(`faxgate sip receive did not listen: ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const bound = /listening on port (\d+)/.exec(stderr)![1];
      sp = start(t38Peer, ['send', '--file', page, '--ecm', '1', '--timeout', '60']);
      const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
      const far = await sipp(dir.path, 'uac-audio-refresh-fax.xml', { remote: `127.0.0.1:${bound}`, service: '2125550188', keys: { udptl_port: udptl }, pauseMs: 3000, timeoutS: 90 });
      let t: NodeJS.Timeout | undefined;
      const [code] = (await Promise.race([closed, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`faxgate sip receive still ran after 95 s: ${stdout}${stderr}\n${far.logs()}`)), 95_000); })])) as [number | null];
      clearTimeout(t);
      const why = `\n--- faxgate ---\n${stdout}${stderr}\n--- spandsp ---\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`;
      assert.equal(code, 0, why);
      assert.match(stdout, /^received: 1 page\(s\) from \+4930123456 to \+12125550188/, why);
      assert.equal(await sp.exit, 0, `spandsp did not report success${why}`);
      assert.equal(comparePages(dir.path, page, out), null, 'the received page differs from what spandsp sent');
    } finally {
      rx.kill();
      sp?.kill();
    }
  });
});
