import { join } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startRedis, startSmtpSink, tempDir, testGatewayEnv, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { resolveRoles } from '../src/roles.ts';

export interface TestGateway {
  gw: RunningGateway;
  env: Record<string, string>;
  smtpPort: number;
  dataDir: string;
  sink: SmtpSink;
  redis: TestRedis;
  dir: TempDir;
  /** Stops the gateway only (Redis, sink and files stay for a restart). */
  stopGateway(): Promise<void>;
  /** Starts the roles again with the same environment. */
  restart(roles?: string[]): Promise<RunningGateway>;
  dispose(): Promise<void>;
}

/**
 * A whole gateway in this process: a private Redis, a real SMTP server as smarthost, a temp
 * data directory, its own queue prefix, free ports, and the simulated line running 1000× fast.
 */
export async function startTestGateway(extra: Record<string, string> = {}, roles = ['all']): Promise<TestGateway> {
  const redis = await startRedis();
  const sink = await startSmtpSink();
  const dir = await tempDir('faxgate-e2e');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...testGatewayEnv(
      { redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url },
      { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_CONSOLE_PASSWORD: 'console-pass', FAXGATE_CONSOLE_TOKEN: 'test-token', ...extra },
    ),
  };
  let gw = await runRoles(await resolveRoles(roles), { env });
  const t: TestGateway = {
    gw,
    env,
    smtpPort: smtpPortOf(gw),
    dataDir: dir.path,
    sink,
    redis,
    dir,
    stopGateway: () => t.gw.stop(),
    async restart(r = roles) {
      gw = await runRoles(await resolveRoles(r), { env });
      t.gw = gw;
      t.smtpPort = smtpPortOf(gw);
      return gw;
    },
    async dispose() {
      await t.gw.stop();
      await sink.close();
      await redis.dispose();
      await dir.remove();
    },
  };
  return t;
}

function smtpPortOf(gw: RunningGateway): number {
  const ingest = gw.roles.find((r) => r.name === 'ingest');
  return ingest ? (ingest.instance as unknown as { smtpPort(): number }).smtpPort() : 0;
}

export function simReceived(dataDir: string, faxId: string, recipient: number, attempt: number): string {
  return join(dataDir, 'sim-received', `${faxId}-r${recipient}-a${attempt}.tif`);
}

/** The fax the render worker wrote for a recipient (the document the line driver sends). */
export function renderedTiff(dataDir: string, faxId: string, recipient: number): string {
  return join(dataDir, 'faxes', faxId, `r${recipient}.tif`);
}

/** The fax API as an operator's script sees it. */
export async function getFax(gw: RunningGateway, id: string): Promise<any> {
  const res = await fetch(`${gw.httpUrl}/api/v1/faxes/${id}`, { headers: { authorization: 'Bearer test-token' } });
  if (res.status !== 200) throw new Error(`GET /api/v1/faxes/${id}: ${res.status}`);
  return res.json();
}
