import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);

export interface PostfixRelay {
  /** The instance's configuration directory (`sendmail -C`, `postqueue -c`). */
  configDir: string;
  /** Submits a message with Postfix's own sendmail(1), with the given options before the recipients. */
  sendmail(options: string[], recipients: string[], message: string | Buffer): Promise<void>;
  /** Postfix's log of this instance (maillog_file). */
  log(): Promise<string>;
  /** `postqueue -p`: what is still queued. */
  queue(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A private Postfix instance (its own config, queue and log under `dir`, no listener of its
 * own) that relays every message to one host: the MTA a site puts in front of faxgate. Mail goes
 * in with Postfix's sendmail(1), so ESMTP extensions (DSN's NOTIFY, RET, ENVID, ORCPT) are
 * carried to the relay exactly as Postfix does it. Needs root (Postfix's master) and the
 * `postfix` package.
 */
export async function startPostfixRelay(relayTo: { host: string; port: number }): Promise<PostfixRelay> {
  if (userInfo().uid !== 0) throw new Error('a Postfix instance needs root');
  // Its own directory, open to the postfix user (a test's temp dir is private to root).
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-postfix-'));
  await chmod(dir, 0o755);
  const configDir = join(dir, 'etc');
  const spool = join(dir, 'spool');
  const data = join(dir, 'data');
  const maillog = join(dir, 'maillog');
  await mkdir(configDir, { recursive: true });
  await mkdir(spool, { recursive: true });
  await mkdir(data, { recursive: true });
  const { stdout: uid } = await run('id', ['-u', 'postfix']);
  await chown(data, Number(uid.trim()), 0);
  await writeFile(
    join(configDir, 'main.cf'),
    [
      'compatibility_level = 3.6',
      `queue_directory = ${spool}`,
      `data_directory = ${data}`,
      'mail_owner = postfix',
      'setgid_group = postdrop',
      'myhostname = relay.test',
      'mydomain = test',
      'myorigin = relay.test',
      'mydestination =',
      'inet_interfaces = loopback-only',
      'inet_protocols = ipv4',
      `relayhost = [${relayTo.host}]:${relayTo.port}`,
      'mynetworks = 127.0.0.0/8',
      'alias_maps =',
      'alias_database =',
      'local_transport = error:local delivery is off in this test relay',
      `maillog_file = ${maillog}`,
      `maillog_file_prefixes = ${dir}`,
      'smtp_tls_security_level = none',
      'smtp_dns_support_level = disabled',
      'delay_warning_time = 0',
      // Retry a deferred message quickly: the relay may start before faxgate listens.
      'minimal_backoff_time = 2s',
      'maximal_backoff_time = 4s',
      'queue_run_delay = 2s',
      '',
    ].join('\n'),
  );
  // Debian's master.cf without the SMTP listener on port 25 (this instance only relays) and
  // without chroot (the private queue has no chroot tree).
  const master = (await readFile('/etc/postfix/master.cf', 'utf8'))
    .split('\n')
    .filter((l) => !/^smtp\s+inet\s/.test(l))
    .map((l) => {
      const f = l.split(/\s+/);
      if (!(/^[a-z]/.test(l) && f.length >= 8 && /^(unix|unix-dgram|inet|fifo|pass)$/.test(f[1]))) return l;
      // pickup also looks at the maildrop every second, not every 60: a submission whose wake-up
      // reached pickup before it was listening is not left waiting a minute.
      const wakeup = f[0] === 'pickup' ? '1' : f[5];
      return [...f.slice(0, 4), 'n', wakeup, ...f.slice(6)].join(' ');
    })
    .join('\n');
  await writeFile(join(configDir, 'master.cf'), master);
  await run('postfix', ['-c', configDir, 'check']);
  const child: ChildProcess = spawn('postfix', ['-c', configDir, 'start-fg'], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  const log = () => readFile(maillog, 'utf8').catch(() => '');
  const deadline = Date.now() + 30_000;
  while (!/daemon started/.test(await log())) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGTERM');
      const text = await log();
      await rm(dir, { recursive: true, force: true });
      throw new Error(`Postfix did not start (${exited ? 'postfix start-fg exited' : 'no "daemon started" within 30 s'}); its log:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    configDir,
    async sendmail(options, recipients, message) {
      await new Promise<void>((resolve, reject) => {
        const p = spawn('sendmail', ['-C', configDir, ...options, '--', ...recipients], { stdio: ['pipe', 'ignore', 'pipe'] });
        let err = '';
        p.stderr!.on('data', (c: Buffer) => (err += c.toString()));
        p.on('error', reject);
        p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sendmail exited ${code}: ${err}`))));
        p.stdin!.end(message);
      });
    },
    log,
    queue: async () => (await run('postqueue', ['-c', configDir, '-p']).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }))).stdout,
    async stop() {
      await run('postfix', ['-c', configDir, 'stop']).catch(() => {});
      if (!exited) child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}
