import { open, readFile, rename, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { parseDocument, isMap, isScalar, isSeq, type Document } from 'yaml';
import { DirectoryError, parseDirectory } from './directory-parse.ts';
import { userSchema, routeSchema, type Directory, type DirectoryUserInput, type RouteRuleInput } from './directory-schema.ts';

/** An edit the directory refuses: HTTP status and a sentence (and the issues of a bad result). */
export class DirectoryEditError extends Error {
  readonly status: number;
  readonly issues: unknown[];
  constructor(status: number, message: string, issues: unknown[] = []) {
    super(message);
    this.name = 'DirectoryEditError';
    this.status = status;
    this.issues = issues;
  }
}

const STARTER = '# faxgate directory: who receives which fax (see docs/inbound.md)\nunaddressed: postmaster@localhost\nusers: []\nroutes: []\n';

/**
 * Edits of the directory file for the console API and the CLI. Each edit reads the file, changes
 * the YAML document in place (comments and layout stay), checks the whole result with the same
 * parser the inbound role uses, and replaces the file atomically (temporary file, fsync,
 * rename), so a reader sees the old file or the new one, never half of one. Edits are
 * serialised within the process and across processes by a lock file beside the directory.
 */
export class DirectoryEditor {
  readonly path: string;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
  }

  async read(): Promise<{ directory: Directory; version: string }> {
    const text = await this.text();
    return { directory: parseDirectory(text, this.path), version: hash(text) };
  }

  addUser(input: unknown, replace: boolean): Promise<string> {
    return this.edit((doc, dir) => {
      const user = check(userSchema, input, 'user');
      const i = dir.users.findIndex((u) => u.id === user.id);
      if (i >= 0 && !replace) throw new DirectoryEditError(409, `user "${user.id}" exists (use PUT /api/v1/users/${user.id} to replace it)`);
      const node = compactFlow(doc.createNode(compactUser(input as DirectoryUserInput)));
      if (i >= 0) doc.setIn(['users', i], node);
      else seq(doc, 'users').items.push(node);
    });
  }

  removeUser(id: string): Promise<string> {
    return this.edit((doc, dir) => {
      const i = dir.users.findIndex((u) => u.id === id);
      if (i < 0) throw new DirectoryEditError(404, `no user "${id}"`);
      const used = dir.routes.map((r, j) => (r.user === id ? j : -1)).filter((j) => j >= 0);
      if (used.length) throw new DirectoryEditError(409, `user "${id}" is named by routes ${used.map((j) => `[${j}]`).join(', ')}: remove those routes first`);
      doc.deleteIn(['users', i]);
    });
  }

  /** Inserts a route at `position` (default: the end); positions count from 0. */
  addRoute(input: unknown, position?: number): Promise<string> {
    return this.edit((doc, dir) => {
      check(routeSchema, input, 'route');
      const items = seq(doc, 'routes').items;
      const at = position === undefined ? items.length : position;
      if (!Number.isInteger(at) || at < 0 || at > dir.routes.length) throw new DirectoryEditError(400, `position must be 0..${dir.routes.length}`);
      items.splice(at, 0, compactFlow(doc.createNode(input as RouteRuleInput)));
    });
  }

  removeRoute(index: number): Promise<string> {
    return this.edit((doc, dir) => {
      if (!Number.isInteger(index) || index < 0 || index >= dir.routes.length) throw new DirectoryEditError(404, `no route [${index}] (there are ${dir.routes.length})`);
      doc.deleteIn(['routes', index]);
    });
  }

  setUnaddressed(emails: string[]): Promise<string> {
    return this.edit((doc) => {
      doc.set('unaddressed', emails.length === 1 ? emails[0] : emails);
    });
  }

  /** Applies one change and writes the file; resolves with the new file's version. */
  private edit(change: (doc: Document, dir: Directory) => void): Promise<string> {
    const run = this.chain.then(() => this.locked(async () => {
      const text = await this.text();
      let before: Directory;
      try {
        before = parseDirectory(text, this.path);
      } catch (err) {
        throw new DirectoryEditError(409, `the directory file is invalid; fix it before editing through the API: ${(err as Error).message}`, (err as DirectoryError).issues ?? []);
      }
      const doc = parseDocument(text);
      change(doc, before);
      const next = doc.toString();
      try {
        parseDirectory(next, this.path);
      } catch (err) {
        if (err instanceof DirectoryError) throw new DirectoryEditError(400, `the directory would become invalid: ${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, err.issues);
        throw err;
      }
      await writeAtomic(this.path, next);
      return hash(next);
    }));
    this.chain = run.catch(() => {});
    return run;
  }

  private async text(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return STARTER;
      throw err;
    }
  }

  /** A lock file (O_EXCL) so two console replicas never interleave read-modify-write. */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = `${this.path}.lock`;
    await mkdir(dirname(this.path), { recursive: true });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        const fh = await open(lock, 'wx');
        await fh.writeFile(`${process.pid}\n`);
        await fh.close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        // A holder that died leaves its lock: after the deadline it is taken over.
        if (Date.now() > deadline) {
          await rm(lock, { force: true });
          continue;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
    }
  }
}

function check<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new DirectoryEditError(400, `invalid ${what}: ${r.error.issues.map((i) => `${i.path.map(String).join('.') || what}: ${i.message}`).join('; ')}`, r.error.issues);
  return r.data;
}

/** The user as written in the file: only the keys given, in the file's usual order. */
function compactUser(u: DirectoryUserInput): Record<string, unknown> {
  const out: Record<string, unknown> = { id: u.id };
  if (u.name) out.name = u.name;
  out.emails = u.emails;
  if (u.format) out.format = u.format;
  if (u.dids?.length) out.dids = u.dids.map(String);
  if (u.mailbox !== undefined) out.mailbox = String(u.mailbox);
  if (u.phone !== undefined) out.phone = String(u.phone);
  if (u.fax !== undefined) out.fax = String(u.fax);
  return out;
}

/** Lists of addresses and numbers, and a route's match, on one line as people write them. */
function compactFlow<T>(node: T): T {
  if (isMap(node)) {
    for (const pair of node.items) {
      const v = pair.value;
      if ((isSeq(v) && v.items.every((i) => isScalar(i))) || (isMap(v) && v.items.every((i) => isScalar(i.value)))) v.flow = true;
    }
  }
  return node;
}

function seq(doc: Document, key: string) {
  let node = doc.get(key, true);
  if (!isSeq(node)) {
    node = doc.createNode([]);
    doc.set(key, node);
  }
  if (!isSeq(node)) throw new Error(`${key} is not a list`);
  // A flow `[]` would keep new entries on one line; block style reads better in the file.
  node.flow = false;
  return node;
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
