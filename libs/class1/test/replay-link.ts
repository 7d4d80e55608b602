import type { ByteLink } from '../src/byte-link.ts';

/** Polls a condition every few ms; fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 1_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A byte link whose modem side the test plays: what the channel wrote, and bytes to feed it. */
export function replayLink() {
  const written: string[] = [];
  let onData: (d: Uint8Array) => void = () => {};
  let onClose: (e?: Error) => void = () => {};
  const link: ByteLink = {
    write: (d) => written.push(Buffer.from(d).toString('latin1')),
    onData: (l) => { onData = l; },
    onClose: (l) => { onClose = l; },
    close: async () => onClose(),
  };
  return {
    link,
    written,
    modemSends: (...chunks: (string | number[])[]) => {
      for (const c of chunks) onData(typeof c === 'string' ? Buffer.from(c, 'latin1') : Uint8Array.from(c));
    },
    hangUp: (e?: Error) => onClose(e),
  };
}
