import { LineCounter, parseDocument, type Document } from 'yaml';
import { matchesPattern } from '@faxgate/phone';
import { directorySchema, type Directory } from './directory-schema.ts';

export interface DirectoryIssue {
  line: number;
  column: number;
  /** Where in the directory, e.g. `users[1].emails[0]`. */
  path: string;
  message: string;
}

/** A directory file that cannot be used: every problem with its line and reason. */
export class DirectoryError extends Error {
  readonly issues: DirectoryIssue[];
  readonly source: string;
  constructor(source: string, issues: DirectoryIssue[]) {
    super(`${source}: ${issues.map((i) => `line ${i.line}, column ${i.column}${i.path ? ` (${i.path})` : ''}: ${i.message}`).join('; ')}`);
    this.name = 'DirectoryError';
    this.source = source;
    this.issues = issues;
  }
}

/**
 * Reads a directory file: YAML syntax first, then the shape (users, routes, unaddressed), then
 * what the shape cannot say (unique ids, DIDs and mailboxes; routes naming existing users;
 * patterns that compile). Every problem is reported with its line, so an admin can fix the file
 * in one go; nothing is partly applied.
 */
export function parseDirectory(text: string, source = 'directory'): Directory {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new DirectoryError(source, doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { line: pos.line, column: pos.col, path: '', message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') };
    }));
  }
  const at = (path: Array<string | number>, message: string): DirectoryIssue => {
    const { line, col } = locate(doc, lineCounter, path);
    return { line, column: col, path: formatPath(path), message };
  };
  const raw = (doc.toJS() ?? {}) as unknown;
  const parsed = directorySchema.safeParse(raw);
  // Every problem at once: the checks the shape cannot express run even when the shape is
  // wrong, on whatever entries are readable, so one fix-and-reload round is enough.
  const issues: DirectoryIssue[] = parsed.success ? [] : parsed.error.issues.map((i) => at(i.path as Array<string | number>, i.message));
  const loose = (parsed.success ? parsed.data : raw) as { users?: unknown; routes?: unknown };
  const users = Array.isArray(loose.users) ? (loose.users as Array<Record<string, unknown> | null>) : [];
  const routes = Array.isArray(loose.routes) ? (loose.routes as Array<Record<string, unknown> | null>) : [];
  const seen = { id: new Map<string, number>(), did: new Map<string, string>(), mailbox: new Map<string, string>() };
  users.forEach((u, i) => {
    if (!u || typeof u !== 'object') return;
    const id = typeof u.id === 'string' ? u.id : undefined;
    if (id !== undefined) {
      if (seen.id.has(id)) issues.push(at(['users', i, 'id'], `user id "${id}" is already used by users[${seen.id.get(id)}]`));
      else seen.id.set(id, i);
    }
    const dids = Array.isArray(u.dids) ? u.dids : [];
    dids.forEach((d, j) => {
      if (typeof d !== 'string' && typeof d !== 'number') return;
      const key = String(d).replace(/^\+/, '');
      const owner = seen.did.get(key);
      if (owner !== undefined) issues.push(at(['users', i, 'dids', j], `DID ${d} already belongs to user "${owner}"`));
      else seen.did.set(key, id ?? `users[${i}]`);
    });
    if (u.mailbox !== undefined && u.mailbox !== null) {
      const mailbox = String(u.mailbox);
      const owner = seen.mailbox.get(mailbox);
      if (owner !== undefined) issues.push(at(['users', i, 'mailbox'], `mailbox ${mailbox} already belongs to user "${owner}"`));
      else seen.mailbox.set(mailbox, id ?? `users[${i}]`);
    }
  });
  routes.forEach((r, i) => {
    if (!r || typeof r !== 'object') return;
    if (typeof r.user === 'string' && !seen.id.has(r.user)) issues.push(at(['routes', i, 'user'], `no user "${r.user}" in users`));
    const match = (r.match && typeof r.match === 'object' ? r.match : {}) as Record<string, unknown>;
    if (typeof match.csid === 'string') {
      try {
        new RegExp(match.csid, 'i');
      } catch (err) {
        issues.push(at(['routes', i, 'match', 'csid'], `not a regular expression: ${(err as Error).message}`));
      }
    }
    if (typeof match.calling === 'string') {
      try {
        matchesPattern('+10000000000', match.calling);
      } catch (err) {
        issues.push(at(['routes', i, 'match', 'calling'], `not a number pattern: ${(err as Error).message}`));
      }
    }
  });
  if (issues.length || !parsed.success) throw new DirectoryError(source, issues.sort((a, b) => a.line - b.line || a.column - b.column));
  const dir = parsed.data;
  return dir;
}

/** The line of the deepest node of a path that exists (a missing key points at its parent). */
function locate(doc: Document, lc: LineCounter, path: Array<string | number>): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true)) as { range?: [number, number, number] } | null | undefined;
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

function formatPath(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
