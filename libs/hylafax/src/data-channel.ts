import { connect, type Socket } from 'node:net';
import { HylafaxConnectionError, HylafaxProtocolError, HylafaxTimeoutError } from './errors.ts';
import type { Reply } from './reply-parser.ts';

/**
 * RFC 959 §4.1.2 PASV: the reply carries h1,h2,h3,h4,p1,p2; the port is p1*256+p2. Only the port
 * is taken: the data connection goes to the address the control connection reached, which also
 * holds behind NAT and never lets a server steer the client to a third host.
 */
export function parsePassivePort(reply: Reply): number {
  const m = /\((\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\)/.exec(reply.text);
  if (reply.code !== 227 || !m) throw new HylafaxProtocolError('PASV', reply.code, reply.text);
  const port = Number(m[5]) * 256 + Number(m[6]);
  if (port < 1 || port > 65535) throw new HylafaxProtocolError('PASV', reply.code, reply.text);
  return port;
}

/** Connects the data connection; it is open before the transfer command is sent. */
export function openDataSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new HylafaxTimeoutError(`a data connection to ${host}:${port}`, timeoutMs));
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new HylafaxConnectionError(`cannot open data connection to ${host}:${port}: ${err.code ?? err.message}`, err.code, err));
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      // A connection can wait unused for a later transfer; its errors surface when it is used.
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}

/**
 * Collects everything the server sends until it closes the data connection (RFC 959 stream mode:
 * end of file is the close). `idleMs` bounds the silence between chunks, not the whole transfer.
 */
export function readAll(socket: Socket, what: string, idleMs: number): Promise<Buffer> {
  // An empty transfer (an empty listing) can end before anyone listens: Node emits 'end' for a
  // stream that closed with nothing buffered, and would never emit it again.
  if (socket.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (socket.destroyed) return Promise.reject(new HylafaxConnectionError(`data connection for ${what} was closed before its data`));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let timer = setTimeout(onIdle, idleMs);
    function onIdle() {
      socket.destroy();
      reject(new HylafaxTimeoutError(`the data of ${what}`, idleMs));
    }
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      clearTimeout(timer);
      timer = setTimeout(onIdle, idleMs);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new HylafaxConnectionError(`data connection for ${what} failed: ${err.message}`, err.code, err));
    });
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Sends `data` and closes the data connection, which marks the end of the file (stream mode). */
export function writeAll(socket: Socket, data: Uint8Array, what: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new HylafaxTimeoutError(`the upload of ${what}`, timeoutMs));
    }, timeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new HylafaxConnectionError(`data connection for ${what} failed: ${err.message}`, err.code, err));
    });
    socket.end(data, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
