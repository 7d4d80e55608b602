import { join } from 'node:path';
import { readdir, writeFile } from 'node:fs/promises';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startTestGateway, type TestGateway } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';
import { nodeRole } from '@faxgate/node';
import { dispatchRole } from '@faxgate/dispatch';
import { renderRole } from '@faxgate/render-service';
import { ingestRole } from '@faxgate/ingest';
import { notifierRole } from '@faxgate/notifier';
import { inboundRole } from '@faxgate/inbound';

export const ADMIN_TOKEN = 'api-admin-token';

/** A whole gateway in this process on simulated lines, with the console's admin token set. */
export async function startApiGateway(label: string, env: Record<string, string> = {}, directory = 'unaddressed: faxadmin@example.com\nusers: []\nroutes: []\n'): Promise<TestGateway<RunningGateway>> {
  return startTestGateway((e) => runRoles([consoleRole, notifierRole, nodeRole, dispatchRole, renderRole, ingestRole, inboundRole], { env: e }), {
    label,
    env: async (dir) => {
      // The directory of received faxes: who owns which DID.
      const directoryPath = join(dir, 'directory.yaml');
      await writeFile(directoryPath, directory);
      return { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_CONSOLE_PASSWORD: 'pw', FAXGATE_CONSOLE_TOKEN: ADMIN_TOKEN, FAXGATE_DIRECTORY: directoryPath, ...env };
    },
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** One API request as a script makes it (bearer token, JSON body). */
export async function api(gw: RunningGateway, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
  let body: RequestInit['body'];
  if (opts.body instanceof FormData) body = opts.body;
  else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(`${gw.httpUrl}${path}`, { method, headers, body });
  const type = res.headers.get('content-type') ?? '';
  const raw = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: type.includes('json') ? JSON.parse(raw.toString() || 'null') : raw };
}

/** Creates a token as the admin and returns its secret. */
export async function makeToken(gw: RunningGateway, user: string, scopes: string[], email?: string): Promise<string> {
  const r = await api(gw, 'POST', '/api/v1/tokens', { token: ADMIN_TOKEN, body: { user, scopes, ...(email ? { email } : {}) } });
  if (r.status !== 201) throw new Error(`token for ${user}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** The calls the simulated remote machines answered for a fax (one file per call that sent pages). */
export async function simCalls(dataDir: string, faxId: string): Promise<string[]> {
  const files = await readdir(join(dataDir, 'sim-received')).catch(() => [] as string[]);
  return files.filter((f) => f.startsWith(`${faxId}-`)).sort();
}
