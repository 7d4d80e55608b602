import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DirectorySync } from './directory-sync.ts';

/**
 * Files faxgate keeps (raw messages, rendered faxes) under the data directory. Writes are
 * atomic and durable (temporary file, fsync, rename) so that a job pointing at a key never
 * finds half a file, even after a crash.
 */
export class BlobStore {
  readonly root: string;
  /** One per store, so that writers committing into the same directory share its fsyncs. */
  private readonly directories = new DirectorySync();
  constructor(root: string) {
    this.root = resolve(root);
  }

  path(key: string): string {
    if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(key) || key.includes('..')) throw new Error(`invalid blob key "${key}"`);
    return join(this.root, key);
  }

  async put(key: string, data: Uint8Array | string): Promise<string> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'w', 0o640);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    return target;
  }

  /**
   * A blob written piece by piece (a message as it streams in), never held whole in memory.
   * Nothing is visible under the key until commit(): the same temporary file, fsync and rename
   * as put(), then an fsync of the directory. abort() removes what was written.
   */
  async writer(key: string): Promise<BlobWriter> {
    const target = this.path(key);
    const tmp = `${target}.${randomBytes(4).toString('hex')}.tmp`;
    let fh: FileHandle;
    try {
      fh = await open(tmp, 'w', 0o640);
    } catch (err) {
      // The directory exists after the first blob written into it: a mkdir for every message
      // was a system call per mail for nothing (issue 18). It is made when the open finds it
      // missing (the first write, or after an operator removed it).
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(target), { recursive: true });
      fh = await open(tmp, 'w', 0o640);
    }
    return new BlobWriter(fh, tmp, target, this.directories);
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.path(key));
      return true;
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  /** Removes a key and everything under it (a fax's rendered pages); true when something was there. */
  async deleteTree(key: string): Promise<boolean> {
    const there = await this.exists(key);
    await rm(this.path(key), { recursive: true, force: true });
    return there;
  }

  /**
   * The entries of a directory of the store with their modification time, for retention:
   * temporary files of writes in progress are left out. An absent directory lists as empty.
   */
  async list(dir: string): Promise<BlobEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.path(dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const out: BlobEntry[] = [];
    for (const name of names) {
      if (name.endsWith('.tmp')) continue;
      try {
        const st = await stat(join(this.path(dir), name));
        out.push({ key: `${dir}/${name}`, name, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() });
      } catch {
        // Removed between readdir and stat: nothing to list.
      }
    }
    return out;
  }
}

/** One entry of BlobStore.list(). */
export interface BlobEntry {
  key: string;
  name: string;
  mtimeMs: number;
  isDirectory: boolean;
}

/** A blob being written; see BlobStore.writer(). */
export class BlobWriter {
  private fh: FileHandle | undefined;
  private readonly tmp: string;
  private readonly directories: DirectorySync;
  /** Where the blob is once committed. */
  readonly path: string;
  bytes = 0;

  constructor(fh: FileHandle, tmp: string, target: string, directories: DirectorySync) {
    this.fh = fh;
    this.tmp = tmp;
    this.path = target;
    this.directories = directories;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (!this.fh) throw new Error('blob writer is closed');
    await this.fh.write(chunk);
    this.bytes += chunk.length;
  }

  /** Makes the blob durable and visible under its key; returns its path. */
  async commit(): Promise<string> {
    const { placed, durable } = this.commitInStages();
    placed.catch(() => {}); // durable rejects with the same error
    return durable;
  }

  /**
   * commit() in its two stages. `placed`: the bytes are fsynced and the file is renamed to its
   * key (a reader finds it whole). `durable`: then its directory is fsynced too, so the name
   * survives a power cut (fsync(2): "Calling fsync() does not necessarily ensure that the entry
   * in the directory containing the file has also reached disk"). A caller that only has to
   * point at the blob (a fax record naming the message) may start on `placed` and await
   * `durable` before it reports success: the directory fsync then runs beside that work, which
   * measured about 40 % of ingest's accept rate when it ran after it (docs/performance.md).
   * Both reject when any stage fails.
   */
  commitInStages(): { placed: Promise<string>; durable: Promise<string> } {
    const fh = this.fh;
    const placed = (async () => {
      if (!fh) throw new Error('blob writer is closed');
      this.fh = undefined;
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(this.tmp, this.path);
      return this.path;
    })();
    const durable = placed.then(async (path) => {
      await this.directories.sync(dirname(path));
      return path;
    });
    return { placed, durable };
  }

  /** Removes what was written; safe to call more than once and after commit() failed. */
  async abort(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => {});
    await rm(this.tmp, { force: true });
  }
}

/** Where each kind of file lives: one place for the key layout. */
export const blobKeys = {
  message: (faxId: string) => `messages/${faxId}.eml`,
  recipientDocument: (faxId: string, recipient: number) => `faxes/${faxId}/r${recipient}.tif`,
  /** Every rendered page file of a fax. */
  renderedFax: (faxId: string) => `faxes/${faxId}`,
  /** A mail to postmaster; also where it stays when no FAXGATE_POSTMASTER is set. */
  postmasterMail: (id: string) => `postmaster/${id}.eml`,
};
