import { join } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startTestGateway as startGateway, type TestGateway as Harness } from '@faxgate/testkit';
import { ingestRole } from '@faxgate/ingest';
import { resolveRoles } from '../src/roles.ts';

/** The testkit's gateway harness with the CLI's roles, and the SMTP port of its ingest role. */
export interface TestGateway extends Omit<Harness<RunningGateway>, 'restart'> {
  smtpPort: number;
  /** Starts the named roles again with the same environment. */
  restart(roles?: string[]): Promise<RunningGateway>;
}

/**
 * A whole gateway in this process (the testkit's harness: private Redis, SMTP sink as
 * smarthost, temp data directory, own queue prefix, free ports, simulated line 1000× fast),
 * with the roles resolved by name as `faxgate run` does.
 */
export async function startTestGateway(extra: Record<string, string> = {}, roles = ['all']): Promise<TestGateway> {
  const byName = (names: string[]) => async (env: Record<string, string>) => runRoles(await resolveRoles(names), { env });
  const h = await startGateway(byName(roles), {
    label: 'faxgate-e2e',
    env: { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_CONSOLE_PASSWORD: 'console-pass', FAXGATE_CONSOLE_TOKEN: 'test-token', ...extra },
  });
  const restartHarness = h.restart.bind(h);
  const t: TestGateway = Object.assign(h, {
    smtpPort: smtpPortOf(h.gw),
    async restart(names: string[] = roles) {
      const gw = await restartHarness(byName(names));
      t.smtpPort = smtpPortOf(gw);
      return gw;
    },
  });
  return t;
}

function smtpPortOf(gw: RunningGateway): number {
  return gw.roles.some((r) => r.name === ingestRole.name) ? gw.instanceOf(ingestRole).smtpPort() : 0;
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
