// `faxgate t38 …`: a sendfax-style debug front end for one T.38 call over raw UDPTL.
import { createSocket, type Socket } from 'node:dgram';
import { readFile, writeFile } from 'node:fs/promises';
import { createT30Engine, type T30Result, type Encoding, type SessionParams, type T30Config } from '@faxgate/t30';
import { T38Terminal, type T38TerminalOptions } from './t38-terminal.ts';
import type { T38Version } from './ifp.ts';
import { decodeReceivedPage, receivedTiff, tiffDocument } from './fax-document.ts';

const USAGE = `usage:
  faxgate t38 send <host:port> <file.tif> [--local-port N] [--ecm on|off] [--id "+1 555 0100"]
           [--sub DIGITS] [--sid DIGITS] [--encodings mh,mr,mmr] [--redundancy N] [--verbose]
  faxgate t38 receive --listen <port> --peer <host:port> -o <out.tif> [--ecm on|off] [--id ID]
           [--encodings mh,mr,mmr] [--redundancy N] [--verbose]
  (--peer host:0 learns the peer's port from its first datagram)
  common options: [--t38-version 0-3] [--rate-method 1|2] [--indicator-repeats N] [--ecm-frame 64|256]
  -h, --help: this text`;

/** The options each command reads (callOptions() and the command's own), so a mistyped one is refused. */
const COMMON_FLAGS = ['--ecm', '--id', '--encodings', '--redundancy', '--verbose', '--t38-version', '--rate-method', '--indicator-repeats', '--ecm-frame'];
const FLAGS: Record<string, string[]> = {
  send: [...COMMON_FLAGS, '--local-port', '--sub', '--sid'],
  receive: [...COMMON_FLAGS, '--listen', '--peer', '-o'],
};
const HELP = ['--help', '-h'];

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string>;
}

function parseArgs(argv: string[], known: string[], booleans: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-')) {
      if (!known.includes(a)) throw new UsageError(`unknown option ${a}`);
      if (booleans.includes(a)) {
        flags.set(a, 'true');
        continue;
      }
      const v = argv[i + 1];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      flags.set(a, v);
      i++;
    } else {
      positional.push(a);
    }
  }
  return { positional, flags };
}

function hostPort(s: string): { host: string; port: number } {
  const m = /^(.+):(\d+)$/.exec(s);
  if (!m) throw new UsageError(`expected host:port, got "${s}"`);
  return { host: m[1], port: Number(m[2]) };
}

