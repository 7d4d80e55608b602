// The bed of the tests that kill or stall a node on simulated lines (issue 17: no page twice):
// one Redis, one SMTP sink and one data directory per file, and per test its own queue prefix,
// SMTP port, role processes (stopped last first) and a Redis client to read the records and the
// simulated remote's printed-page counters with.
import { before, after } from 'node:test';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis } from '@faxgate/queue';
import { FaxRecords } from '@faxgate/store';
import { freePort, roleProcessEnv, startRedis, startSmtpSink, tempDir, type RoleProcess, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';

export interface SimKillGateway {
  smtpPort: number;
  prefix: string;
  /** The environment of every role process of this test. */
  env: Record<string, string>;
  /** Role processes started by the test: `end()` stops them, the last started first. */
  procs: RoleProcess[];
  client: Redis;
  records: FaxRecords;
  end(): Promise<void>;
}

export interface SimKillBed {
  readonly redis: TestRedis;
  readonly sink: SmtpSink;
  readonly dir: TempDir;
  /** A new gateway's settings; call `end()` in the test's finally. */
  open(): Promise<SimKillGateway>;
}

/** Registers the file's before/after hooks; `name` names its temporary directory. */
export function useSimKillBed(name: string): SimKillBed {
  let redis: TestRedis | undefined;
  let sink: SmtpSink | undefined;
  let dir: TempDir | undefined;
  before(async () => {
    redis = await startRedis();
    sink = await startSmtpSink();
    dir = await tempDir(`faxgate-${name}`);
  });
  after(async () => {
    await sink?.close();
    await redis?.dispose();
    await dir?.remove();
  });
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`sim kill bed: ${what} is not started (used outside a test?)`);
    return v;
  };
  return {
    get redis() { return ready(redis, 'Redis'); },
    get sink() { return ready(sink, 'the SMTP sink'); },
    get dir() { return ready(dir, 'the data directory'); },
    async open() {
      const r = ready(redis, 'Redis');
      const smtpPort = await freePort();
      const prefix = `test-${randomUUID()}`;
      const env = roleProcessEnv({ redisUrl: r.url, dataDir: ready(dir, 'the data directory').path, smarthost: ready(sink, 'the SMTP sink').url, smtpPort, prefix });
      const procs: RoleProcess[] = [];
      const client = createRedis(r.url, 'background');
      return {
        smtpPort,
        prefix,
        env,
        procs,
        client,
        records: new FaxRecords(client, prefix),
        async end() {
          client.disconnect();
          for (const p of procs.reverse()) await p.stop();
        },
      };
    },
  };
}
