// Issue 17, "no page twice": a page the far machine confirmed (MCF, T.30 §5.3.6.2.7) is on its
// paper, so its record must leave the node in the same turn, however slowly Redis answers. The
// node's Redis traffic goes through a relay that passes every request at once but holds the
// reply to each confirmed page's write for longer than a page takes, as a Redis restarting or
// loaded does. A node that chained each page's write after the previous page's reply still had
// page 3's write waiting when the remote printed page 3 (chaos run: page 3 printed twice); the
// node is killed right then, and the next attempt must not print any page again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { DestinationGate } from '@faxgate/destinations';
import { BatchClaims, simPrintedKey } from '@faxgate/node';
import { makePdf, startRoleProcess, waitUntil, type RoleProcess } from '@faxgate/testkit';
import { mailFax } from './mail-fax.ts';
import { useSimKillBed } from './sim-kill-bed.ts';

/** Where the RESP value starting at `off` ends, or -1 while it is incomplete (RESP2). */
function respEnd(buf: Buffer, off: number): number {
  if (off >= buf.length) return -1;
  const eol = buf.indexOf('\r\n', off);
  if (eol < 0) return -1;
  const type = String.fromCharCode(buf[off]);
  if (type === '+' || type === '-' || type === ':') return eol + 2;
  const n = Number(buf.toString('latin1', off + 1, eol));
  if (type === '$') {
    if (n < 0) return eol + 2;
    const end = eol + 2 + n + 2;
    return end <= buf.length ? end : -1;
  }
  if (type === '*') {
    let p = eol + 2;
    for (let i = 0; i < n; i++) {
      p = respEnd(buf, p);
      if (p < 0) return -1;
    }
    return p;
  }
  throw new Error(`unexpected RESP type ${JSON.stringify(type)} at ${off}`);
}

/** A client's command (an array of bulk strings) as strings. */
function respCommand(buf: Buffer, off: number, end: number): string[] {
  const args: string[] = [];
  let p = buf.indexOf('\r\n', off) + 2;
  while (p < end) {
    const eol = buf.indexOf('\r\n', p);
    const n = Number(buf.toString('latin1', p + 1, eol));
    args.push(buf.toString('latin1', eol + 2, eol + 2 + n));
    p = eol + 2 + n + 2;
  }
  return args;
}

const isPageWrite = (args: string[]) => args[0]?.toUpperCase() === 'HSET' && args.some((a, i) => a === 'pagesSent' && args[i + 1] !== '0');

/**
 * A relay between the node and Redis: requests go on at once (Redis applies them), replies come
 * back in order, but the reply to a confirmed page's write (HSET … pagesSent n) and every reply
 * behind it on that connection wait `holdMs`. `onCommand` sees each request as it is forwarded.
 */
