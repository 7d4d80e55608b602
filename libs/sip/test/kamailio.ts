// Runs Kamailio (Debian's kamailio) as a registrar and record-routing proxy with digest
// authentication on 127.0.0.1, from kamailio/kamailio.cfg, in the foreground of a child process.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { start, type Proc } from '../../t38/test/fax-peers.ts';
import { freeUdpPort } from './sipp.ts';

export interface Kamailio {
  proc: Proc;
  port: number;
  logs: () => string;
  stop: () => Promise<void>;
}

export async function startKamailio(dir: string, password: string): Promise<Kamailio> {
  const port = await freeUdpPort();
  const run = join(dir, 'kamailio-run');
  mkdirSync(run, { recursive: true });
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, readFileSync(resolve(import.meta.dirname, 'kamailio/kamailio.cfg'), 'utf8').replaceAll('LISTEN_PORT', String(port)).replaceAll('SIP_PASSWORD', password));
  const proc = start('kamailio', ['-f', cfg, '-DD', '-E', '-Y', run, '-w', run, '-m', '32', '-M', '4']);
  const logs = () => `--- kamailio ---\n${proc.stdout().slice(-6000)}${proc.stderr().slice(-6000)}`;
  // SIGTERM lets the main process end its worker processes too (SIGKILL would orphan them).
  const stop = async () => {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    proc.child.kill('SIGTERM');
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => { t = setTimeout(() => r('late'), 5000); });
    if ((await Promise.race([proc.exit, late])) === 'late') proc.kill();
    clearTimeout(t);
  };
  try {
    await waitUdpBound(port, proc, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, port, logs, stop };
}

async function waitUdpBound(port: number, proc: Proc, logs: () => string): Promise<void> {
  const { createSocket } = await import('node:dgram');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`kamailio exited before listening\n${logs()}`);
    const busy = await new Promise<boolean>((res) => {
      const s = createSocket('udp4');
      s.once('error', () => { s.close(); res(true); });
      s.bind(port, '127.0.0.1', () => s.close(() => res(false)));
    });
    if (busy) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`kamailio did not bind 127.0.0.1:${port} within 10 s\n${logs()}`);
}
