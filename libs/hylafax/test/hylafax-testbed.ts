import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFile, chmod, chown, copyFile, mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants } from 'node:fs';
import { freePort, freeUdpPort, tempDir, type TempDir, waitUntil } from '@faxgate/testkit';
import { HylafaxClient, type TriggerWatch } from '../src/index.ts';

const run = promisify(execFile);

/** One iaxmodem software modem with its faxgetty. */
export interface TestModem {
  /** The pty symlink iaxmodem creates, e.g. /tmp/hylafax-x/ttyA. */
  device: string;
  /** HylaFAX's name for it (the path with `/` turned into `_`), for JPARM MODEM and config.<id>. */
  deviceId: string;
  /** Its TSI/CSI (LocalIdentifier). */
  localId: string;
  /** The Caller ID number its iaxmodem presents when it calls. */
  callerNumber: string;
  callerName: string;
  iaxPort: number;
}

export interface HylafaxTestbed {
  host: '127.0.0.1';
  /** hfaxd's client-protocol port. */
  port: number;
  user: string;
  password: string;
  adminPassword: string;
  spool: string;
  /** Modem A calls modem B and the other way round; absent when started with `modems: false`. */
  modemA: TestModem | undefined;
  modemB: TestModem | undefined;
  /** Stops hfaxd (and its per-client processes), as a server outage. */
  stopHfaxd(): Promise<void>;
  startHfaxd(): Promise<void>;
  /** Freezes hfaxd (SIGSTOP): the kernel still accepts connections, nobody answers. */
  freezeHfaxd(): void;
  thawHfaxd(): void;
  /**
   * Waits until both modems are idle again after a call, plus the few seconds iaxmodem refuses
   * new calls after a hang-up (a dial in that window fails with "No local dialtone").
   */
  settleModems(): Promise<void>;
  /**
   * Puts a fax TIFF into recvq as faxgetty would leave a finished reception (owner uucp, mode
   * 0644), for poller tests that need received faxes without a minute-long call each.
   * Returns its file name.
   */
  seedReceivedFax(tiffPath: string): Promise<string>;
  /**
   * Writes messages straight into faxq's FIFO, as faxgetty and faxmodem(8) do (e.g.
   * `+ttyX:R…` a modem is ready, `+ttyX:B` busy); all in one write, so faxq reads them together.
   */
  tellQueuer(...messages: string[]): Promise<void>;
  /** The tails of every log, to attach to a failing assertion. */
  diagnostics(): Promise<string>;
  /** Ends every process by its process group and removes the directory. */
  stop(): Promise<void>;
}

export interface TestbedOptions {
  /** Start two iaxmodems with a faxgetty each; false for tests that only need hfaxd. */
  modems?: boolean;
}

const SPOOL_TEMPLATE = '/var/spool/hylafax';
const CONFIG_TEMPLATE = '/etc/hylafax';
const running = new Set<ChildProcess>();

// A test that dies mid-way must not leave daemons behind: kill what is still ours on exit.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Ends a process group we started: SIGTERM, then SIGKILL if it has not exited in time. */
async function stopChild(child: ChildProcess | undefined, graceMs = 5_000): Promise<void> {
  if (!child) return;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  // Children of the group (faxsend, hfaxd sessions) may outlive the leader briefly.
  killGroup(child, 'SIGKILL');
  running.delete(child);
}


function cryptPassword(password: string): string {
  // hosts.hfaxd(5) holds crypt(3) hashes; hfaxd checks them with glibc's crypt, which takes
  // SHA-512 crypt, the kind docs/hylafax.md tells operators to use.
  return execFileSync('openssl', ['passwd', '-6', '-stdin'], { input: password }).toString().trim();
}

async function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1_000, () => done(false));
    s.once('data', (d) => done(d.toString().startsWith('220')));
    s.once('error', () => done(false));
  });
}

