import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freeUdpPort, tempDir, type TempDir, waitUntil } from '@faxgate/testkit';
import { startNoisyLine, type NoisyLine, type NoisyLineOptions } from './noisy-line.ts';

// Two iaxmodem software modems that call each other straight over IAX2 on loopback (no
// Asterisk: `refresh 0`, each modem's `server` is the other's port), as libs/hylafax's test bed
// starts them, without any HylaFAX part. Each gives a pty with spandsp's Class 1 modem behind it.

export interface PairedModem {
  /** The pty symlink iaxmodem creates. */
  device: string;
  /** Caller ID it presents when it dials. */
  callerNumber: string;
  callerName: string;
  iaxPort: number;
}

export interface IaxmodemPair {
  a: PairedModem;
  b: PairedModem;
  /** The tails of both iaxmodem logs, for a failing assertion. */
  logs(): Promise<string>;
  /** Kills one modem's iaxmodem at once (SIGKILL): its pty goes away as a USB modem unplugged would. */
  kill(which: 'a' | 'b'): Promise<void>;
  /** Ends both iaxmodems by their process groups and removes the temp dir. */
  stop(): Promise<void>;
  /** The noisy line between the modems, when one was asked for. */
  line?: NoisyLine;
}

export interface IaxmodemPairOptions {
  /** Put a noisy line (a relay adding white noise to the audio) between the two modems. */
  noise?: NoisyLineOptions;
}

const running = new Set<ChildProcess>();
// A test that dies mid-way must not leave modems behind.
process.once('exit', () => {
  for (const c of running) killGroup(c, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
  running.delete(child);
}


function config(m: PairedModem, peerPort: number, peername: string): string {
  return [
    `device\t\t${m.device}`,
    'owner\t\troot:root',
    'mode\t\t660',
    `port\t\t${m.iaxPort}`,
    'refresh\t\t0',
    `server\t\t127.0.0.1:${peerPort}`,
    `peername\t${peername}`,
    'secret\t\tfaxgate',
    `cidname\t\t${m.callerName}`,
    `cidnumber\t${m.callerNumber}`,
    'codec\t\tslinear',
    '',
  ].join('\n');
}

/** Starts two iaxmodems wired to each other; resolves once both ptys exist. */
export async function startIaxmodemPair(opts: IaxmodemPairOptions = {}): Promise<IaxmodemPair> {
  if (!existsSync('/usr/bin/iaxmodem')) throw new Error('/usr/bin/iaxmodem is missing: install iaxmodem (scripts/setup.sh test)');
  const dir: TempDir = await tempDir('faxgate-class1');
  const children: ChildProcess[] = [];
  const logPaths: string[] = [];
  const [portA, portB] = [await freeUdpPort(), await freeUdpPort()];
  const a: PairedModem = { device: join(dir.path, 'ttyA'), callerNumber: '5550110', callerName: 'Modem A', iaxPort: portA };
  const b: PairedModem = { device: join(dir.path, 'ttyB'), callerNumber: '5550120', callerName: 'Modem B', iaxPort: portB };
  const logs = async () => {
    const parts: string[] = [];
    for (const p of logPaths) parts.push(`--- ${p}\n${(await readFile(p, 'latin1').catch(() => '')).split('\n').slice(-40).join('\n')}`);
    return parts.join('\n');
  };
  let line: NoisyLine | undefined;
  const stop = async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await line?.stop();
    await dir.remove();
  };
  try {
    if (opts.noise) line = await startNoisyLine(portA, portB, opts.noise);
    // Through a noisy line each modem calls the relay's side facing it.
    const peers = line ? [line.portForA, line.portForB] : [portB, portA];
    for (const [m, peer, name] of [[a, peers[0], 'A'], [b, peers[1], 'B']] as const) {
      const conf = join(dir.path, `iaxmodem-${name}.conf`);
      await writeFile(conf, config(m, peer, `faxgate${name}`));
      const logPath = join(dir.path, `iaxmodem-${name}.log`);
      logPaths.push(logPath);
      const out = await open(logPath, 'a');
      // iaxmodem reads its config path relative to /etc/iaxmodem/.
      const child = spawn('iaxmodem', [`../..${conf}`], { detached: true, stdio: ['ignore', out.fd, out.fd] });
      await out.close();
      running.add(child);
      child.once('exit', () => running.delete(child));
      children.push(child);
    }
    for (const m of [a, b]) {
      await waitUntil(`iaxmodem to create ${m.device}`, () => existsSync(m.device), 15_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${await logs()}`);
      });
    }
    const kill = async (which: 'a' | 'b') => {
      const child = children[which === 'a' ? 0 : 1];
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child, 'SIGKILL');
      await exited;
      // A killed iaxmodem leaves its symlink behind, pointing at a /dev/pts number the kernel
      // hands to the next pty opened on this machine (another test's modem): a driver reopening
      // it would talk to someone else's modem. An unplugged USB modem's node disappears; so does
      // this one.
      await unlink((which === 'a' ? a : b).device).catch(() => undefined);
    };
    return { a, b, logs, kill, stop, ...(line ? { line } : {}) };
  } catch (err) {
    await stop();
    throw err;
  }
}
