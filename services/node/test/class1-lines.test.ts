import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { writeTiff } from '@faxgate/fax-image';
import { tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { class1Driver, LOCAL_IDS } from './class1-bed.ts';

// A node whose modem lines are one "modem" that answers line noise (a socat pty whose other end
// is a script) and one real iaxmodem: the noisy line is down with the command that failed, in
// the log and in faxgate_modem_line_up, and calls go out on the good line.

let pair: IaxmodemPair;
let dir: TempDir;
let socat: ChildProcess | undefined;
let noisy = '';

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-lines');
  const script = join(dir.path, 'answer.sh');
  await writeFile(script, `#!/bin/bash\nwhile IFS= read -r -d $'\\r' _; do printf '\\r\\n#~}9600 \\xff\\r\\n'; done\n`);
  await chmod(script, 0o755);
  noisy = join(dir.path, 'ttyNoise');
  socat = spawn('socat', [`PTY,link=${noisy},raw,echo=0`, `EXEC:${script}`], { detached: true, stdio: 'ignore' });
  await waitUntil(`socat to create ${noisy}`, () => existsSync(noisy), 5_000, 50);
});

after(async () => {
  if (socat?.pid && socat.exitCode === null) {
    try {
      process.kill(-socat.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await pair?.stop();
  await dir?.remove();
});

test('a modem answering line noise is down with the failing command; the call goes out on the good modem; a cancelled call hangs up at once', { timeout: 150_000 }, async () => {
  const logN: string[] = [];
  const logB: string[] = [];
  const registry = new Registry();
  // The node: the noisy "modem" first, then the good one; it only calls out.
  const node = class1Driver([noisy, pair.a.device], 'n', logN, { initCmds: [], answer: false, registry });
  const far = class1Driver(pair.b.device, 'far', logB, { localId: LOCAL_IDS.b });
  let pages = 0;
  const stopFar = await far.listen(async (_c, o) => {
    pages = o.pages;
    return 'in-test';
  });
  try {
    await node.start();
    const [bad, good] = node.lines;
    assert.equal(bad.state, 'down');
    assert.match(bad.reason, /waiting for the result of ATZ/);
    assert.equal(good.state, 'idle');
    assert.match(logN.join(''), /"reason":"timed out after 5000 ms waiting for the result of ATZ[^"]*","retryInMs":1000,"msg":"modem line down"/);
    const metric = await registry.getSingleMetricAsString('faxgate_modem_line_up');
    assert.match(metric, new RegExp(`faxgate_modem_line_up\\{line="test/n/modem-1",device="${noisy}"\\} 0`));
    assert.match(metric, new RegExp(`faxgate_modem_line_up\\{line="test/n/modem-2",device="${pair.a.device}"\\} 1`));

    const doc = writeTiff([{ bitmap: textPage(1728, 200, 5), xDpi: 204, yDpi: 196 }], { compression: 'mmr' });
    const outcome = await node.send({ callId: 'c1', number: '+12125550102', dialString: '5550102', document: doc, fromPage: 1, line: 'x' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', JSON.stringify(outcome));
    await waitUntil('the far end to hand its fax over', () => pages > 0, 20_000);
    assert.equal(pages, 1);
    assert.match(logN.join(''), /"line":"test\/n\/modem-2","callId":"c1"/);
    // The noisy modem is still being retried with backoff, and still down.
    assert.equal(node.lines[0].state === 'down' || node.lines[0].state === 'starting', true);

    // A cancelled call (the call worker aborts its signal) hangs up at once: the send rejects,
    // the modem is reset and idle again, and the far end sees the call end.
    await waitUntil('line 2 and the far end to be idle after the call', () => node.lines[1].state === 'idle' && far.lines[0].state === 'idle', 20_000);
    const ac = new AbortController();
    const from = logN.length;
    const cancelled = node.send({
      callId: 'c2', number: '+12125550102', dialString: '5550102', document: doc, fromPage: 1, line: 'x',
    }, ac.signal);
    await waitUntil('the cancelled call to reach phase B', () => logN.slice(from).some((l) => /"msg":"rx DIS/.test(l)), 40_000);
    const abortedAt = Date.now();
    ac.abort();
    await assert.rejects(cancelled, /call aborted/);
    assert.ok(Date.now() - abortedAt < 10_000, 'the cancelled call ended within seconds');
    await waitUntil('line 2 to be idle again after the cancelled call', () => node.lines[1].state === 'idle', 20_000);
    await waitUntil('the far end\'s call to end and its modem to be idle again', () => far.lines[0].state === 'idle', 60_000);
    assert.doesNotMatch(logN.slice(from).join(''), /"line":"test\/n\/modem-2"[^}]*"msg":"modem line down"/, 'a cancel is no modem fault');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- node\n${logN.join('')}\n--- far\n${logB.join('')}\n${await pair.logs()}`, { cause: err });
  } finally {
    await stopFar();
    await node.stop();
  }
});
