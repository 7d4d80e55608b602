import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { DirectoryError, parseDirectory, type DirectoryIssue } from './directory-parse.ts';
import type { Directory } from './directory-schema.ts';

export interface LoadedDirectory {
  directory: Directory;
  /** sha256 of the file's text: what the API returns after an edit, and /status shows. */
  version: string;
  loadedAt: string;
  /** True when no file existed and the built-in empty directory is in use. */
  builtIn: boolean;
}

export interface DirectoryStatus {
  path: string;
  active: Omit<LoadedDirectory, 'directory'> & { users: number; routes: number };
  /** The last file that was refused; the directory before it stays active. */
  rejected?: { at: string; version: string; message: string; issues: DirectoryIssue[] };
}

/**
 * The directory file as the inbound role uses it: loaded at start (a bad file stops the start),
 * then reloaded whenever it changes. Three ways notice a change, because each misses some:
 * fs.watch on the file's folder (fast; sees atomic renames, but not on every file system),
 * polling the file's mtime and size (network volumes, ConfigMaps), and `fresh()` before each
 * routing decision (so a fax routed after an API edit returned always sees that edit). A file
 * that does not parse is refused with its line and reason, and the previous directory stays.
 */
export class DirectorySource {
  readonly path: string;
  private readonly log: Logger;
  private readonly pollMs: number;
  /** Read when it is needed: the runtime settings may change it while the role runs. */
  private readonly fallbackUnaddressed: () => string;
  private loaded!: LoadedDirectory;
  private stamp = '';
  private rejected: DirectoryStatus['rejected'];
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private reloading: Promise<void> | undefined;
  private listeners: Array<(d: LoadedDirectory) => void> = [];

  private readonly watchFolder: boolean;

  constructor(o: { path: string; log: Logger; pollMs: number; fallbackUnaddressed: string | (() => string); watch?: boolean }) {
    this.watchFolder = o.watch ?? true;
    this.path = o.path;
    this.log = o.log;
    this.pollMs = o.pollMs;
    const fallback = o.fallbackUnaddressed;
    this.fallbackUnaddressed = typeof fallback === 'string' ? () => fallback : fallback;
  }

  /** Loads the file; throws DirectoryError when it is present but bad. */
  async load(): Promise<void> {
    const r = await this.read();
    if (r === undefined) {
      this.loaded = this.builtIn();
      this.log.warn({ path: this.path, unaddressed: this.fallbackUnaddressed() }, 'no directory file: every received fax goes to the unaddressed mailbox until one is written');
      return;
    }
    this.loaded = { directory: parseDirectory(r.text, this.path), version: r.version, loadedAt: new Date().toISOString(), builtIn: false };
    this.stamp = r.stamp;
    this.log.info({ path: this.path, version: r.version.slice(0, 12), users: this.loaded.directory.users.length, routes: this.loaded.directory.routes.length }, 'directory loaded');
  }

  start(): void {
    if (this.watchFolder) try {
      // The folder, not the file: an atomic rename replaces the file's inode, which a watch on
      // the file itself would stop seeing.
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, name) => {
        if (name && name.toString() !== basename(this.path)) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => void this.fresh(), 150);
      });
      this.watcher.on('error', (err) => this.log.warn({ err: err.message }, 'directory watch failed; polling only'));
    } catch (err) {
      this.log.warn({ err: (err as Error).message, path: this.path }, 'cannot watch the directory file; polling only');
    }
    this.poller = setInterval(() => void this.fresh(), this.pollMs);
    this.poller.unref();
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
  }

  /** The active directory, without looking at the file. */
  get current(): LoadedDirectory {
    return this.withFallback();
  }

  /** The active directory after reloading the file if it changed since it was last read. */
  async fresh(): Promise<LoadedDirectory> {
    while (this.reloading) await this.reloading;
    const stamp = await this.fileStamp();
    if (stamp !== this.stamp) {
      this.reloading = this.reload().finally(() => (this.reloading = undefined));
      await this.reloading;
    }
    return this.withFallback();
  }

  /**
   * Without a file, the unaddressed mailbox is the fallback of the moment (FAXGATE_INBOUND_UNADDRESSED
   * or postmaster@ the first fax domain, both runtime settings): rebuilt when it changed.
   */
  private withFallback(): LoadedDirectory {
    if (this.loaded.builtIn && this.loaded.directory.unaddressed[0] !== this.fallbackUnaddressed()) this.loaded = this.builtIn();
    return this.loaded;
  }

  onReload(fn: (d: LoadedDirectory) => void): void {
    this.listeners.push(fn);
  }

  status(): DirectoryStatus {
    const { directory, ...rest } = this.loaded;
    return { path: this.path, active: { ...rest, users: directory.users.length, routes: directory.routes.length }, ...(this.rejected ? { rejected: this.rejected } : {}) };
  }

  private async reload(): Promise<void> {
    const r = await this.read();
    if (r === undefined) {
      // A file removed by mistake must not silently reroute everything: keep what was loaded.
      this.stamp = '';
      return;
    }
    this.stamp = r.stamp;
    if (r.version === this.loaded.version) {
      // The file is back to what is active (a bad edit undone): nothing is refused any more.
      this.rejected = undefined;
      return;
    }
    if (r.version === this.rejected?.version) return;
    try {
      const directory = parseDirectory(r.text, this.path);
      this.loaded = { directory, version: r.version, loadedAt: new Date().toISOString(), builtIn: false };
      this.rejected = undefined;
      this.log.info({ path: this.path, version: r.version.slice(0, 12), users: directory.users.length, routes: directory.routes.length }, 'directory reloaded');
      for (const fn of this.listeners) fn(this.loaded);
    } catch (err) {
      const issues = err instanceof DirectoryError ? err.issues : [{ line: 1, column: 1, path: '', message: (err as Error).message }];
      this.rejected = { at: new Date().toISOString(), version: r.version, message: (err as Error).message, issues };
      this.log.error({ path: this.path, issues }, `directory file refused, the previous directory stays active: ${(err as Error).message}`);
    }
  }

  private async read(): Promise<{ text: string; version: string; stamp: string } | undefined> {
    try {
      const stamp = await this.fileStamp();
      const text = await readFile(this.path, 'utf8');
      return { text, version: createHash('sha256').update(text).digest('hex'), stamp };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private async fileStamp(): Promise<string> {
    try {
      const s = await stat(this.path);
      return `${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch {
      return '';
    }
  }

  private builtIn(): LoadedDirectory {
    return { directory: { unaddressed: [this.fallbackUnaddressed()], users: [], routes: [] }, version: 'built-in', loadedAt: new Date().toISOString(), builtIn: true };
  }
}
