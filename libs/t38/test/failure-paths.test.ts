// Calls that go wrong on purpose, against spandsp on 127.0.0.1: each must end by itself,
// within the T.30 timers, with the completion code that says what happened.
import { after, before, suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildSpandspPeer, comparePages, bothExit, faxgate, makeTiff, start, tempDir } from './fax-peers.ts';

let peer = '';
let dir = '';
let cleanup = () => {};
let fine2 = '';

before(() => {
  peer = buildSpandspPeer();
  ({ dir, cleanup } = tempDir());
  fine2 = makeTiff(dir, 'fine2', 2, 196);
});
after(() => cleanup());

const TIMEOUT = 170_000;

suite('T.38 failure paths against spandsp', { concurrency: true }, () => {
  test('the sender vanishes mid-page: faxgate receiver ends on T2', { timeout: TIMEOUT }, async () => {
    const fg = faxgate(['receive', '--listen', '0', '--peer', '127.0.0.1:0', '-o', join(dir, 'vanish-rx.tif'), '--ecm', 'off', '--verbose']);
    try {
      const port = (await fg.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
      const sp = start(peer, ['send', '--file', fine2, '--peer-port', port, '--ecm', '0', '--timeout', '150']);
      await fg.waitFor(/rx page 1 starts/, 60_000);
      sp.kill();
      assert.equal(await fg.exit, 1, fg.stdout() + fg.stderr());
      assert.match(fg.stdout(), /FAILED: Remote station stopped responding before T2 expired/);
    } finally {
      fg.kill();
    }
  });

  test('the receiver vanishes mid-page: faxgate sender gives up after 3 unanswered PPS', { timeout: TIMEOUT }, async () => {
    const sp = start(peer, ['receive', '--file', join(dir, 'vanish-tx.tif'), '--ecm', '1', '--timeout', '150']);
    try {
      const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
      const fg = faxgate(['send', `127.0.0.1:${port}`, fine2, '--ecm', 'on', '--verbose']);
      await fg.waitFor(/tx ECM block 0 of page 1/, 60_000);
      sp.kill();
      assert.equal(await fg.exit, 1, fg.stdout() + fg.stderr());
      assert.match(fg.stdout(), /FAILED: No response to the post-page command after 3 tries/);
      assert.equal((fg.stderr().match(/tx PPS/g) ?? []).length, 3, fg.stderr());
    } finally {
      sp.kill();
    }
  });

  test('spandsp answers FTT at every rate: "remote refused all rates"', { timeout: TIMEOUT }, async () => {
    const sp = start(peer, ['receive', '--file', join(dir, 'ftt.tif'), '--corrupt-non-ecm', '--timeout', '150']);
    try {
      const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
      const fg = faxgate(['send', `127.0.0.1:${port}`, fine2, '--verbose']);
      assert.equal(await fg.exit, 1, fg.stdout() + fg.stderr());
      assert.match(fg.stdout(), /FAILED: Remote refused all rates \(FTT down to 2400 bit\/s\)/);
      const fallbacks = [...fg.stderr().matchAll(/falling back to (.+)/g)].map((m) => m[1]);
      assert.deepEqual(fallbacks, ['V.17 12000 bit/s', 'V.29 9600 bit/s', 'V.29 7200 bit/s', 'V.27ter 4800 bit/s', 'V.27ter 2400 bit/s']);
      assert.notEqual(await sp.exit, 0);
    } finally {
      sp.kill();
    }
  });

  test('every 6th image datagram lost, no redundancy: ECM retransmits until the pages are perfect', { timeout: TIMEOUT }, async () => {
    const out = join(dir, 'lossy-ecm.tif');
    const sp = start(peer, ['receive', '--file', out, '--ecm', '1', '--timeout', '150']);
    try {
      const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
      const fg = faxgate(['send', `127.0.0.1:${port}`, fine2, '--ecm', 'on', '--redundancy', '0', '--drop-every', '6', '--drop-image-only', '--verbose']);
      const [fgCode, spCode] = await bothExit(fg, sp);
      const log = fg.stdout() + fg.stderr() + sp.stdout();
      assert.equal(spCode, 0, log);
      assert.equal(fgCode, 0, log);
      assert.match(fg.stderr(), /PPR 1: \d+ frames to send again/);
      assert.equal(comparePages(dir, fine2, out), null);
    } finally {
      sp.kill();
    }
  });
});