async function startSlowReplyRelay(redisPort: number, holdMs: number, onCommand: (args: string[]) => void) {
  const sockets = new Set<Socket>();
  const seen: string[] = [];
  let cut = false;
  const server = createServer((client) => {
    const upstream = createConnection({ port: redisPort, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    let requests = Buffer.alloc(0);
    let replies = Buffer.alloc(0);
    const pending: string[][] = [];
    const out: Array<{ data: Buffer; due: number }> = [];
    let lastDue = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (cut) return void (out.length = 0);
      while (out.length && out[0].due <= Date.now()) client.write(out.shift()!.data);
      if (out.length) timer = setTimeout(flush, out[0].due - Date.now());
    };
    client.on('data', (d: Buffer) => {
      upstream.write(d);
      requests = Buffer.concat([requests, d]);
      let end;
      while ((end = respEnd(requests, 0)) > 0) {
        const args = respCommand(requests, 0, end);
        requests = requests.subarray(end);
        pending.push(args);
        seen.push(`${Date.now() % 100_000} ${args.slice(0, 4).map((a) => a.slice(-40)).join(' ')}`);
        if (seen.length > 40) seen.shift();
        onCommand(args);
      }
    });
    upstream.on('data', (d: Buffer) => {
      replies = Buffer.concat([replies, d]);
      let end;
      while ((end = respEnd(replies, 0)) > 0) {
        const cmd = pending.shift() ?? [];
        const due = Math.max(Date.now() + (isPageWrite(cmd) ? holdMs : 0), lastDue);
        lastDue = due;
        out.push({ data: replies.subarray(0, end), due });
        replies = replies.subarray(end);
      }
      if (!timer) flush();
    });
    // What the client wrote before it died still reaches Redis.
    client.on('close', () => upstream.end());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    /** No more replies to the node (it is being killed). */
    cut: () => void (cut = true),
    /** The last requests seen, for the failure message. */
    seen: () => seen.join('\n'),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const bed = useSimKillBed('slow-redis');

// Two or three `faxgate run` processes start in this test: on a loaded machine each can take
// most of a minute before /readyz answers, so the file's 120 s default is not enough.
test('Redis slow to answer, node killed as page 3 is printed: the record had page 3, the next attempt prints no page twice', { timeout: 240_000 }, async () => {
  const gw = await bed.open();
  const { smtpPort, prefix, env, procs, client, records } = gw;
  const { redis, sink, dir } = bed;
  // A page takes about half a second at time scale 0.25; the reply to a page's write is held
  // 8 s, far longer, and the kill comes at most 1 s after page 3 was printed, well before the
  // held reply of page 2's write could let a chained write of page 3 go.
  const holdMs = 8000;
  let killed: Promise<void> | undefined;
  let killedBy = '';
  let page3PrintedAt = 0;
  let node1!: RoleProcess;
  const kill = (why: string) => {
    if (killed) return;
    killedBy = why;
    relay.cut();
    killed = node1.kill9();
  };
  const relay = await startSlowReplyRelay(redis.port, holdMs, (args) => {
    const cmd = args[0]?.toUpperCase();
    if (cmd === 'HINCRBY' && args[1]?.includes(':sim:printed:') && args[2] === '3') {
      page3PrintedAt = Date.now();
      // A node that records page 3 in the MCF's turn has its write on the wire now; give the
      // other kind a second to show it would not, then kill it. The kill waits for the check
      // phase: Node runs an expired timer before it reads the sockets, and after this process
      // stalled (load) the write could be waiting unread.
      setTimeout(() => setImmediate(() => kill('1 s after page 3 was printed, no write of page 3 seen')), 1000);
    }
    if (page3PrintedAt && isPageWrite(args) && args[args.indexOf('pagesSent') + 1] === '3') kill('the write of page 3 seen');
  });
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    node1 = await startRoleProcess(['node'], { ...env, FAXGATE_REDIS_URL: `redis://127.0.0.1:${relay.port}`, FAXGATE_SIM_TIME_SCALE: '0.25' });
    procs.push(node1);
    await core.ready();
    await node1.ready();

    const faxId = await mailFax(smtpPort, { to: '12125550310@fax.test', subject: 'slow redis', pdf: await makePdf(dir.path, 4, 'Slow Redis') });
    await waitUntil('the node to be killed once page 3 was printed', () => killedBy || undefined, 120_000, 20).catch((err) => {
      throw new Error(`${(err as Error).message}\n${node1.output().slice(-3000)}`);
    });
    await killed;
    // The requests before a kill that found no write of page 3 show what the node did instead.
    process.stdout.write(`# node killed: ${killedBy}\n${killedBy.startsWith('1 s') ? `# last requests:\n${relay.seen()}\n` : ''}`);

    const node2 = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '0.01' });
    procs.push(node2);
    await node2.ready();
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}\n--- core ---\n${core.output().slice(-3000)}`);
    });
    assert.match(mail.parsed.subject ?? '', /sent: 5 pages/);

    const printed = await client.hgetall(simPrintedKey(prefix, `${faxId}-r0-a1`));
    const view = await records.view(faxId);
    const detail = JSON.stringify(view?.recipients[0].attemptsDetail);
    assert.deepEqual(printed, { 1: '1', 2: '1', 3: '1', 4: '1', 5: '1' }, `each page printed once; attempts: ${detail}`);
    const [a1, a2] = view!.recipients[0].attemptsDetail;
    assert.equal(a1.interrupted, true, detail);
    assert.equal(a1.pagesSent, 3, `the killed attempt's record has the page printed as it died: ${detail}`);
    assert.equal(a2.fromPage, 4, detail);
  } finally {
    await gw.end();
    await relay.close();
  }
});

// The same in a batched call (two faxes to one number, T.30 EOM between them): the second fax's
// attempt starts at the boundary (its record read, then written) and from then on each of its
// confirmed pages is written in the MCF's turn too. Killed as its page 3 is printed, neither fax
// prints a page twice. Three `faxgate run` processes and a call of ten pages whose every page
// waits for a held reply: more than the file's 120 s on a loaded machine.
test('Redis slow to answer, batched call, node killed as the second fax\'s page 3 is printed: no page printed twice', { timeout: 300_000 }, async () => {
  const gw = await bed.open();
  const { smtpPort, prefix, env, procs, client, records } = gw;
  const { redis, sink, dir } = bed;
  const number = '+12125550340';
  const gate = new DestinationGate(client, prefix);
  const claims = new BatchClaims(client, prefix);
  // A page takes about half a second at time scale 0.25 and phase B before the second document
  // 1.5 s; a page's write is answered 4 s late.
  const holdMs = 4000;
  let killed: Promise<void> | undefined;
  let killedBy = '';
  let firstPrinted: string | undefined;
  let memberPage3: string | undefined;
  let node1!: RoleProcess;
  const kill = (why: string) => {
    if (killed) return;
    killedBy = why;
    relay.cut();
    killed = node1.kill9();
  };
  const relay = await startSlowReplyRelay(redis.port, holdMs, (args) => {
    const cmd = args[0]?.toUpperCase();
    const at = args[1]?.indexOf(':sim:printed:') ?? -1;
    if (cmd === 'HINCRBY' && at >= 0) {
      const fax = args[1].slice(at + ':sim:printed:'.length).replace(/-r0$/, '');
      firstPrinted ??= fax;
      if (fax !== firstPrinted && args[2] === '3' && !memberPage3) {
        memberPage3 = fax;
        setTimeout(() => setImmediate(() => kill('1 s after the second fax\'s page 3 was printed, no write of it seen')), 1000);
      }
    }
    if (memberPage3 && isPageWrite(args) && args[1].endsWith(`:rec:fax:${memberPage3}:r:0:a:1`) && args[args.indexOf('pagesSent') + 1] === '3') kill('the write of the second fax\'s page 3 seen');
  });
  try {
    const core = await startRoleProcess(['ingest', 'render', 'dispatch', 'notifier'], env);
    procs.push(core);
    node1 = await startRoleProcess(['node'], { ...env, FAXGATE_REDIS_URL: `redis://127.0.0.1:${relay.port}`, FAXGATE_SIM_TIME_SCALE: '0.25' });
    procs.push(node1);
    await core.ready();
    await node1.ready();

    // Another call holds the number while both faxes arrive, so its next call takes both.
    assert.ok(await gate.acquire(number, 'test-holds-the-number', 1, 300_000));
    const send = async (from: string, subject: string) => mailFax(smtpPort, { from, to: `${number.slice(1)}@fax.test`, subject, pdf: await makePdf(dir.path, 4, subject) });
    const faxes = [await send('ann@example.com', 'Slow batch one'), await send('bob@example.com', 'Slow batch two')];
    await waitUntil('both faxes to wait for the number', async () => (await claims.waiting(number, 60_000)).length === 2, 120_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${core.output().slice(-3000)}\n${node1.output().slice(-3000)}`);
    });
    await gate.release(number, 'test-holds-the-number');
    await waitUntil('the node to be killed once the second fax\'s page 3 was printed', () => killedBy || undefined, 150_000, 20).catch((err) => {
      throw new Error(`${(err as Error).message}\n${node1.output().slice(-3000)}`);
    });
    await killed;
    process.stdout.write(`# node killed: ${killedBy}\n`);
    const member = memberPage3!;
    const lead = faxes.find((id) => id !== member)!;

    const node2 = await startRoleProcess(['node'], { ...env, FAXGATE_SIM_TIME_SCALE: '0.01' });
    procs.push(node2);
    await node2.ready();
    await Promise.all(faxes.map((id) => sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === id, 120_000))).catch((err) => {
      throw new Error(`${(err as Error).message}\n--- node ---\n${node2.output().slice(-3000)}\n--- core ---\n${core.output().slice(-3000)}`);
    });
    const detail = JSON.stringify(await Promise.all(faxes.map(async (id) => (await records.view(id))?.recipients[0].attemptsDetail)));
    for (const id of faxes) {
      const printed = await client.hgetall(simPrintedKey(prefix, `${id}-r0-a1`));
      assert.deepEqual(printed, { 1: '1', 2: '1', 3: '1', 4: '1', 5: '1' }, `${id === lead ? 'first' : 'second'} fax: each page printed once; attempts: ${detail}`);
    }
    const [m1, m2] = (await records.view(member))!.recipients[0].attemptsDetail;
    assert.equal(m1.batchedIn, `${lead}-r0-a1`, `the second fax was in the first one's call: ${detail}`);
    assert.equal(m1.interrupted, true, detail);
    assert.equal(m1.pagesSent, 3, `the second fax's attempt has the page printed as the node died: ${detail}`);
    assert.equal(m2.fromPage, 4, detail);
  } finally {
    await gw.end();
    await relay.close();
  }
});
