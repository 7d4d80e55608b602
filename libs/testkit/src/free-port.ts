import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Ports for peers that cannot listen on port 0 and tell us what they got (SIPp, iaxmodem, hfaxd,
// servers whose port goes into another process's configuration). A port found free by binding
// port 0 comes from the kernel's ephemeral range, and with many test files running at once the
// kernel soon hands it out again — to another test's port-0 socket or to an outgoing connection's
// source port — before the peer binds it ("Address already in use" from SIPp, seen in a suite
// run). So test ports come from below the ephemeral range, which the kernel never assigns by
// itself, and each is claimed in a lock directory shared by every test process on the machine,
// so no two tests are handed the same one.

const LOCK_DIR = join(tmpdir(), 'faxgate-test-ports');
const FIRST = 20_000;
const claimed = new Set<number>();

function ephemeralStart(): number {
  try {
    const [lo] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && lo > FIRST + 1000) return lo;
  } catch {
    // Not Linux: the IANA dynamic range starts at 49152.
  }
  return 32_768;
}
const LAST = Math.min(ephemeralStart(), 32_768) - 1;

process.once('exit', () => {
  for (const p of claimed) {
    try {
      unlinkSync(join(LOCK_DIR, String(p)));
    } catch {
      // Already gone.
    }
  }
});

function holderAlive(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process in the shared lock directory; false when another live process holds it. */
function claim(port: number): boolean {
  mkdirSync(LOCK_DIR, { recursive: true, mode: 0o1777 });
  const file = join(LOCK_DIR, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      claimed.add(port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A claim left by a test process that died: take it over.
      if (holderAlive(file)) return false;
      try {
        unlinkSync(file);
      } catch {
        // Someone else took it over first.
      }
    }
  }
  return false;
}

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A port on 127.0.0.1 that is free for both TCP and UDP, outside the kernel's ephemeral range,
 * and handed to no other test process on this machine while this process lives.
 */
export async function freePort(): Promise<number> {
  const span = LAST - FIRST + 1;
  for (let tries = 0; tries < 500; tries++) {
    const port = FIRST + Math.floor(Math.random() * span);
    if (claimed.has(port) || !claim(port)) continue;
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
    // Taken by something that is not a test (a server of the machine): keep the claim, so no
    // other test tries it either, and look further.
  }
  throw new Error(`no free test port found in ${FIRST}–${LAST} after 500 tries (claims in ${LOCK_DIR})`);
}

/** The same as freePort (every test port is free for UDP too); named for the peers that use UDP. */
export const freeUdpPort = freePort;