function intFlag(p: Parsed, name: string, dflt: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} needs a non-negative integer`);
  return n;
}

function onOff(p: Parsed, name: string, dflt: boolean): boolean {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  if (v !== 'on' && v !== 'off') throw new UsageError(`${name} takes on or off`);
  return v === 'on';
}

/** T.30 §5.3.6.2.4: station ids, SUB and SID hold up to 20 digits, '+' and space. */
function digitsFlag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  if (v !== undefined && !/^[0-9+ ]{0,20}$/.test(v)) throw new UsageError(`${name} takes up to 20 digits, + and space`);
  return v;
}

function ecmFrameFlag(p: Parsed): 64 | 256 {
  const v = intFlag(p, '--ecm-frame', 256);
  if (v !== 64 && v !== 256) throw new UsageError('--ecm-frame takes 64 or 256');
  return v;
}

function rateMethodFlag(p: Parsed): 1 | 2 {
  const v = intFlag(p, '--rate-method', 2);
  if (v !== 1 && v !== 2) throw new UsageError('--rate-method takes 1 or 2');
  return v;
}

function versionFlag(p: Parsed): T38Version {
  const v = intFlag(p, '--t38-version', 0);
  if (v > 3) throw new UsageError('--t38-version takes 0 to 3');
  return v as T38Version;
}

function encodingsFlag(p: Parsed): Encoding[] {
  const list = (p.flags.get('--encodings') ?? 'mh,mr,mmr').split(',');
  for (const e of list) if (e !== 'mh' && e !== 'mr' && e !== 'mmr') throw new UsageError(`unknown encoding ${e}`);
  return list as Encoding[];
}

function bind(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

function report(result: T30Result, elapsedMs: number, t: T38Terminal): void {
  console.log(`${result.success ? 'OK' : 'FAILED'}: ${result.sentence}`);
  console.log(`remote station: "${result.remoteId}"`);
  if (result.subaddress !== undefined) console.log(`subaddress: "${result.subaddress}"`);
  if (result.senderId !== undefined) console.log(`sender id: "${result.senderId}"`);
  console.log(`pages: ${result.pages.length}${result.rate ? `, last rate ${result.rate}` : ''}, time ${(elapsedMs / 1000).toFixed(1)} s`);
  for (const p of result.pages) {
    const rows = p.rows !== undefined ? `, rows ${p.rows}, bad rows ${p.badRows}` : p.badRows ? ', with errors' : '';
    console.log(`  page ${p.index + 1}: ${p.encoding.toUpperCase()} ${p.resolution} ${p.width}, ${p.rate}, ECM ${p.ecm ? 'on' : 'off'}, ${p.bytes} octets${rows}, resent ${p.retransmissions}`);
  }
  const u = t.udptlStats;
  console.log(`udptl: sent ${t.stats.datagramsSent}, received ${u.received}, recovered ${u.recovered}, lost ${u.lost}, duplicates ${u.duplicates}`);
}

/** Every option both commands share, checked before anything is opened. */
interface CallOptions {
  engine: Pick<T30Config, 'localId' | 'ecm' | 'modems' | 'encodings' | 'ecmFrameSize'>;
  line: Omit<T38TerminalOptions, 'socket' | 'peer' | 'engine' | 'calling' | 'log' | 'onAction'>;
  verbose: boolean;
}

function callOptions(p: Parsed): CallOptions {
  return {
    engine: {
      localId: digitsFlag(p, '--id') ?? '',
      ecm: onOff(p, '--ecm', true),
      modems: ['v27ter', 'v29', 'v17'],
      encodings: encodingsFlag(p),
      ecmFrameSize: ecmFrameFlag(p),
    },
    line: {
      redundancy: intFlag(p, '--redundancy', 3),
      version: versionFlag(p),
      rateManagement: rateMethodFlag(p),
      indicatorRepeats: intFlag(p, '--indicator-repeats', 1),
    },
    verbose: p.flags.has('--verbose'),
  };
}

async function runCall(socket: Socket, config: T30Config, peer: { host: string; port: number } | undefined, o: CallOptions,
  onPage?: (data: Uint8Array, params: SessionParams) => void): Promise<{ result: T30Result; terminal: T38Terminal; ms: number }> {
  const engine = createT30Engine(config);
  const started = performance.now();
  const terminal = new T38Terminal({
    ...o.line,
    socket,
    peer: peer && peer.port !== 0 ? peer : undefined,
    engine,
    calling: config.role === 'send',
    log: o.verbose ? (line) => console.error(`[${((performance.now() - started) / 1000).toFixed(3)}] ${line}`) : undefined,
    onAction: (a) => {
      if (a.type === 'page-received') onPage?.(a.data, a.params);
    },
  });
  const result = await terminal.run();
  return { result, terminal, ms: performance.now() - started };
}

async function send(p: Parsed, io: CliIo): Promise<number> {
  if (p.positional.length !== 2) throw new UsageError('send needs <host:port> <file.tif>');
  const peer = hostPort(p.positional[0]);
  const o = callOptions(p);
  const subaddress = digitsFlag(p, '--sub');
  const senderId = digitsFlag(p, '--sid');
  const localPort = intFlag(p, '--local-port', 0);
  const document = tiffDocument(new Uint8Array(await readFile(p.positional[1])));
  const socket = io.wrapSocket(await bind(localPort));
  try {
    const { result, terminal, ms } = await runCall(socket, { ...o.engine, role: 'send', document, subaddress, senderId }, peer, o);
    report(result, ms, terminal);
    return result.success ? 0 : 1;
  } finally {
    socket.close();
  }
}

async function receive(p: Parsed, io: CliIo): Promise<number> {
  const peerArg = p.flags.get('--peer');
  const outPath = p.flags.get('-o');
  if (!p.flags.has('--listen') || peerArg === undefined || outPath === undefined) throw new UsageError('receive needs --listen, --peer and -o');
  const peer = hostPort(peerArg);
  const o = callOptions(p);
  const socket = io.wrapSocket(await bind(intFlag(p, '--listen', 0)));
  console.error(`listening on 127.0.0.1:${socket.address().port}`);
  const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
  try {
    const { result, terminal, ms } = await runCall(socket, {
      ...o.engine,
      role: 'receive',
      judgePage: (data, params) => decodeReceivedPage(data, params),
    }, peer, o, (data, params) => pages.push({ data, params }));
    if (pages.length > 0) await writeFile(outPath, receivedTiff(pages));
    report(result, ms, terminal);
    return result.success ? 0 : 1;
  } finally {
    socket.close();
  }
}

/** What the command's call runs on, for a caller that puts something between it and the network. */
export interface CliIo {
  /** The UDP socket the call sends and receives on, as the terminal gets it (default: as bound). */
  wrapSocket: (socket: Socket) => Socket;
}

/**
 * Entry point for `faxgate t38 …`; `argv` starts after the word `t38`.
 * Resolves to the exit status: 0 only when the call completed.
 */
export async function t38Cli(argv: string[], io: CliIo = { wrapSocket: (s) => s }): Promise<number> {
  try {
    const [cmd, ...rest] = argv;
    if (cmd === undefined) throw new UsageError('missing command');
    const known = Object.hasOwn(FLAGS, cmd) ? FLAGS[cmd] : undefined;
    if (cmd === 'help' || HELP.includes(cmd) || (known && rest.some((a) => HELP.includes(a)))) {
      console.log(USAGE);
      return 0;
    }
    if (!known) throw new UsageError(`unknown ${cmd.startsWith('-') ? 'option' : 'command'} ${cmd}`);
    const p = parseArgs(rest, known, ['--verbose']);
    if (cmd === 'send') return await send(p, io);
    return await receive(p, io);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`t38: ${e.message}\n${USAGE}`);
      return 2;
    }
    // Files that cannot be read or written, ports already taken, TIFFs that are not fax pages:
    // no call took place.
    console.error(`t38: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await t38Cli(process.argv.slice(2));
