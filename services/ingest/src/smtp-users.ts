import { readFileSync } from 'node:fs';
import { timingSafeEqual, createHash } from 'node:crypto';

/** SMTP AUTH users from a `user:password` file (one per line, # comments). */
export class SmtpUsers {
  private readonly users = new Map<string, Buffer>();

  static fromFile(path: string): SmtpUsers {
    const u = new SmtpUsers();
    const text = readFileSync(path, 'utf8');
    text.split(/\r?\n/).forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith('#')) return;
      const colon = l.indexOf(':');
      if (colon < 1) throw new Error(`${path}:${i + 1}: expected user:password`);
      u.users.set(l.slice(0, colon), digest(l.slice(colon + 1)));
    });
    return u;
  }

  get size(): number {
    return this.users.size;
  }

  verify(user: string, password: string): boolean {
    const want = this.users.get(user);
    // Compare digests so the time taken says nothing about the password's length or content.
    return want !== undefined && timingSafeEqual(want, digest(password));
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
