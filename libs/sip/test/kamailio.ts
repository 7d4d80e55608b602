// Runs Kamailio (Debian's kamailio) as a registrar and record-routing proxy with digest
// authentication on 127.0.0.1, from kamailio/kamailio.cfg, in the foreground of a child process;
// with `tls` it also listens for SIP over TLS (Debian's kamailio-tls-modules).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { start, type Proc } from '../../t38/test/fax-peers.ts';
import { freeUdpPort } from './sipp.ts';

export interface Kamailio {
  proc: Proc;
  port: number;
  /** The TLS port, when started with `tls`. */
  tlsPort?: number;
  logs: () => string;
  stop: () => Promise<void>;
}

/**
 * PEM files for Kamailio's TLS: its certificate and key (served to nodes) and the CAs a node's
 * certificate must chain to when Kamailio connects to the node (it verifies, like a carrier SBC).
 */
export interface KamailioTls {
  cert: string;
  key: string;
  ca: string;
}

export async function startKamailio(dir: string, password: string, o: {
  tls?: KamailioTls;
  /** Digest algorithm of Kamailio's challenges (auth module), default MD5. */
  algorithm?: 'MD5' | 'SHA-256';
  /** Another configuration in kamailio/ (default kamailio.cfg), e.g. dispatcher.cfg. */
  config?: string;
  /** Further words the configuration names, replaced by these values. */
  vars?: Record<string, string>;
} = {}): Promise<Kamailio> {
  const port = await freeUdpPort();
  const tlsPort = o.tls ? await freeUdpPort() : undefined;
  const run = join(dir, 'kamailio-run');
  mkdirSync(run, { recursive: true });
  const cfg = join(dir, 'kamailio.cfg');
  const tlsCfg = join(dir, 'kamailio-tls.cfg');
  if (o.tls) {
    // The tls module's profiles: as a server it asks nodes for no certificate; as a client (a
    // call to a node's TLS contact) it verifies the node's against the CA.
    writeFileSync(tlsCfg, `[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = ${o.tls.key}
certificate = ${o.tls.cert}

`
      + `[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = ${o.tls.ca}
`);
  }
  let text = readFileSync(resolve(import.meta.dirname, 'kamailio', o.config ?? 'kamailio.cfg'), 'utf8');
  for (const [k, v] of Object.entries(o.vars ?? {})) text = text.replaceAll(k, v);
  writeFileSync(cfg, text.replaceAll('LISTEN_PORT', String(port)).replaceAll('SIP_PASSWORD', password)
    .replaceAll('TLS_PORT', String(tlsPort ?? 0)).replaceAll('TLS_CONFIG', tlsCfg)
    .replace('loadmodule "auth.so"\n', `loadmodule "auth.so"\n${o.algorithm ? `modparam("auth", "algorithm", "${o.algorithm}")\n` : ''}`));
  const proc = start('kamailio', ['-f', cfg, '-DD', '-E', '-Y', run, '-w', run, '-m', '32', '-M', '4', ...(o.tls ? ['-A', 'WITH_TLS'] : [])]);
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
    if (tlsPort) await waitTcpListening(tlsPort, proc, logs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { proc, port, ...(tlsPort ? { tlsPort } : {}), logs, stop };
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

async function waitTcpListening(port: number, proc: Proc, logs: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`kamailio exited before listening on TLS\n${logs()}`);
    const open = await new Promise<boolean>((res) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); res(true); });
      s.once('error', () => res(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`kamailio did not listen on TLS 127.0.0.1:${port} within 10 s\n${logs()}`);
}
