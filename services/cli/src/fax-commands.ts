import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { apiClient, apiError, type ApiClient } from './api-client.ts';

// The HylaFAX-style client commands on the REST API (docs/api.md): sendfax → send, faxstat →
// status/list/received, faxrm → cancel, faxalter -h/-r → hold/release, plus resend and tokens.
// Human output by default, --json for scripts.

const ENV_HELP = `The API is reached at FAXGATE_URL with FAXGATE_TOKEN (an API token; \`faxgate tokens add\`).`;

const USAGES: Record<string, string> = {
  send: `usage: faxgate send -d <number> [-d <number>...] [options] <file>...
  -d, --number <n>        fax number (repeat for several recipients)
  --to-name <text>        recipient name on the cover page
  --to-company <text>     recipient company on the cover page
  --subject <text>        subject (cover page, result mail)
  --message <text>        cover page message (without files: the fax is this text)
  --no-cover              no cover page
  --cover <template>      a cover template by name
  --priority <p>          urgent, high, normal, low or bulk
  --send-at <time>        ISO 8601: not dialled before
  --idempotency-key <k>   retrying with the same key never sends twice
  --json                  print the API's answer
  -h, --help              this text
Files: PDF, TIFF, images, text, HTML (Office when the gateway enables it).
${ENV_HELP}
`,
  status: `usage: faxgate status [<fax id>] [--json]
  Without an id: faxes not finished yet (queued, rendering, waiting, calling).
  With an id: every recipient's state, pages, attempts, remote CSID and reason, and the timeline.
${ENV_HELP}
`,
  list: `usage: faxgate list [--number <n>] [--sender <text>] [--state <s>] [--from <time>] [--to <time>] [--limit <n>] [--all] [--json]
  Faxes newest first (faxstat -d); --all follows the pages to the end.
${ENV_HELP}
`,
  cancel: `usage: faxgate cancel <fax id> [--recipient <index>] [--reason <text>] [--json]
  Cancels every open recipient (or one); a call on the line is ended.
${ENV_HELP}
`,
  hold: `usage: faxgate hold <fax id> [--recipient <index>] [--json]
  Its open recipients are not dialled until released.
${ENV_HELP}
`,
  release: `usage: faxgate release <fax id> [--recipient <index>] [--json]
${ENV_HELP}
`,
  resend: `usage: faxgate resend <fax id> [-d <number>...] [--idempotency-key <k>] [--json]
  Sends the stored message again, to the same numbers or to those given.
${ENV_HELP}
`,
  received: `usage: faxgate received [--number <did>] [--sender <text>] [--state <s>] [--from <time>] [--to <time>] [--limit <n>] [--download <dir>] [--format pdf|tiff] [--json]
  Received faxes newest first; --download saves each as <dir>/<id>.pdf (or .tif).
${ENV_HELP}
`,
  tokens: `usage:
  faxgate tokens add <user> --scope <s> [--scope <s>...] [--email <addr>] [--name <text>] [--json]
  faxgate tokens list [--json]
  faxgate tokens revoke <token id>
  Scopes: send, read-own, read-all, admin. The token is printed once; only its digest is kept.
  Needs an admin token (FAXGATE_CONSOLE_TOKEN) or the console user (FAXGATE_CONSOLE_PASSWORD).
${ENV_HELP}
`,
};

