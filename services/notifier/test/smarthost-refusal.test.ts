import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv, waitUntil, type TempDir, type TestRedis } from '@faxgate/testkit';
import { createBitmap, writeTiff } from '@faxgate/fax-image';
import { jobId, newFaxId, newInboundId } from '@faxgate/queue';
import { inboundBlobKeys } from '@faxgate/store';
import { notifierRole } from '../src/index.ts';

// Issue 17: a smarthost's 5xx for a received-fax mail or a result mail is permanent: recorded,
// not retried twelve times.

/** A real smarthost that refuses every recipient at gone.example with 550 (no such mailbox). */
async function startRefusingSmarthost() {
  const mails: Array<{ to: string[]; parsed: ParsedMail }> = [];
  const refused: string[] = [];
  const state = { tempFailures: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address.endsWith('@gone.example')) {
        refused.push(address.address);
        return cb(Object.assign(new Error('5.1.1 no such mailbox'), { responseCode: 550 }));
      }
      if (state.tempFailures > 0) {
        state.tempFailures--;
        return cb(Object.assign(new Error('4.3.0 try again later'), { responseCode: 451 }));
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), parsed: await simpleParser(Buffer.concat(chunks)) });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, mails, refused, set tempFailures(n: number) { state.tempFailures = n; }, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let redis: TestRedis;
let dir: TempDir;
let smtp: Awaited<ReturnType<typeof startRefusingSmarthost>>;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-smarthost-refusal');
  smtp = await startRefusingSmarthost();
  gw = await runRoles([notifierRole], { env: testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: smtp.url }, { FAXGATE_JOB_BACKOFF: '20ms' }) });
});
after(async () => {
  await gw?.stop();
  await smtp?.close();
  await redis?.dispose();
  await dir?.remove();
});

test('a received fax whose owner\'s address is refused with 550 goes to the unaddressed mailbox after one try, not after every retry', async () => {
  const inbound = gw.ctx.inbound;
  const id = newInboundId();
  const documentKey = inboundBlobKeys.document(id);
  await gw.ctx.blobs.put(documentKey, writeTiff([{ bitmap: createBitmap(1728, 100), xDpi: 204, yDpi: 196 }]));
  const now = new Date().toISOString();
  await inbound.create({ id, state: 'received', createdAt: now, receivedAt: now, did: '+12125550123', callingNumber: '+16175550000', csid: 'SENDER', pool: 'sim', pages: 1, badRows: 0, partial: false, durationMs: 1000, documentKey, fallbackTo: ['faxadmin@example.com'], deliveryCount: 0 });
  await inbound.setRoute(id, { rule: 'did', detail: '+12125550123', user: 'gone' }, [{ index: 0, user: 'gone', to: ['owner@gone.example'], format: 'pdf', state: 'pending', attempts: 0 }], now);
  await gw.ctx.queues.add('inbound-mail', { inboundId: id, delivery: 0 }, { attempts: 5 });

  const view = await waitUntil('the received fax to be delivered through the fallback', async () => {
    const v = await inbound.view(id);
    return v?.state === 'delivered' || v?.state === 'failed' ? v : undefined;
  }, 30_000);
  assert.equal(view.state, 'delivered');
  assert.deepEqual(view.deliveries.map((d) => [d.index, d.to.join(','), d.state, d.attempts]), [
    [0, 'owner@gone.example', 'failed', 1],
    [1, 'faxadmin@example.com', 'sent', 1],
  ]);
  assert.match(view.deliveries[0].error ?? '', /550.*no such mailbox/);
  assert.deepEqual(smtp.refused.filter((a) => a === 'owner@gone.example'), ['owner@gone.example'], 'the refused address was tried once');
  assert.ok(smtp.mails.some((m) => m.to.includes('faxadmin@example.com') && m.parsed.headers.get('x-faxgate-inbound-id') === id));
});

test('a result mail the smarthost refuses with 550 is recorded on the fax and not retried; a 451 is retried', async () => {
  const create = async (sender: string) => {
    const faxId = newFaxId();
    await gw.ctx.records.create(
      { id: faxId, state: 'failed', createdAt: new Date().toISOString(), sender, subject: 'refused', clientAddress: '127.0.0.1', authUser: 'clinic', senderTrust: 'authenticated', messageKey: `messages/${faxId}.eml`, messageBytes: 10, recipientCount: 1 },
      [{ index: 0, address: '12125550100@fax.test', number: '+12125550100', dialString: '12125550100', state: 'failed', pagesSent: 0, attempts: 1, connectedAttempts: 0, durationMs: 0, reason: 'the line was busy' }],
    );
    await gw.ctx.queues.add('result-mail', { faxId, recipient: 0 });
    return faxId;
  };
  const job = (faxId: string) => gw.ctx.queues.queue('notify').getJob(jobId('result-mail', { faxId, recipient: 0 }));

  const refused = await create('alice@gone.example');
  const failed = await waitUntil('the refused result mail job to fail for good', async () => {
    // Read again once failed: the first read can predate the try's end (attemptsMade one short).
    const j = await job(refused);
    return j && (await j.isFailed()) ? job(refused) : undefined;
  }, 20_000);
  assert.equal(failed.attemptsMade, 1, 'one try, not twelve');
  assert.ok((failed.opts.attempts ?? 1) > 1, 'the job had retries to spare');
  const view = (await gw.ctx.records.view(refused))!;
  assert.match(view.recipients[0].resultMailError ?? '', /550.*no such mailbox/);
  assert.equal(view.recipients[0].resultMailSentAt, undefined);
  assert.ok(view.timeline.some((e) => e.event === 'result mail refused' && /alice@gone\.example/.test(e.detail ?? '')), JSON.stringify(view.timeline));
  assert.deepEqual(smtp.refused.filter((a) => a === 'alice@gone.example'), ['alice@gone.example']);

  // A temporary refusal is still retried until it goes through.
  smtp.tempFailures = 2;
  const later = await create('bob@example.com');
  await waitUntil('the result mail after two 451s', () => smtp.mails.find((m) => m.parsed.headers.get('x-faxgate-fax-id') === later), 20_000);
  const done = await waitUntil('the result mail job to complete', async () => {
    const j = await job(later);
    return j && (await j.isCompleted()) ? job(later) : undefined;
  }, 10_000);
  assert.equal(done.attemptsMade, 3, 'two temporary refusals, then sent');

  // Issue 19: an operator's alert on result-mail failures reads these: the 550 once as refused,
  // each 451 as an error (retried), the mail that went through as sent.
  const series = ['refused', 'error', 'sent'].map((o) => `faxgate_result_mails_total{outcome="${o}"}`);
  const metrics = await waitUntil('the result mail outcomes to be counted', async () => {
    const text = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    return series.every((s) => text.includes(`${s} `)) ? text : undefined;
  }, 10_000).catch(async (err: Error) => {
    throw new Error(`${err.message}\n--- /metrics ---\n${(await (await fetch(`${gw.httpUrl}/metrics`)).text()).split('\n').filter((l) => l.includes('mails')).join('\n')}`);
  });
  assert.match(metrics, /^faxgate_result_mails_total\{outcome="refused"\} 1$/m);
  assert.match(metrics, /^faxgate_result_mails_total\{outcome="error"\} 2$/m);
  assert.match(metrics, /^faxgate_result_mails_total\{outcome="sent"\} 1$/m);
});
