import { createConnection } from 'node:net';

export interface SmtpReply { code: number; text: string }

/**
 * Speaks SMTP line by line and returns each reply, so a test can see exactly which command was
 * refused with which code and sentence (swaks and nodemailer hide the per-command replies).
 * `commands` are sent one at a time after the greeting; `DATA` content is sent as given.
 * `localAddress` picks the client's address (e.g. 127.0.0.2, to look like another host).
 */
export async function smtpDialogue(port: number, commands: string[], host = '127.0.0.1', localAddress?: string): Promise<SmtpReply[]> {
  const sock = createConnection({ port, host, ...(localAddress ? { localAddress } : {}) });
  sock.setEncoding('utf8');
  let buffer = '';
  const pending: Array<(r: SmtpReply) => void> = [];
  const ready: SmtpReply[] = [];
  sock.on('data', (d: string) => {
    buffer += d;
    for (;;) {
      // A reply ends with a line "NNN text" (multi-line replies use "NNN-text" before it).
      const m = /^(?:\d{3}-[^\n]*\n)*(\d{3}) ([^\n]*)\n/.exec(buffer);
      if (!m) break;
      buffer = buffer.slice(m[0].length);
      const reply = { code: Number(m[1]), text: m[0].trim() };
      const waiter = pending.shift();
      if (waiter) waiter(reply);
      else ready.push(reply);
    }
  });
  const next = () => new Promise<SmtpReply>((resolve, reject) => {
    const r = ready.shift();
    if (r) return resolve(r);
    const t = setTimeout(() => reject(new Error('no SMTP reply within 20 s')), 20_000);
    pending.push((x) => { clearTimeout(t); resolve(x); });
  });
  const replies: SmtpReply[] = [await next()];
  try {
    for (const c of commands) {
      sock.write(c.endsWith('\r\n') ? c : `${c}\r\n`);
      replies.push(await next());
    }
  } finally {
    sock.end('QUIT\r\n');
    sock.destroy();
  }
  return replies;
}