/** The uid/gid HylaFAX runs as on Debian (uucp), which owns the spool. */
function faxIds(): { uid: number; gid: number } {
  return {
    uid: Number(execFileSync('id', ['-u', 'uucp']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'uucp']).toString().trim()),
  };
}

function modemConfig(m: TestModem, lockDir: string): string {
  // Class 1 settings from Debian's config/iaxmodem template; no TagLineFormat, so the pages
  // arrive exactly as sent and can be compared pixel for pixel.
  return [
    'CountryCode:\t\t1',
    'AreaCode:\t\t555',
    `FAXNumber:\t\t${m.callerNumber}`,
    'LongDistancePrefix:\t1',
    'InternationalPrefix:\t011',
    'ServerTracing:\t\t0x4FF',
    'SessionTracing:\t\t0x4FF',
    'RecvFileMode:\t\t0644',
    'LogFileMode:\t\t0644',
    'DeviceMode:\t\t0600',
    'RingsBeforeAnswer:\t1',
    'SpeakerVolume:\t\toff',
    'GettyArgs:\t\t"-h %l dx_%s"',
    `LocalIdentifier:\t"${m.localId}"`,
    'MaxRecvPages:\t\t50',
    `UUCPLockDir:\t\t${lockDir}`,
    'ModemType:\t\tClass1',
    'ModemResetCmds:\t\t"ATH1\\nAT+VCID=1"',
    'ModemReadyCmds:\t\tATH0',
    'Class1AdaptRecvCmd:\tAT+FAR=1',
    'Class1TMConnectDelay:\t400',
    'CallIDPattern:\t\t"NMBR="',
    'CallIDPattern:\t\t"NAME="',
    'CallIDPattern:\t\t"ANID="',
    'CallIDPattern:\t\t"NDID="',
    '',
  ].join('\n');
}

function iaxmodemConfig(m: TestModem, peerPort: number): string {
  // No Asterisk: refresh 0 (no registration) and the other modem as the "server".
  return [
    `device\t\t${m.device}`,
    'owner\t\tuucp:uucp',
    'mode\t\t660',
    `port\t\t${m.iaxPort}`,
    'refresh\t\t0',
    `server\t\t127.0.0.1:${peerPort}`,
    `peername\tfaxgate${m.localId.slice(-1)}`,
    'secret\t\tfaxgate',
    `cidname\t\t${m.callerName}`,
    `cidnumber\t${m.callerNumber}`,
    'codec\t\tslinear',
    '',
  ].join('\n');
}

/**
 * Brings up a real HylaFAX under a private spool in a temp dir, on loopback only: faxq, hfaxd on
 * a free port with a user, password and admin password in hosts.hfaxd, and (unless
 * `modems: false`) two iaxmodems that call each other directly over IAX2, each with a faxgetty
 * and a Class 1 modem config. Every process runs in its own process group and is ended by its
 * pid in `stop()`, or on process exit if a test dies first.
 */
