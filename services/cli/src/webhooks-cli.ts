import { parseArgs } from 'node:util';
import { apiClient, apiError } from './api-client.ts';

const USAGE = `usage:
  faxgate webhooks add <url> [--event <type>...] [--all] [--description <text>] [--json]
  faxgate webhooks list [--json]
  faxgate webhooks rm <webhook id>
  faxgate webhooks test <webhook id> [--json]

Events: fax.queued, fax.sent, fax.failed, fax.cancelled, fax.received (default: all of them).
--all: every fax, not only this token's user's (read-all or admin scope).
The signing secret is printed once, by add. Verification: docs/api.md, "Webhooks".
The API is reached at FAXGATE_URL with FAXGATE_TOKEN.
`;
const VERBS = ['add', 'list', 'rm', 'test'] as const;

/** `faxgate webhooks add|list|rm|test` on the REST API; resolves to the exit code. */
export async function webhooksCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const verb = argv[0];
  if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
    if (verb === undefined) {
      process.stderr.write(`faxgate webhooks: missing subcommand (${VERBS.join(', ')})\n${USAGE}`);
      return 2;
    }
    process.stdout.write(USAGE);
    return 0;
  }
  if (!VERBS.includes(verb as (typeof VERBS)[number])) {
    process.stderr.write(`faxgate webhooks: unknown subcommand "${verb}" (${VERBS.join(', ')})\n${USAGE}`);
    return 2;
  }
  let values: { event?: string[]; all?: boolean; description?: string; json?: boolean; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv.slice(1),
      options: { event: { type: 'string', multiple: true }, all: { type: 'boolean' }, description: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`faxgate webhooks ${verb}: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const wantOne = (what: string) => {
    if (positionals.length === 1) return positionals[0];
    process.stderr.write(`faxgate webhooks ${verb}: give one ${what}\n${USAGE}`);
    return undefined;
  };
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const api = apiClient(env);
  try {
    if (verb === 'list') {
      const r = await api.call('GET', '/api/v1/webhooks');
      if (r.status !== 200) return apiError(r);
      if (values.json) return out(JSON.stringify(r.json.webhooks, null, 2)), 0;
      if (!r.json.webhooks.length) out('no webhooks');
      for (const w of r.json.webhooks) out(`${w.id}  ${w.user.padEnd(14)} ${w.url}  ${w.all ? 'all faxes' : 'own faxes'}: ${w.events.join(', ')}${w.description ? `  (${w.description})` : ''}`);
      return 0;
    }
    const arg = wantOne(verb === 'add' ? 'URL' : 'webhook id');
    if (arg === undefined) return 2;
    if (verb === 'add') {
      const r = await api.call('POST', '/api/v1/webhooks', { url: arg, ...(values.event ? { events: values.event } : {}), ...(values.all ? { all: true } : {}), ...(values.description ? { description: values.description } : {}) });
      if (r.status !== 201) return apiError(r);
      if (values.json) return out(JSON.stringify(r.json, null, 2)), 0;
      out(`${r.json.id}  ${r.json.url}  ${r.json.events.join(', ')}`);
      out(`signing secret (shown once, keep it now): ${r.json.secret}`);
      return 0;
    }
    if (verb === 'rm') {
      const r = await api.call('DELETE', `/api/v1/webhooks/${encodeURIComponent(arg)}`);
      if (r.status !== 200) return apiError(r);
      out(`deleted ${arg}`);
      return 0;
    }
    const r = await api.call('POST', `/api/v1/webhooks/${encodeURIComponent(arg)}/test`, {});
    if (r.status !== 200) return apiError(r);
    if (values.json) return out(JSON.stringify(r.json, null, 2)), r.json.ok ? 0 : 1;
    out(r.json.ok ? `delivered: HTTP ${r.json.status} in ${r.json.ms} ms` : `not delivered: ${r.json.error} (${r.json.ms} ms)`);
    return r.json.ok ? 0 : 1;
  } catch (err) {
    process.stderr.write(`faxgate webhooks: ${(err as Error).message}\n`);
    return 1;
  }
}
