import { join } from 'node:path';
import { startRedis, type TestRedis } from './redis-server.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { tempDir, type TempDir } from './temp-dir.ts';
import { testGatewayEnv } from './gateway-env.ts';

/** What the harness needs of a running gateway (`@faxgate/runtime`'s RunningGateway has it). */
export interface StoppableGateway {
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Prefix of the temp directory, so a leftover one names its test. */
  label: string;
  /** Variables the test is about, on top of `testGatewayEnv`'s; a function may write files into the temp dir first. */
  env?: Record<string, string> | ((dir: string) => Record<string, string> | Promise<Record<string, string>>);
  /** Where result mails go: a fresh SMTP sink (default) or the URL of the test's own server. */
  smarthost?: string;
}

export interface TestGateway<G extends StoppableGateway> {
  gw: G;
  env: Record<string, string>;
  /** FAXGATE_DATA_DIR: `data/` under the temp directory. */
  dataDir: string;
  /** The SMTP sink, when the harness started one. */
  sink: SmtpSink;
  redis: TestRedis;
  dir: TempDir;
  /** Stops the gateway only (Redis, sink and files stay for a restart). */
  stopGateway(): Promise<void>;
  /** Starts the gateway again with the same environment (or another set of roles). */
  restart(start?: (env: Record<string, string>) => Promise<G>): Promise<G>;
  /** Stops everything the harness started and removes the temp directory. */
  dispose(): Promise<void>;
}

/**
 * A gateway under test in this process: a private Redis, a real SMTP server as smarthost, a
 * temp data directory, its own queue prefix and ports chosen by the OS. `start` runs the roles
 * (the testkit does not import the runtime, whose libraries' tests import the testkit).
 */
export async function startTestGateway<G extends StoppableGateway>(start: (env: Record<string, string>) => Promise<G>, opts: TestGatewayOptions): Promise<TestGateway<G>> {
  const redis = await startRedis();
  const sink = opts.smarthost ? undefined : await startSmtpSink();
  const dir = await tempDir(opts.label);
  const dataDir = join(dir.path, 'data');
  let gw: G | undefined;
  const cleanUp = async () => {
    await gw?.stop();
    await sink?.close();
    await redis.dispose();
    await dir.remove();
  };
  try {
    const extra = typeof opts.env === 'function' ? await opts.env(dir.path) : (opts.env ?? {});
    const env = { PATH: process.env.PATH ?? '', ...testGatewayEnv({ redisUrl: redis.url, dataDir, smarthost: opts.smarthost ?? sink!.url }, extra) };
    let starter = start;
    gw = await start(env);
    const t: TestGateway<G> = {
      gw,
      env,
      dataDir,
      get sink(): SmtpSink {
        if (!sink) throw new Error('this test gateway mails to the test\'s own smarthost, not to a sink');
        return sink;
      },
      redis,
      dir,
      stopGateway: () => t.gw.stop(),
      async restart(again = starter) {
        starter = again;
        gw = await again(env);
        t.gw = gw;
        return gw;
      },
      dispose: cleanUp,
    };
    return t;
  } catch (err) {
    await cleanUp();
    throw err;
  }
}
