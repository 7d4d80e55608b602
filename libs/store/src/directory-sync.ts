import { open } from 'node:fs/promises';

/**
 * fsyncs a directory (for BlobWriter.commit), so that a file renamed into it is found after a power cut: fsync of the
 * file makes its bytes durable, not its new name (fsync(2): "Calling fsync() does not
 * necessarily ensure that the entry in the directory containing the file has also reached
 * disk. For that an explicit fsync() on a file descriptor for the directory is also needed").
 *
 * Group commit: a caller that arrives while an fsync of the directory runs cannot count on it
 * (it may have started before the caller's rename), so it waits for the next one, which it
 * shares with everyone else who arrived meanwhile. Under load one fsync serves many messages.
 */
export class DirectorySync {
  private readonly dirs = new Map<string, { running?: Promise<void>; next?: Promise<void> }>();

  sync(dir: string): Promise<void> {
    let s = this.dirs.get(dir);
    if (!s) this.dirs.set(dir, (s = {}));
    const state = s;
    if (!state.running) {
      state.running = fsyncDirectory(dir).finally(() => {
        state.running = undefined;
        if (!state.next) this.dirs.delete(dir);
      });
      return state.running;
    }
    state.next ??= state.running.catch(() => {}).then(() => {
      state.next = undefined;
      return this.sync(dir);
    });
    return state.next;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
