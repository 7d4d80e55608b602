import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { Queue, Worker } from 'bullmq';
import './closed-connection-errors.ts';

// A Redis that answers the client's handshake (CLIENT SETNAME, ioredis's ready check) and then
// goes silent: BullMQ's connection is then past ioredis's ready event and waits in init() for
// the INFO it sends to learn the server's version, as when Redis goes away in that instant.
function parseCommands(buf: Buffer): { commands: string[][]; rest: Buffer } {
  const commands: string[][] = [];
  let at = 0;
  const line = (from: number) => { const end = buf.indexOf('\r\n', from); return end < 0 ? null : { text: buf.subarray(from, end).toString(), next: end + 2 }; };
  for (;;) {
    const head = line(at);
    if (!head || head.text[0] !== '*') break;
    const n = Number(head.text.slice(1));
    let p = head.next;
    const args: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = line(p);
      if (!len) return { commands, rest: buf.subarray(at) };
      const size = Number(len.text.slice(1));
      if (buf.length < len.next + size + 2) return { commands, rest: buf.subarray(at) };
      args.push(buf.subarray(len.next, len.next + size).toString());
      p = len.next + size + 2;
    }
    commands.push(args);
    at = p;
  }
  return { commands, rest: buf.subarray(at) };
}

async function redisThatGoesSilent() {
  const sockets = new Set<Socket>();
  let versionQueries = 0;
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let pending = Buffer.alloc(0);
    let infos = 0;
    s.on('data', (chunk) => {
      const { commands, rest } = parseCommands(Buffer.concat([pending, chunk]));
      pending = Buffer.from(rest);
      for (const [name] of commands) {
        const cmd = name.toLowerCase();
        if (cmd === 'info' && infos++ === 0) {
          const body = 'redis_version:7.0.15\r\nloading:0\r\n';
          s.write(`$${Buffer.byteLength(body)}\r\n${body}\r\n`);
        } else if (cmd === 'info') {
          versionQueries++;
        } else {
          s.write('+OK\r\n');
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    port,
    /** Waits until n connections asked for the version and got no answer. */
    async waitForVersionQueries(n: number) {
      const deadline = Date.now() + 5_000;
      while (versionQueries < n) {
        if (Date.now() > deadline) throw new Error(`only ${versionQueries} of ${n} connections asked for the Redis version in 5 s (${sockets.size} connected)`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async waitForConnections(n: number) {
      const deadline = Date.now() + 5_000;
      while (sockets.size < n) {
        if (Date.now() > deadline) throw new Error(`only ${sockets.size} of ${n} connections reached the server in 5 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() { for (const s of sockets) s.destroy(); server.close(); },
  };
}

async function collectUnhandled(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', onRejection);
  try {
    await body();
    // The rejection of init() follows the socket's close event: give it a few turns to surface.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    process.off('unhandledRejection', onRejection);
  }
  return seen;
}

test('a queue closed before its connection finished starting leaves no unhandled rejection', async () => {
  const server = await redisThatGoesSilent();
  try {
    const seen = await collectUnhandled(async () => {
      const q = new Queue('closing-early', { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
      q.on('error', () => {});
      await server.waitForVersionQueries(1);
      await q.close();
    });
    assert.deepEqual(seen.map((e) => (e as Error).message), []);
  } finally {
    await server.close();
  }
});

test('a worker closed before its connections finished starting leaves no unhandled rejection', async () => {
  const server = await redisThatGoesSilent();
  try {
    const seen = await collectUnhandled(async () => {
      const w = new Worker('closing-early', async () => {}, { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null }, autorun: false });
      w.on('error', () => {});
      // The worker's own connection and its blocking connection.
      await server.waitForVersionQueries(2);
      await w.close(true);
    });
    assert.deepEqual(seen.map((e) => (e as Error).message), []);
  } finally {
    await server.close();
  }
});

test('an open connection with no error listener still throws: a forgotten handler is not hidden', async () => {
  const server = await redisThatGoesSilent();
  const q = new Queue('open-connection', { connection: { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null } });
  q.on('error', () => {});
  try {
    await server.waitForConnections(1);
    const connection = (q as unknown as { connection: import('node:events').EventEmitter }).connection;
    const listeners = connection.listeners('error');
    connection.removeAllListeners('error');
    assert.throws(() => connection.emit('error', new Error('boom')), /boom/);
    for (const l of listeners) connection.on('error', l as (...a: unknown[]) => void);
  } finally {
    await q.close();
    await server.close();
  }
});
