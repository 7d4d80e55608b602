import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import type { InboundView } from '@faxgate/store';
import { startTestGateway, waitUntil, type TestGateway } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';
import { notifierRole } from '@faxgate/notifier';
import { nodeRole } from '@faxgate/node';
import { inboundRole } from '../src/index.ts';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export const run = promisify(execFile);
export const TOKEN = 'inbound-test-token';

/** The roles a received fax passes: the node answers, inbound routes, notifier mails, the console is the API. */
export const INBOUND_ROLES = [consoleRole, notifierRole, inboundRole, nodeRole];

/**
 * The testkit's gateway harness with the inbound roles, the console token of these tests and
 * `directory` written to directory.yaml in the temp dir (`FAXGATE_DIRECTORY`).
 */
export async function startInboundGateway(label: string, directory: string, extra: Record<string, string> = {}, smarthost?: string): Promise<TestGateway<RunningGateway> & { directoryPath: string }> {
  let directoryPath = '';
  const g = await startTestGateway((env) => runRoles(INBOUND_ROLES, { env }), {
    label,
    smarthost,
    env: async (dir) => {
      directoryPath = join(dir, 'directory.yaml');
      await writeFile(directoryPath, directory);
      return { FAXGATE_DIRECTORY: directoryPath, FAXGATE_CONSOLE_TOKEN: TOKEN, FAXGATE_CONSOLE_PASSWORD: 'unused', ...extra };
    },
  });
  return Object.assign(g, { directoryPath });
}

/**
 * A fax TIFF made by Ghostscript from PostScript (an independent producer): `pages` fine-mode
 * pages, 1728 dots wide like a real fax page, with text and line art to compare.
 */
export async function makeFaxTiff(dir: string, pages: number, label: string): Promise<Buffer> {
  const ps = ['%!PS'];
  for (let p = 1; p <= pages; p++) {
    ps.push('/Helvetica findfont 30 scalefont setfont');
    ps.push(`60 720 moveto (${label} page ${p} of ${pages}) show`);
    ps.push(`3 setlinewidth 60 690 moveto 560 ${690 - p * 40} lineto stroke`);
    ps.push(`newpath 300 400 ${60 + p * 20} 0 360 arc closepath stroke`);
    ps.push('/Courier findfont 11 scalefont setfont 60 200 moveto (fine print: 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ) show');
    ps.push('showpage');
  }
  const src = join(dir, `${label.replace(/\W/g, '')}-${pages}.ps`);
  const out = src.replace(/\.ps$/, '.tif');
  await writeFile(src, ps.join('\n'));
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-g1728x2156', `-sOutputFile=${out}`, src]);
  return readFile(out);
}

/** Offers a simulated incoming call through the console API; returns the received fax's id. */
export async function offerCall(gw: RunningGateway, tiff: Uint8Array, q: Record<string, string>): Promise<string> {
  const res = await fetch(`${gw.httpUrl}/api/v1/sim/incoming?${new URLSearchParams(q)}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
  const body = (await res.json()) as { inboundId?: string; error?: string };
  if (res.status !== 202 || !body.inboundId) throw new Error(`sim/incoming: ${res.status} ${body.error}`);
  return body.inboundId;
}

export async function api(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gw.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

/** The received fax's record once it is delivered (or failed for good). */
export async function finished(gw: RunningGateway, id: string, timeoutMs = 60_000): Promise<InboundView> {
  return waitUntil(`received fax ${id} to be delivered`, async () => {
    const r = await api(gw, 'GET', `/api/v1/inbound/${id}`);
    return r.json.state === 'delivered' || r.json.state === 'failed' ? (r.json as InboundView) : undefined;
  }, timeoutMs, 50);
}

/**
 * A smarthost that refuses every recipient at bounce.example (as a mail server does for a
 * mailbox that is full or gone) and accepts the rest: a real SMTP conversation, so the
 * notifier's retries and its fallback meet the replies they would meet in production.
 */
export async function startRefusingSmarthost() {
  const mails: Array<{ to: string[]; parsed: ParsedMail }> = [];
  let refusals = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address.endsWith('@bounce.example')) {
        refusals++;
        const err = new Error('5.2.2 mailbox full') as Error & { responseCode: number };
        err.responseCode = 552;
        return cb(err);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), parsed: await simpleParser(Buffer.concat(chunks)) });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, refusals: () => refusals, close: () => new Promise<void>((r) => server.close(() => r())) };
}
