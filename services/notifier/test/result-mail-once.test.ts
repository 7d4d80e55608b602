import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { runRoles } from '@faxgate/runtime';
import type { Job } from 'bullmq';
import { createRedis, jobId, newFaxId, newInboundId, QueueSet, JOBS } from '@faxgate/queue';
import { BlobStore, FaxRecords, InboundRecords, inboundBlobKeys } from '@faxgate/store';
import { createBitmap, writeTiff } from '@faxgate/fax-image';
import type { TestContext } from 'node:test';
import type { ReceivedMail } from '@faxgate/testkit';
import { freePort, roleProcessEnv, startRedis, startRoleProcess, startSmtpSink, tempDir, testGatewayEnv, waitUntil } from '@faxgate/testkit';
import { notifierRole } from '../src/index.ts';

// Issue 17: exactly one result mail per recipient. A notifier that dies after the smarthost's
// 250 and before its job completed used to send the same mail again on the job's retry.

/**
 * A TCP relay between a notifier process and Redis that stops passing anything, both ways and
 * on every connection, once a client sends a command that matches: what the process writes after
 * that point never reaches Redis, as if it died right there. Then the test kills it.
 */
async function startFreezingRelay(redisPort: number, freezeOn: RegExp) {
  const sockets = new Set<Socket>();
  let frozenAt: string | undefined;
  const server = createServer((client) => {
    const upstream = createConnection({ port: redisPort, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => {
      if (frozenAt) return;
      const text = d.toString('latin1');
      if (freezeOn.test(text)) return void (frozenAt = text);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (!frozenAt) client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    frozenAt: () => frozenAt,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

interface Bed {
  prefix: string;
  conn: ReturnType<typeof createRedis>;
  queues: QueueSet;
  dataDir: string;
}

/**
 * One mail job run by a notifier process that Redis stops hearing (the relay) at `freezeOn`, a
 * write the job makes after the smarthost's 250; the process is then killed (-9), and a second
 * notifier (a restart, or another replica) takes the stalled job over once the dead one's lock
 * lapsed (30 s + the 5 s stalled check). Returns the mail the smarthost received first, the
 * completed job and every mail of the kind.
 */
async function killedAfterThe250(t: TestContext, o: { freezeOn: RegExp; prepare(bed: Bed): Promise<{ job: { name: 'result-mail' | 'inbound-mail'; id: string }; add(): Promise<unknown>; mine(m: ReceivedMail): boolean }> }) {
  const redis = await startRedis();
  const sink = await startSmtpSink();
  const dir = await tempDir('faxgate-mail-once');
  // Undone last to first: the notifiers stop while Redis is still there.
  const cleanup: Array<() => Promise<unknown> | unknown> = [() => dir.remove(), () => redis.dispose(), () => sink.close()];
  t.after(async () => {
    for (const undo of cleanup.reverse()) await undo();
  });
  const prefix = `test-${randomUUID()}`;
  const conn = createRedis(redis.url, 'background');
  cleanup.push(() => conn.disconnect());
  const queues = new QueueSet({ connection: conn, prefix, backoffMs: 100 });
  const dataDir = join(dir.path, 'data');
  const { job: which, add, mine } = await o.prepare({ prefix, conn, queues, dataDir });

  const relay = await startFreezingRelay(redis.port, o.freezeOn);
  cleanup.push(() => relay.close());
  const first = await startRoleProcess(['notifier'], roleProcessEnv({ redisUrl: `redis://127.0.0.1:${relay.port}`, dataDir, smarthost: sink.url, smtpPort: await freePort(), prefix }));
  cleanup.push(() => first.kill9());
  const withOutput = (err: Error) => {
    throw new Error(`${err.message}\n--- notifier ---\n${first.output().slice(-3000)}`);
  };
  // At load ~20 a role process took 30-50 s to answer /readyz (testkit's role-process note).
  await first.ready(60_000);
  await add();
  const mail = await sink.waitFor(mine, 20_000).catch(withOutput);
  await waitUntil(`the relay to stop the notifier at ${o.freezeOn}`, () => relay.frozenAt(), 15_000).catch(withOutput);
  await first.kill9();
  const queue = queues.queue(JOBS[which.name].queue);
  assert.equal(await (await queue.getJob(which.id))?.getState(), 'active', 'the job was cut off while it ran');

  const gw = await runRoles([notifierRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir, smarthost: sink.url }, { FAXGATE_QUEUE_PREFIX: prefix, FAXGATE_FAX_DOMAINS: 'fax.test' }) });
  cleanup.push(() => gw.stop());
  const done = await waitUntil(`the ${which.name} job to complete on the second notifier`, async () => {
    const j = await queue.getJob(which.id);
    const state = await j?.getState();
    if (state === 'failed') throw new Error(`the job failed: ${j?.failedReason}`);
    return state === 'completed' ? j : undefined;
  }, 70_000, 200);
  return { mail, done: done as Job, mails: sink.mails.filter(mine) };
}

test('a notifier killed after the smarthost\'s 250 and before its job completed: the retry does not send the result mail again', { timeout: 120_000 }, async (t) => {
  let records!: FaxRecords;
  const faxId = newFaxId();
  // The relay stops everything when the job records the mail as sent on the recipient: after
  // the smarthost's 250, before the job could complete.
  const { mail, done, mails } = await killedAfterThe250(t, {
    freezeOn: /resultMailSentAt/,
    async prepare({ conn, prefix, queues }) {
      records = new FaxRecords(conn, prefix);
      // A fax whose one recipient ended; its result mail is the notifier's job.
      const now = new Date().toISOString();
      await records.create(
        { id: faxId, state: 'done', createdAt: now, sender: 'alice@example.com', senderTrust: 'authenticated', subject: 'contract', messageKey: 'messages/none.eml', messageBytes: 1, recipientCount: 1, clientAddress: '127.0.0.1' },
        [{ index: 0, address: '12125550100@fax.test', number: '+12125550100', dialString: '12125550100', state: 'sent', pagesTotal: 2, pagesSent: 2, attempts: 1, connectedAttempts: 1, durationMs: 40_000, finishedAt: now }],
      );
      return { job: { name: 'result-mail', id: jobId('result-mail', { faxId, recipient: 0 }) }, add: () => queues.add('result-mail', { faxId, recipient: 0 }), mine: (m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId };
    },
  });
  assert.equal(mails.filter((m) => m.parsed.messageId === mail.parsed.messageId).length, 1, `the smarthost received ${mail.parsed.messageId} ${mails.length} times`);
  assert.equal(mails.length, 1, 'one result mail for the recipient');
  assert.ok((done.returnvalue as { deliveredBefore?: string }).deliveredBefore, `the retry says the mail went before: ${JSON.stringify(done.returnvalue)}`);
  assert.ok((await records.getRecipient(faxId, 0))?.resultMailSentAt, 'the retry records the mail as sent');
  const timeline = (await records.view(faxId))?.timeline ?? [];
  assert.ok(timeline.some((e) => e.event === 'result mail sent' && /not sent again/.test(e.detail ?? '')), `timeline: ${JSON.stringify(timeline)}`);
});

test('the same for a received fax\'s mail: killed after the 250, the retry does not mail the fax again', { timeout: 120_000 }, async (t) => {
  let inbound!: InboundRecords;
  const id = newInboundId();
  const { mail, done, mails } = await killedAfterThe250(t, {
    // The delivery's record of being sent (state, sentAt) is the job's first write after the 250.
    freezeOn: /sentAt/,
    async prepare({ conn, prefix, queues, dataDir }) {
      inbound = new InboundRecords(conn, prefix);
      const documentKey = inboundBlobKeys.document(id);
      await new BlobStore(dataDir).put(documentKey, writeTiff([{ bitmap: createBitmap(1728, 100), xDpi: 204, yDpi: 196 }]));
      const now = new Date().toISOString();
      await inbound.create({ id, state: 'received', createdAt: now, receivedAt: now, did: '+12125550123', callingNumber: '+16175550000', csid: 'SENDER', pool: 'sim', pages: 1, badRows: 0, partial: false, durationMs: 1000, documentKey, fallbackTo: [], deliveryCount: 0 });
      await inbound.setRoute(id, { rule: 'did', detail: '+12125550123', user: 'bob' }, [{ index: 0, user: 'bob', to: ['bob@example.com'], format: 'pdf', state: 'pending', attempts: 0 }], now);
      return { job: { name: 'inbound-mail', id: jobId('inbound-mail', { inboundId: id, delivery: 0 }) }, add: () => queues.add('inbound-mail', { inboundId: id, delivery: 0 }), mine: (m) => m.parsed.headers.get('x-faxgate-inbound-id') === id };
    },
  });
  assert.equal(mails.length, 1, `the smarthost received the received fax ${mails.length} times (${mail.parsed.messageId})`);
  assert.ok((done.returnvalue as { skipped?: string; messageId?: string }).messageId, JSON.stringify(done.returnvalue));
  const d = await inbound.getDelivery(id, 0);
  assert.equal(d?.state, 'sent');
  assert.equal((await inbound.view(id))?.state, 'delivered');
});