export async function startHylafaxTestbed(options: TestbedOptions = {}): Promise<HylafaxTestbed> {
  if (process.getuid?.() !== 0) throw new Error('the HylaFAX test bed needs root: faxq, hfaxd and faxgetty switch to the uucp user themselves');
  for (const p of [SPOOL_TEMPLATE, CONFIG_TEMPLATE, '/usr/sbin/faxq', '/usr/sbin/hfaxd', '/usr/sbin/faxgetty', '/usr/bin/iaxmodem']) {
    if (!existsSync(p)) throw new Error(`${p} is missing: install hylafax-server, hylafax-client and iaxmodem (scripts/setup.sh test)`);
  }
  const withModems = options.modems ?? true;
  const dir: TempDir = await tempDir('faxgate-hylafax');
  const children: ChildProcess[] = [];
  let hfaxd: ChildProcess | undefined;
  let eventLog: TriggerWatch | undefined;
  const logs = join(dir.path, 'logs');
  const spool = join(dir.path, 'spool');
  const diagnostics = async () => {
    const parts: string[] = [];
    // faxgetty's view (status/), the queue's (sendq/ job files), then every log's tail.
    for (const [d, lines] of [[join(spool, 'status'), 5], [join(spool, 'sendq'), 60], [logs, 40], [join(spool, 'log'), 40]] as const) {
      for (const f of await readdir(d).catch(() => [] as string[])) {
        const text = await readFile(join(d, f), 'latin1').catch(() => '');
        parts.push(`--- ${d.slice(spool.length + 1) || 'logs'}/${f}\n${text.split('\n').slice(-lines).join('\n')}`);
      }
    }
    return parts.join('\n');
  };

  const spawnLogged = async (name: string, cmd: string, args: string[]): Promise<ChildProcess> => {
    const out = await open(join(logs, `${name}.log`), 'a');
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out.fd, out.fd] });
    await out.close();
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  };

  const stopAll = async () => {
    eventLog?.close();
    eventLog = undefined;
    // faxgetty first: iaxmodem will not exit while a fax server holds its pty.
    for (const c of [...children].reverse()) await stopChild(c);
    await stopChild(hfaxd);
    children.length = 0;
    hfaxd = undefined;
  };

  try {
    // hfaxd, faxq and faxgetty run as uucp and must reach the spool through the temp dir.
    await chmod(dir.path, 0o755);
    await mkdir(logs);
    await run('cp', ['-a', SPOOL_TEMPLATE, spool]);
    await run('cp', ['-a', `${CONFIG_TEMPLATE}/.`, join(spool, 'etc')]);
    const ids = faxIds();
    const lockDir = join(spool, 'lock');
    await mkdir(lockDir);
    await chown(lockDir, ids.uid, ids.gid);

    let seeded = 0;
    const port = await freePort();
    const user = 'faxgate';
    const password = `pw-${process.pid}-${port}`;
    const adminPassword = `admin-${process.pid}-${port}`;
    const hosts = join(spool, 'etc', 'hosts.hfaxd');
    // hosts.hfaxd(5): client:uid:passwd:adminwd; only this user, only from loopback.
    await writeFile(hosts, `^${user}@127\\.0\\.0\\.1$:2001:${cryptPassword(password)}:${cryptPassword(adminPassword)}\n`);
    await chown(hosts, ids.uid, ids.gid);
    await chmod(hosts, 0o600);
    const config = join(spool, 'etc', 'config');
    const base = await readFile(config, 'utf8');
    // UUCPLockDir: faxq locks a modem before handing it to faxsend, by default in /var/lock under
    // the device's base name. Every test bed's modems are called ttyA and ttyB, so two beds
    // running at once (test files run in parallel) took each other's locks, and faxq left a
    // ready job waiting while it polled for a lock another bed held (issue 16: ten minutes
    // with both modems idle). Each bed's faxq locks in the bed's own lock directory.
    await writeFile(config, `${base}\nCountryCode:\t\t1\nAreaCode:\t\t555\nLongDistancePrefix:\t1\nServerTracing:\t\t0x4FF\nLogFileMode:\t\t0644\nUUCPLockDir:\t\t${lockDir}\n`);

    let modemA: TestModem | undefined;
    let modemB: TestModem | undefined;
    if (withModems) {
      const [portA, portB] = [await freeUdpPort(), await freeUdpPort()];
      const make = (letter: 'A' | 'B', iaxPort: number): TestModem => {
        const device = join(dir.path, `tty${letter}`);
        return { device, deviceId: device.replaceAll('/', '_'), localId: `FAXGATE TEST ${letter}`, callerNumber: `55501${letter === 'A' ? '10' : '20'}`, callerName: `Modem ${letter}`, iaxPort };
      };
      modemA = make('A', portA);
      modemB = make('B', portB);
      for (const [m, peer] of [[modemA, portB], [modemB, portA]] as const) {
        const conf = join(dir.path, `iaxmodem-${m.localId.slice(-1)}.conf`);
        await writeFile(conf, iaxmodemConfig(m, peer));
        await writeFile(join(spool, 'etc', `config.${m.deviceId}`), modemConfig(m, lockDir));
        // iaxmodem reads its config relative to /etc/iaxmodem/.
        children.push(await spawnLogged(`iaxmodem-${m.localId.slice(-1)}`, 'iaxmodem', [`../..${conf}`]));
      }
      for (const m of [modemA, modemB]) await waitUntil(`iaxmodem to create ${m.device}`, () => existsSync(m.device), 15_000);
    }

    children.push(await spawnLogged('faxq', 'faxq', ['-D', '-q', spool]));
    await waitUntil('faxq to open its FIFO', () => existsSync(join(spool, 'FIFO')), 15_000);
    const startHfaxd = async () => {
      hfaxd = await spawnLogged('hfaxd', 'hfaxd', ['-d', '-q', spool, '-l', '127.0.0.1', '-i', String(port)]);
      await waitUntil(`hfaxd to greet on port ${port}`, () => tcpAnswers(port), 15_000, 200);
      await recordQueuerEvents();
    };
    // faxq logs only to syslog, which this machine does not run; its view of every job and modem
    // is recorded from hfaxd's trigger events instead, for diagnostics().
    const recordQueuerEvents = async () => {
      const client = await HylafaxClient.connect({ host: '127.0.0.1', port, user, password });
      const watch = await client.watchTriggers('J*M*');
      eventLog?.close();
      eventLog = watch;
      watch.onLine((line) => void appendFile(join(logs, 'faxq-events.log'), `${new Date().toISOString()} ${line}\n`).catch(() => {}));
    };
    await startHfaxd();
    for (const m of [modemA, modemB]) {
      if (!m) continue;
      children.push(await spawnLogged(`faxgetty-${m.localId.slice(-1)}`, 'faxgetty', ['-q', spool, m.device]));
    }
    const modemsIdle = async () => {
      for (const m of [modemA, modemB]) {
        if (!m) continue;
        const status = join(spool, 'status', m.deviceId);
        await waitUntil(`modem ${m.deviceId} to be idle`, async () => existsSync(status) && /Running and idle/.test(await readFile(status, 'utf8')), 60_000, 250).catch(async (err: Error) => {
          throw new Error(`${err.message}\n${await diagnostics()}`);
        });
      }
    };


    /**
     * Waits until faxq itself holds both modems as ready. faxgetty's status file can say
     * "Running and idle" while faxq's scheduler still counts the modem busy or has never heard
     * of it; a job then sits "ready" in sendq with no modem assigned. faxq tells its view only
     * through hfaxd's trigger events, so: watch the modem events, ask each faxgetty to announce
     * itself again (HELLO on its FIFO, what faxq sends every faxgetty when it starts), and wait
     * for faxq's "Marked ready" for each.
     */
    const queuerSeesModemsReady = async () => {
      const modems = [modemA, modemB].filter((m): m is TestModem => m !== undefined);
      if (modems.length === 0) return;
      const client = await HylafaxClient.connect({ host: '127.0.0.1', port, user, password });
      const watch = await client.watchTriggers('M*');
      try {
        for (const m of modems) {
          const from = watch.events.length;
          const isReady = (e: { kind: string; id: string; text: string }) => e.kind === 'MODEM' && e.id === m.deviceId && /Marked ready/.test(e.text);
          // faxgetty answers HELLO only while it is running idle; a second HELLO a few seconds
          // later covers one that arrived while it was still resetting the modem.
          let seen = false;
          for (let poke = 1; poke <= 6 && !seen; poke++) {
            await sayToFifo(join(spool, `FIFO.${m.deviceId}`), 'HELLO');
            seen = await watch.waitFor(`faxq to mark ${m.deviceId} ready`, isReady, 5_000, from).then(() => true, () => false);
          }
          if (!seen) throw new Error(`faxq never marked ${m.deviceId} ready in 30 s of HELLOs; faxq's modem events:\n${watch.lines.join('\n') || '(none)'}\n${await diagnostics()}`);
        }
        // The readiness just announced woke faxq's scheduler several times within a second.
        // faxq 6.0.7 runs its scheduler at most once a second, and a request to run it that
        // comes in the second after such a burst is dropped (SchedTimeout::start leaves its
        // `pending` flag set after the delayed run): a job submitted then waits for ever on a
        // quiet server. Requests are honoured again once the clock has passed the second of
        // that delayed run, at most two seconds after the burst; the test's job comes after.
        const lastEventSecond = Math.floor(Date.now() / 1000);
        await waitUntil('faxq\'s scheduler throttle to let a new request through', () => Math.floor(Date.now() / 1000) >= lastEventSecond + 2, 3_000, 50);
      } finally {
        watch.close();
      }
    };

    await modemsIdle();
    await queuerSeesModemsReady();

    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      adminPassword,
      spool,
      modemA,
      modemB,
      stopHfaxd: async () => {
        await stopChild(hfaxd);
        hfaxd = undefined;
      },
      startHfaxd,
      freezeHfaxd: () => { if (hfaxd) killGroup(hfaxd, 'SIGSTOP'); },
      thawHfaxd: () => { if (hfaxd) killGroup(hfaxd, 'SIGCONT'); },
      seedReceivedFax: async (tiffPath: string) => {
        const file = `fax${String(900_000_000 + ++seeded).padStart(9, '0')}.tif`;
        const target = join(spool, 'recvq', file);
        await copyFile(tiffPath, target);
        await chown(target, ids.uid, ids.gid);
        await chmod(target, 0o644);
        return file;
      },
      settleModems: async () => {
        await modemsIdle();
        // iaxmodem refuses calls for about 5 s after a hang-up and shows it nowhere a test can
        // read (its "No local dialtone" comes only when dialling): a bounded wait is all there is.
        await new Promise((r) => setTimeout(r, 6_000));
        await queuerSeesModemsReady();
      },
      tellQueuer: (...messages: string[]) => sayToFifo(join(spool, 'FIFO'), messages.join('\0')),
      diagnostics,
      stop: async () => {
        if (hfaxd) killGroup(hfaxd, 'SIGCONT');
        await stopAll();
        // FAXGATE_KEEP_TESTBED=1 keeps the spool and its logs for a post-mortem.
        if (process.env.FAXGATE_KEEP_TESTBED === '1') process.stderr.write(`HylaFAX test bed kept in ${dir.path}\n`);
        else await dir.remove();
      },
    };
  } catch (err) {
    // A bed that did not come up says why: every daemon's log and the spool's state.
    if (err instanceof Error && !err.message.includes('--- ')) err.message += `\n${await diagnostics()}`;
    await stopAll();
    if (process.env.FAXGATE_KEEP_TESTBED === '1') process.stderr.write(`HylaFAX test bed kept in ${dir.path}\n`);
    else await dir.remove();
    throw err;
  }
}

/** Writes one message into a HylaFAX FIFO (faxApp::FIFOInput: NUL-separated records). */
async function sayToFifo(fifo: string, message: string): Promise<void> {
  // Non-blocking: a FIFO with no reader (faxgetty gone) fails at once with ENXIO instead of hanging.
  const fh = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(`${message}\0`);
  } finally {
    await fh.close();
  }
}

/** The node variables that point faxgate's `hylafax` line driver at this test bed. */
export function hylafaxDriverEnv(bed: HylafaxTestbed): Record<string, string> {
  return {
    FAXGATE_NODE_DRIVER: 'hylafax',
    FAXGATE_STATION_ID: '+1 555 0100',
    FAXGATE_NODE_LINES: '1',
    FAXGATE_HYLAFAX_HOST: bed.host,
    FAXGATE_HYLAFAX_PORT: String(bed.port),
    FAXGATE_HYLAFAX_USER: bed.user,
    FAXGATE_HYLAFAX_PASSWORD: bed.password,
    FAXGATE_HYLAFAX_ADMIN_PASSWORD: bed.adminPassword,
  };
}
