// What the notifier costs Redis for one broadcast: a fax to N recipients (500 by default), every
// recipient ended with one call and the timeline a real broadcast leaves, then one result-mail
// job per recipient, as dispatch queues them. Measured on a private redis-server (its own
// INFO commandstats, nothing else talks to it): commands, record reads (HGETALL, LRANGE),
// bytes Redis sent, and the wall time until the notify queue is drained and the mails are in
// a real SMTP sink. Run with the broadcast summary (the default) and with one mail per
// recipient. Prints a table; asserts nothing.
//   node bench/notifier-broadcast.bench.ts [recipients]
import { Redis } from 'ioredis';
import { runRoles } from '@faxgate/runtime';
import { startRedis, startSmtpSink, tempDir, testGatewayEnv } from '@faxgate/testkit';
import { newFaxId } from '@faxgate/queue';
import { notifierRole } from '@faxgate/notifier';

const N = Number(process.argv[2] ?? 500);

async function stats(redis: Redis) {
  const info = await redis.info('commandstats');
  const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  const total = [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  const net = Number(/total_net_output_bytes:(\d+)/.exec(await redis.info('stats'))?.[1] ?? 0);
  return { total, hgetall: calls('hgetall'), lrange: calls('lrange'), net };
}

async function run(mode: 'summary' | 'each') {
  const redis = await startRedis();
  const dir = await tempDir('faxgate-bench-notifier');
  const sink = await startSmtpSink();
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url }, { FAXGATE_NOTIFY_BROADCAST: mode, FAXGATE_RESULT_ATTACH_PDF: 'false', FAXGATE_NOTIFY_CONCURRENCY: '4' });
  const gw = await runRoles([notifierRole], { env });
  const probe = new Redis(redis.url);
  try {
    const { records, queues } = gw.ctx;
    const faxId = newFaxId();
    const at = new Date().toISOString();
    await records.create(
      { id: faxId, state: 'rendered', createdAt: at, sender: 'bulk@example.com', fromHeader: 'Bulk <bulk@example.com>', subject: 'Price list', messageId: '<bench@example.com>', clientAddress: '127.0.0.1', senderTrust: 'client-network', messageKey: `messages/${faxId}.eml`, messageBytes: 1000, recipientCount: N },
      Array.from({ length: N }, (_, index) => ({ index, address: `x${index}@fax.example.com`, number: `+1212555${String(index).padStart(4, '0')}`, dialString: '1', state: 'waiting' as const, pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 })),
    );
    for (let i = 0; i < N; i++) {
      await records.incrementRecipient(faxId, i, 'attempts');
      await records.updateAttempt(faxId, i, 1, { attempt: 1, startedAt: at, endedAt: at, result: 'success', fromPage: 1, pagesSent: 2, line: 'sim-1', durationMs: 30_000 });
      await records.updateRecipient(faxId, i, { state: 'sent', result: 'success', pagesTotal: 2, pagesSent: 2, connectedAttempts: 1, remoteId: 'REMOTE', durationMs: 30_000, finishedAt: at });
      // What dispatch and the node write to the timeline of each recipient of a broadcast.
      await records.event(faxId, 'queued for a line', 'pool sim, bulk priority', i);
      await records.event(faxId, 'call success', '2 of 2 page(s)', i);
      await records.event(faxId, 'sent', undefined, i);
    }
    const before = await stats(probe);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await queues.add('result-mail', { faxId, recipient: i });
    const notify = queues.queue('notify');
    const want = mode === 'summary' ? 1 : N;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const c = await notify.getJobCounts('completed', 'failed');
      if (c.completed + c.failed >= N + (mode === 'summary' ? 1 : 0) && sink.mails.length >= want) break;
      if (Date.now() > deadline) throw new Error(`not drained in 600 s: ${JSON.stringify(c)}, ${sink.mails.length} mail(s)`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const after = await stats(probe);
    const fax = await records.getFax(faxId);
    const summaryNumbers = mode === 'summary' ? new Set(sink.mails[0].parsed.text?.match(/\+1212555\d{4}/g)).size : undefined;
    return {
      mode,
      seconds,
      commands: after.total - before.total,
      hgetall: after.hgetall - before.hgetall,
      lrange: after.lrange - before.lrange,
      mib: (after.net - before.net) / 2 ** 20,
      mails: sink.mails.length,
      check: mode === 'summary' ? `summary lists ${summaryNumbers} numbers, sent ${fax?.summaryMailSentAt ? 'yes' : 'no'}` : `${sink.mails.length} mails`,
    };
  } finally {
    probe.disconnect();
    await gw.stop();
    await sink.close();
    await redis.dispose();
    await dir.remove();
  }
}

const rows: string[][] = [['broadcast mails', 'recipients', 'wall s', 'Redis commands', 'per recipient', 'HGETALL', 'LRANGE', 'MiB from Redis', 'check']];
for (const mode of ['summary', 'each'] as const) {
  const r = await run(mode);
  rows.push([r.mode, String(N), r.seconds.toFixed(1), String(r.commands), (r.commands / N).toFixed(1), String(r.hgetall), String(r.lrange), r.mib.toFixed(1), r.check]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ')}\n`);
process.stdout.write('(commands include BullMQ\'s own per-job work and the bench polling the queue every 250 ms)\n');
process.exit(0);
