// `faxgate sip send|receive`: one SIP fax call placed or answered from the command line, for
// interop debugging against a trunk, a PBX or a lab peer (issue 11), with the node's `sip` line
// driver and its FAXGATE_SIP_* configuration (options below override it).
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { RenderOptions } from '@faxgate/render';

const USAGE = `usage:
  faxgate sip send <number|sip:uri> <file.tif|file.pdf> [options]
  faxgate sip receive -o <out.tif> [--timeout S] [options]
options (each overrides the FAXGATE_SIP_* variable of the same meaning, docs/sip.md):
  --bind host:port          local SIP address (send: port 0 picks one)
  --media t38|audio|t38-then-audio
                            how the fax travels (default t38-then-audio: T.38, G.711 if refused)
  --proxy host:port         outbound proxy; --user USER   From / contact user; --domain DOMAIN
  --advertise host          address put in Via, Contact and SDP (behind NAT)
  --password-file FILE      digest password for 401/407 challenges
  --tcp                     SIP over TCP instead of UDP
  --ecm on|off              error correction mode (send; receive always offers it)
  --id "+1 555 0100"        TSI / CSI
  --verbose                 print every SIP message and the driver's log to stderr
  -h, --help                this text
send: <number> is dialled with FAXGATE_SIP_DIAL_FORMAT; a sip: URI is used as the Request-URI.
receive: answers calls until one ends with a fax (or --timeout, default 300 s), writes it to -o.
exit status: 0 fax complete, 1 call or fax failed (or partial), 2 usage error.`;

class UsageError extends Error {}

function hostPort(v: string, what: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(v);
  if (!m || Number(m[2]) > 65535) throw new UsageError(`${what} expects host:port, got "${v}"`);
  return { host: m[1], port: Number(m[2]) };
}

