import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startRedis, tempDir, testGatewayEnv, waitUntil, type TempDir, type TestRedis } from '@faxgate/testkit';
import { createBitmap, writeTiff } from '@faxgate/fax-image';
import { newInboundId } from '@faxgate/queue';
import { InboundRecords, inboundBlobKeys } from '@faxgate/store';
import { notifierRole } from '../src/index.ts';

// Issue 17: a smarthost's 5xx for a received-fax mail or a result mail is permanent: recorded,
// not retried twelve times.

/** A real smarthost that refuses every recipient at gone.example with 550 (no such mailbox). */
async function startRefusingSmarthost() {
  const mails: Array<{ to: string[]; parsed: ParsedMail }> = [];
  const refused: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address.endsWith('@gone.example')) {
        refused.push(address.address);
        return cb(Object.assign(new Error('5.1.1 no such mailbox'), { responseCode: 550 }));
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
  return { url: `smtp://127.0.0.1:${port}`, mails, refused, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let redis: TestRedis;
let dir: TempDir;
let smtp: Awaited<ReturnType<typeof startRefusingSmarthost>>;
let gw: RunningGateway;

before(async () => {
  redis = await startRedis();
  dir = await tempDir('faxgate-smarthost-refusal');
  smtp = await startRefusingSmarthost();
  gw = await runRoles([notifierRole as never], { env: testGatewayEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: smtp.url }, { FAXGATE_JOB_BACKOFF: '20ms' }) });
});
after(async () => {
  await gw?.stop();
  await smtp?.close();
  await redis?.dispose();
  await dir?.remove();
});

test('a received fax whose owner\'s address is refused with 550 goes to the unaddressed mailbox after one try, not after every retry', async () => {
  const inbound = new InboundRecords(gw.ctx.redis, gw.ctx.base.FAXGATE_QUEUE_PREFIX);
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
