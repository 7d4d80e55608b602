import { SerialPort } from 'serialport';
import type { ByteLink } from './byte-link.ts';

/**
 * Opens a modem device (a USB/serial modem's tty, or a software modem's pty) with the
 * `serialport` package. 8N1; the baud rate matters only on real serial lines. No flow control
 * is set: a pty refuses the modem-control ioctls (DTR/RTS), so hang-up is by ATH, not DTR.
 */
export async function openSerialLink(path: string, baudRate = 115_200): Promise<ByteLink> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${path}: ${err.message}`)) : resolve())));
  const closeListeners: ((err?: Error) => void)[] = [];
  let closed = false;
  let lastError: Error | undefined;
  port.on('error', (err: Error) => {
    lastError = err;
  });
  port.on('close', (err?: Error) => {
    if (closed) return;
    closed = true;
    for (const l of closeListeners) l(err ?? lastError);
  });
  return {
    write: (data) => {
      port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
    onData: (listener) => {
      port.on('data', (d: Buffer) => listener(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    },
    onClose: (listener) => {
      closeListeners.push(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
