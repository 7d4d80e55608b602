import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir, waitUntil, type TempDir } from '@faxgate/testkit';
import { AtChannel, openSerialLink, probeModem, type ByteLink } from '../src/index.ts';

// A "modem" that is not one: socat gives a real pty whose other end is a shell script that
// answers every CR-terminated command with a fixed reply (line noise, or ERROR). The probe must
// fail within its bounded time, naming the command and showing what came back.

const started: { child: ChildProcess; dir: TempDir; link?: ByteLink }[] = [];

after(async () => {
  for (const s of started) {
    await s.link?.close();
    if (s.child.pid !== undefined && s.child.exitCode === null && s.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
      try {
        process.kill(-s.child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await exited;
    }
    await s.dir.remove();
  }
});

async function fakeModem(reply: string): Promise<AtChannel> {
  const dir = await tempDir('faxgate-class1-fake');
  const script = join(dir.path, 'answer.sh');
  await writeFile(script, `#!/bin/bash\nwhile IFS= read -r -d $'\\r' _; do printf '\\r\\n%b\\r\\n' ${JSON.stringify(reply)}; done\n`);
  await chmod(script, 0o755);
  const device = join(dir.path, 'ttyFake');
  const log = join(dir.path, 'socat.log');
  const child = spawn('socat', ['-lf', log, `PTY,link=${device},raw,echo=0`, `EXEC:${script}`], { detached: true, stdio: 'ignore' });
  const entry: { child: ChildProcess; dir: TempDir; link?: ByteLink } = { child, dir };
  started.push(entry);
  await waitUntil(`socat to create ${device}`, () => existsSync(device), 5_000, 50).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${await readFile(log, 'utf8').catch(() => '(no socat log)')}`);
  });
  entry.link = await openSerialLink(device);
  return new AtChannel(entry.link);
}

test('a modem that answers line noise to AT fails the probe at its first command, with what it sent', async () => {
  const ch = await fakeModem('#~}9600 \u00ff\u00fe');
  await assert.rejects(probeModem(ch, { timeoutMs: 500 }), (err: Error) => {
    assert.match(err.message, /timed out after 500 ms waiting for the result of ATE0V1Q0/);
    assert.match(err.message, /< #~\}9600/);
    return true;
  });
});

test('a modem that answers ERROR to everything fails the probe, naming the command', async () => {
  const ch = await fakeModem('ERROR');
  await assert.rejects(probeModem(ch, { timeoutMs: 2_000 }), /ATE0V1Q0 answered ERROR, not OK/);
});

test('a modem without Class 1 is refused by the probe', async () => {
  // Answers every command with a Class 2-only +FCLASS list and OK (the script gets CR LF
  // JSON-escaped; printf %b turns it back): the probe reads the list only from +FCLASS=?.
  const ch = await fakeModem('0,2,2.0\r\n\r\nOK');
  await assert.rejects(probeModem(ch, { timeoutMs: 2_000 }), /offers service classes 0,2,2\.0, not Class 1/);
});