const COMMON = { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
const FILTERS = { number: { type: 'string' }, sender: { type: 'string' }, state: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' } } as const;
const OPTIONS: Record<string, ParseArgsConfig['options']> = {
  send: {
    ...COMMON, number: { type: 'string', short: 'd', multiple: true }, 'to-name': { type: 'string' }, 'to-company': { type: 'string' }, subject: { type: 'string' },
    message: { type: 'string' }, 'no-cover': { type: 'boolean' }, cover: { type: 'string' }, priority: { type: 'string' }, 'send-at': { type: 'string' }, 'idempotency-key': { type: 'string' },
  },
  status: { ...COMMON },
  list: { ...COMMON, ...FILTERS, all: { type: 'boolean' } },
  cancel: { ...COMMON, recipient: { type: 'string' }, reason: { type: 'string' } },
  hold: { ...COMMON, recipient: { type: 'string' } },
  release: { ...COMMON, recipient: { type: 'string' } },
  resend: { ...COMMON, number: { type: 'string', short: 'd', multiple: true }, 'idempotency-key': { type: 'string' } },
  received: { ...COMMON, ...FILTERS, download: { type: 'string' }, format: { type: 'string' } },
  tokens: { ...COMMON, scope: { type: 'string', multiple: true }, email: { type: 'string' }, name: { type: 'string' } },
};
export const TOKEN_VERBS = ['add', 'list', 'revoke'] as const;

type Values = Record<string, string | boolean | string[] | undefined>;

/** `faxgate <command> ...` for the API commands; resolves to the exit code. */
export async function faxCommand(name: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const usage = USAGES[name];
  let verb: string | undefined;
  let rest = argv;
  if (name === 'tokens') {
    verb = argv[0];
    if (verb === '--help' || verb === '-h' || verb === 'help') return help(usage);
    if (!TOKEN_VERBS.includes(verb as (typeof TOKEN_VERBS)[number])) {
      const what = verb === undefined ? 'missing subcommand' : `unknown ${verb.startsWith('-') ? 'option' : 'subcommand'} "${verb}"`;
      process.stderr.write(`faxgate tokens: ${what} (${TOKEN_VERBS.join(', ')})\n${usage}`);
      return 2;
    }
    rest = argv.slice(1);
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: OPTIONS[name], allowPositionals: true, strict: true }) as { values: Values; positionals: string[] });
  } catch (err) {
    process.stderr.write(`faxgate ${name}${verb ? ` ${verb}` : ''}: ${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help) return help(usage);
  try {
    return await RUN[name](apiClient(env), values, positionals, verb, usage);
  } catch (err) {
    process.stderr.write(`faxgate ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

function help(usage: string): number {
  process.stdout.write(usage);
  return 0;
}

function wrongUse(name: string, problem: string, usage: string): number {
  process.stderr.write(`faxgate ${name}: ${problem}\n${usage}`);
  return 2;
}

const out = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const json = (v: unknown) => out(JSON.stringify(v, null, 2));

/** One line per fax, as faxstat prints its queue. */
function faxLine(f: any): string {
  const numbers = (f.numbers ?? []).join(',') || `${f.recipientCount} recipient(s)`;
  return `${f.id}  ${String(f.state).padEnd(9)} ${f.createdAt.slice(0, 19).replace('T', ' ')}  ${(f.authUser ?? f.sender ?? '').slice(0, 24).padEnd(24)} ${numbers}${f.subject ? `  "${f.subject.slice(0, 40)}"` : ''}`;
}

const RUN: Record<string, (api: ApiClient, o: Values, pos: string[], verb: string | undefined, usage: string) => Promise<number>> = {
  async send(api, o, files, _verb, usage) {
    const numbers = (o.number as string[] | undefined) ?? [];
    if (numbers.length === 0) return wrongUse('send', 'at least one -d <number>', usage);
    if (files.length === 0 && !o.message) return wrongUse('send', 'a file to fax, or --message', usage);
    // JSON with the files in base64 rather than multipart: the console refuses a form body sent
    // with basic auth only (a cross-site form looks the same), and the CLI may use the console
    // password on the gateway's own machine.
    const body: Record<string, unknown> = { numbers };
    const fields: Array<[string, unknown]> = [['to_name', o['to-name']], ['to_company', o['to-company']], ['subject', o.subject], ['message', o.message], ['cover', o['no-cover'] ? 'none' : o.cover], ['priority', o.priority], ['send_at', o['send-at']]];
    for (const [k, v] of fields) if (typeof v === 'string') body[k] = v;
    if (files.length) body.documents = await Promise.all(files.map(async (f) => ({ filename: basename(f), content_base64: (await readFile(f)).toString('base64') })));
    const r = await api.call('POST', '/api/v1/faxes', body, typeof o['idempotency-key'] === 'string' ? { 'idempotency-key': o['idempotency-key'] } : {});
    if (r.status !== 202) return apiError(r);
    if (o.json) json(r.json);
    else out(`${r.json.id} queued for ${r.json.numbers.join(', ')} (faxgate status ${r.json.id})`);
    return 0;
  },

  async status(api, o, pos, _verb, usage) {
    if (pos.length > 1) return wrongUse('status', 'at most one fax id', usage);
    if (pos.length === 0) {
      const r = await api.call('GET', '/api/v1/faxes?limit=500');
      if (r.status !== 200) return apiError(r);
      const open = r.json.faxes.filter((f: any) => f.state !== 'done' && f.state !== 'failed');
      if (o.json) json(open);
      else if (open.length === 0) out('no faxes waiting or being sent');
      else for (const f of open) out(faxLine(f));
      return 0;
    }
    const r = await api.call('GET', `/api/v1/faxes/${encodeURIComponent(pos[0])}`);
    if (r.status !== 200) return apiError(r);
    if (o.json) return json(r.json), 0;
    const f = r.json;
    out(`${f.id}  ${f.state}  created ${f.createdAt}${f.subject ? `  "${f.subject}"` : ''}`);
    out(`  sender ${f.sender || '(none)'}${f.authUser ? `  user ${f.authUser}` : ''}${f.documentPages !== undefined ? `  ${f.documentPages} document page(s)` : ''}`);
    for (const rc of f.recipients) {
      out(`  [${rc.index}] ${rc.number}${rc.name ? ` (${rc.name})` : ''}  ${rc.state}  pages ${rc.pagesSent}/${rc.pagesTotal ?? '?'}  attempts ${rc.attempts}${rc.remoteId ? `  CSID "${rc.remoteId}"` : ''}`);
      if (rc.reason) out(`      ${rc.reason}`);
      if (rc.nextAttemptAt) out(`      next attempt ${rc.nextAttemptAt}`);
    }
    for (const e of f.timeline) out(`  ${e.at.slice(11, 19)}  ${e.event}${e.recipient !== undefined ? ` [${e.recipient}]` : ''}${e.detail ? `: ${e.detail}` : ''}`);
    return 0;
  },

  async list(api, o) {
    const all: any[] = [];
    let cursor: string | undefined;
    do {
      const q = filterQuery(o, cursor);
      const r = await api.call('GET', `/api/v1/faxes?${q}`);
      if (r.status !== 200) return apiError(r);
      all.push(...r.json.faxes);
      cursor = o.all ? r.json.next_cursor : undefined;
      if (!o.all && r.json.next_cursor && !o.json) process.stderr.write(`(more: faxgate list --all, or --limit)\n`);
    } while (cursor);
    if (o.json) json(all);
    else for (const f of all) out(faxLine(f));
    return 0;
  },

  cancel: control('cancel'),
  hold: control('hold'),
  release: control('release'),

  async resend(api, o, pos, _verb, usage) {
    if (pos.length !== 1) return wrongUse('resend', 'one fax id', usage);
    const numbers = o.number as string[] | undefined;
    const r = await api.call('POST', `/api/v1/faxes/${encodeURIComponent(pos[0])}/resend`, numbers?.length ? { numbers } : {}, typeof o['idempotency-key'] === 'string' ? { 'idempotency-key': o['idempotency-key'] } : {});
    if (r.status !== 202) return apiError(r);
    if (o.json) json(r.json);
    else out(`${r.json.id} queued for ${r.json.numbers.join(', ')} (a resend of ${pos[0]})`);
    return 0;
  },

  async received(api, o, pos, _verb, usage) {
    if (pos.length) return wrongUse('received', `unexpected "${pos[0]}"`, usage);
    const format = (o.format as string | undefined) ?? 'pdf';
    if (format !== 'pdf' && format !== 'tiff') return wrongUse('received', '--format pdf or tiff', usage);
    const r = await api.call('GET', `/api/v1/inbound?${filterQuery(o)}`);
    if (r.status !== 200) return apiError(r);
    const faxes = r.json.faxes as any[];
    const saved: string[] = [];
    if (typeof o.download === 'string') {
      await mkdir(o.download, { recursive: true });
      for (const f of faxes) {
        if (!f.documentKey) continue;
        const res = await api.request('GET', `/api/v1/inbound/${f.id}/document?format=${format}`);
        if (res.status !== 200) {
          process.stderr.write(`faxgate received: ${f.id}: ${res.status} ${await res.text()}\n`);
          continue;
        }
        const file = join(o.download, `${f.id}.${format === 'pdf' ? 'pdf' : 'tif'}`);
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        saved.push(file);
      }
    }
    if (o.json) return json(o.download ? { faxes, saved } : faxes), 0;
    for (const f of faxes) out(`${f.id}  ${String(f.state).padEnd(9)} ${f.createdAt.slice(0, 19).replace('T', ' ')}  from ${f.callingNumber || '?'}${f.csid ? ` "${f.csid}"` : ''} to ${f.did}  ${f.pages} page(s)${f.route ? `  → ${f.route.user ?? 'unaddressed'} (${f.route.rule})` : ''}`);
    for (const s of saved) out(`saved ${s}`);
    return 0;
  },

  async tokens(api, o, pos, verb, usage) {
    if (verb === 'list') {
      const r = await api.call('GET', '/api/v1/tokens');
      if (r.status !== 200) return apiError(r);
      if (o.json) return json(r.json.tokens), 0;
      for (const t of r.json.tokens) out(`${t.id}  ${t.user.padEnd(16)} ${t.scopes.join(',').padEnd(22)} ${t.createdAt.slice(0, 10)}${t.lastUsedAt ? `  used ${t.lastUsedAt.slice(0, 16).replace('T', ' ')}` : '  never used'}${t.name ? `  ${t.name}` : ''}`);
      return 0;
    }
    if (verb === 'revoke') {
      if (pos.length !== 1) return wrongUse('tokens revoke', 'one token id', usage);
      const r = await api.call('DELETE', `/api/v1/tokens/${encodeURIComponent(pos[0])}`);
      if (r.status !== 200) return apiError(r);
      out(`revoked ${pos[0]}`);
      return 0;
    }
    if (pos.length !== 1) return wrongUse('tokens add', 'one user name', usage);
    const scopes = (o.scope as string[] | undefined) ?? [];
    if (!scopes.length) return wrongUse('tokens add', 'at least one --scope', usage);
    const r = await api.call('POST', '/api/v1/tokens', { user: pos[0], scopes, ...(o.email ? { email: o.email } : {}), ...(o.name ? { name: o.name } : {}) });
    if (r.status !== 201) return apiError(r);
    if (o.json) return json(r.json), 0;
    out(r.json.token);
    process.stderr.write(`token ${r.json.id} for ${r.json.user} (${r.json.scopes.join(', ')}): shown once, keep it now\n`);
    return 0;
  },
};

function control(what: 'cancel' | 'hold' | 'release') {
  return async (api: ApiClient, o: Values, pos: string[], _verb: string | undefined, usage: string) => {
    if (pos.length !== 1) return wrongUse(what, 'one fax id', usage);
    const body = { ...(o.recipient !== undefined ? { recipient: Number(o.recipient) } : {}), ...(o.reason ? { reason: o.reason } : {}) };
    const r = await api.call('POST', `/api/v1/faxes/${encodeURIComponent(pos[0])}/${what}`, body);
    if (r.status !== 200) return apiError(r);
    if (o.json) return json(r.json), 0;
    const done = { cancel: 'cancelled', hold: 'held', release: 'released' }[what];
    out(r.json.changed.length ? `${pos[0]}: ${done} recipient(s) ${r.json.changed.join(', ')}` : `${pos[0]}: nothing to do`);
    for (const u of r.json.unchanged) out(`  [${u.recipient}] ${u.why}`);
    return 0;
  };
}

function filterQuery(o: Values, cursor?: string): string {
  const q = new URLSearchParams();
  for (const k of ['number', 'sender', 'state', 'from', 'to', 'limit']) if (typeof o[k] === 'string') q.set(k, o[k] as string);
  if (cursor) q.set('cursor', cursor);
  return q.toString();
}
