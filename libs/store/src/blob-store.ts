import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Files faxgate keeps (raw messages, rendered faxes) under the data directory. Writes are
 * atomic and durable (temporary file, fsync, rename) so that a job pointing at a key never
 * finds half a file, even after a crash.
 */
export class BlobStore {
  readonly root: string;
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
}

/** Where each kind of file lives: one place for the key layout. */
export const blobKeys = {
  message: (faxId: string) => `messages/${faxId}.eml`,
  recipientDocument: (faxId: string, recipient: number) => `faxes/${faxId}/r${recipient}.tif`,
};
