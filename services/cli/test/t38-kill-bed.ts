// The bed both T.38 node-kill tests share: one Redis, one SMTP sink, the core roles as one
// process, spandsp receivers as the far machines, and node processes that can be killed with -9.
// spandsp is the judge of what reached paper: it prints one "PAGE received" line per page.
import { randomUUID } from 'node:crypto';
import { createRedis } from '@faxgate/queue';
import { FaxRecords } from '@faxgate/store';
import { freePort, makePdf, roleProcessEnv, startRedis, startRoleProcess, startSmtpSink, tempDir, type RoleProcess, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { mailFax } from './mail-fax.ts';
import { buildSpandspPeer, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';

export const pagesRx = (p: Proc) => Math.max(0, ...[...p.stdout().matchAll(/PAGE received pages_tx=\d+ pages_rx=(\d+)/g)].map((m) => Number(m[1])));

export interface T38KillBed {
  dir: TempDir;
  sink: SmtpSink;
  records: FaxRecords;
  /** Starts a spandsp receiver writing to `file`; resolves once it listens, with its port. */
  receiver(file: string, timeoutS: number): Promise<{ proc: Proc; port: string }>;
  /** Starts a node process whose one T.38 line calls the spandsp receiver on `port`. */
  node(port: string): Promise<RoleProcess>;
  /** Mails a `pages`-page PDF to a fax number; resolves to the fax id. */
  send(pages: number, subject: string): Promise<string>;
  dispose(): Promise<void>;
}

export async function startT38KillBed(name: string): Promise<T38KillBed> {
  const peer = buildSpandspPeer();
  const redis: TestRedis = await startRedis();
  const sink = await startSmtpSink();
  const dir = await tempDir(`faxgate-${name}`);
  const smtpPort = await freePort();
  const prefix = `test-${randomUUID()}`;
  const env = roleProcessEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url, smtpPort, prefix });
  const procs: RoleProcess[] = [];
  const peers: Proc[] = [];
  const client = createRedis(redis.url, 'background');
  const records = new FaxRecords(client, prefix);
  const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
  procs.push(core);
  await core.ready(60_000);
  return {
    dir,
    sink,
    records,
    async receiver(file, timeoutS) {
      const proc = start(peer, ['receive', '--file', file, '--ecm', '1', '--timeout', String(timeoutS)]);
      peers.push(proc);
      const port = (await proc.waitFor(/LISTENING (\d+)/))[1];
      return { proc, port };
    },
    async node(port) {
      const p = await startRoleProcess(['node'], { ...env, FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '1' });
      procs.push(p);
      await p.ready(60_000);
      return p;
    },
    async send(pages, subject) {
      return mailFax(smtpPort, { to: '12125550500@fax.test', subject, pdf: await makePdf(dir.path, pages, subject) });
    },
    async dispose() {
      client.disconnect();
      for (const p of peers) p.kill();
      for (const p of procs.reverse()) await p.kill9();
      await sink.close();
      await redis.dispose();
      await dir.remove();
    },
  };
}