/** Runs `faxgate sip …`; resolves to the exit code. */
export async function sipCli(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    (sub === undefined ? process.stderr : process.stdout).write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'send' && sub !== 'receive') {
    process.stderr.write(`faxgate sip: unknown subcommand "${sub}"\n${USAGE}\n`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: rest, allowPositionals: true,
      options: {
        bind: { type: 'string' }, media: { type: 'string' }, proxy: { type: 'string' }, user: { type: 'string' }, domain: { type: 'string' },
        advertise: { type: 'string' }, 'password-file': { type: 'string' }, tcp: { type: 'boolean' }, ecm: { type: 'string' }, id: { type: 'string' },
        verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, output: { type: 'string', short: 'o' }, timeout: { type: 'string' },
      },
    });
  } catch (err) {
    process.stderr.write(`faxgate sip ${sub}: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    if (sub === 'send' && args.positionals.length !== 2) throw new UsageError('send needs a number or sip: URI and a file');
    if (sub === 'receive' && (args.positionals.length !== 0 || !v.output)) throw new UsageError('receive needs -o <out.tif> and no other arguments');
    if (v.media !== undefined && !['t38', 'audio', 't38-then-audio'].includes(v.media)) throw new UsageError(`--media must be t38, audio or t38-then-audio, not "${v.media}"`);
    if (v.ecm !== undefined && v.ecm !== 'on' && v.ecm !== 'off') throw new UsageError('--ecm must be on or off');
    if (v.timeout !== undefined && !(Number(v.timeout) > 0)) throw new UsageError('--timeout must be a number of seconds');
    const env: Record<string, string | undefined> = { ...process.env };
    if (v.bind) {
      const b = hostPort(v.bind, '--bind');
      env.FAXGATE_SIP_BIND_HOST = b.host;
      env.FAXGATE_SIP_PORT = String(b.port);
    } else if (sub === 'send' && !env.FAXGATE_SIP_PORT) env.FAXGATE_SIP_PORT = '0';
    if (v.proxy) env.FAXGATE_SIP_OUTBOUND_PROXY = `${hostPort(v.proxy, '--proxy').host}:${hostPort(v.proxy, '--proxy').port}`;
    if (v.user) env.FAXGATE_SIP_USERNAME = v.user;
    if (v.domain) env.FAXGATE_SIP_FROM_DOMAIN = v.domain;
    if (v.advertise) env.FAXGATE_SIP_ADVERTISED_HOST = v.advertise;
    if (v['password-file']) env.FAXGATE_SIP_PASSWORD_FILE = v['password-file'];
    if (v.tcp) env.FAXGATE_SIP_TRANSPORT = 'tcp';
    if (v.ecm) env.FAXGATE_T38_ECM = v.ecm === 'on' ? 'true' : 'false';
    if (v.id) env.FAXGATE_T38_LOCAL_ID = v.id;
    const media = v.media as 't38' | 'audio' | 't38-then-audio' | undefined;
    if (sub === 'send') return await send(env, args.positionals[0], args.positionals[1], v.verbose ?? false, media);
    return await receive(env, v.output!, Number(v.timeout ?? 300) * 1000, v.verbose ?? false, media);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`faxgate sip ${sub}: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`faxgate sip ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
}

/** The node's `sip` driver from the environment, for one call; pino to stderr when verbose. */
async function driver(env: Record<string, string | undefined>, verbose: boolean, media?: 't38' | 'audio' | 't38-then-audio') {
  const [{ nodeSchema, sipDriverOptions, SipLineDriver }, { default: pino }] = await Promise.all([import('@faxgate/node'), import('pino')]);
  const parsed = nodeSchema.safeParse(env);
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const log = pino({ level: verbose ? 'debug' : 'silent' }, pino.destination(2));
  const o = await sipDriverOptions(parsed.data, { log, nodeId: 'cli' });
  if (media) o.sip.media = media;
  o.maxCalls = 1;
  o.callsPerSecond = 0;
  if (verbose) {
    o.sip.trace = (dir, peer, m) => process.stderr.write(`--- ${dir === 'in' ? 'from' : 'to'} ${peer.transport} ${peer.host}:${peer.port}\n${typeof m === 'string' ? m : serialiseForLog(m)}\n`);
  }
  return { d: new SipLineDriver(o), o };
}

function serialiseForLog(m: { kind: string; headers: Array<[string, string]>; body: string; method?: string; uri?: string; status?: number; reason?: string }): string {
  const first = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  return [first, ...m.headers.map(([n, v]) => `${n}: ${v}`), '', m.body].join('\n');
}

/** A TIFF as it is; a PDF (or another document the renderer reads) rendered to fax pages. */
async function faxDocument(file: string): Promise<Uint8Array> {
  const data = new Uint8Array(await readFile(file));
  const magic = String.fromCharCode(...data.subarray(0, 4));
  if (magic === 'II*\0' || magic === 'MM\0*') return data;
  const [{ writeTiff }, render] = await Promise.all([import('@faxgate/fax-image'), import('@faxgate/render')]);
  const sandbox = new render.RenderSandbox({ timeoutMs: 120_000, memoryMb: 2048 });
  try {
    // Fine resolution on A4 as `faxgate render` makes it; the sandbox keeps a hostile PDF away.
    const opts: RenderOptions = { resolution: 'fine', paper: 'a4', longPages: 'scale', office: false, sandbox };
    const doc = await render.renderDocuments({ parts: [{ kind: 'document', label: basename(file), mimeType: render.contentTypeOf(undefined, basename(file)), data }] } as never, opts);
    for (const n of doc.notices) process.stderr.write(`faxgate sip send: ${n}\n`);
    if (doc.pages.length === 0) throw new Error(`${file}: nothing to fax`);
    return writeTiff(doc.pages, { compression: 'mmr' });
  } finally {
    await sandbox.close();
  }
}

async function send(env: Record<string, string | undefined>, target: string, file: string, verbose: boolean, media?: 't38' | 'audio' | 't38-then-audio'): Promise<number> {
  const document = await faxDocument(file);
  if (/^sips?:/i.test(target)) env.FAXGATE_SIP_DIAL_FORMAT = target;
  else if (!/^\+?[\d*#]{2,32}$/.test(target)) throw new UsageError(`"${target}" is neither a number nor a sip: URI`);
  const { d } = await driver(env, verbose, media);
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  try {
    const number = target.startsWith('sip') ? '+0' : target;
    const o = await d.send({ callId: 'cli', number, dialString: number.replace(/^\+/, ''), document, fromPage: 1, line: 'cli' }, ac.signal);
    process.stdout.write(`${o.result}: ${o.pagesSent} page(s) confirmed in ${(o.durationMs / 1000).toFixed(1)} s${o.remoteId ? `, remote "${o.remoteId}"` : ''}${o.reason ? ` (${o.reason})` : ''}\n`);
    return o.result === 'success' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    await d.stop();
  }
}

async function receive(env: Record<string, string | undefined>, out: string, timeoutMs: number, verbose: boolean, media?: 't38' | 'audio' | 't38-then-audio'): Promise<number> {
  const { d } = await driver(env, verbose, media);
  let timer: NodeJS.Timeout | undefined;
  let stop: (() => Promise<void>) | undefined;
  try {
    const got = new Promise<number>((resolve) => {
      void d.listen(async (call, outcome) => {
        if (outcome.document) await writeFile(out, outcome.document);
        process.stdout.write(`${outcome.partial ? 'partial' : 'received'}: ${outcome.pages} page(s) from ${call.callingNumber || 'unknown'} to ${call.did || 'unknown'}${outcome.csid ? `, CSI "${outcome.csid}"` : ''} in ${(outcome.durationMs / 1000).toFixed(1)} s${outcome.document ? `, written to ${out}` : ''}${outcome.reason ? ` (${outcome.reason})` : ''}\n`);
        resolve(outcome.partial || outcome.pages === 0 ? 1 : 0);
        return 'cli';
      }).then((s) => {
        stop = s;
        process.stderr.write(`faxgate sip receive: listening on port ${d.port}\n`);
      });
    });
    const late = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        process.stderr.write(`faxgate sip receive: no fax within ${timeoutMs / 1000} s\n`);
        resolve(1);
      }, timeoutMs);
    });
    return await Promise.race([got, late]);
  } finally {
    clearTimeout(timer);
    await (stop?.() ?? d.stop());
  }
}
