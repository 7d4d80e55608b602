import type { Redis } from 'ioredis';
import { FaxRecords, InboundRecords } from '../src/index.ts';

/** The fixed ids of the sample: a sent fax with two recipients and a received fax. */
export const SAMPLE = { faxId: 'fxfixture00001', inboundId: 'infixture00001' } as const;

/**
 * Writes the sample records through the current code: what a release leaves in Redis for a fax
 * that was sent (one busy call, then success) and a fax that was received and mailed.
 */
export async function writeSample(redis: Redis, prefix: string): Promise<void> {
  const records = new FaxRecords(redis, prefix);
  const { faxId, inboundId } = SAMPLE;
  await records.create(
    { id: faxId, state: 'queued', createdAt: '2026-12-01T08:00:00.000Z', sender: 'alice@example.com', fromHeader: 'Alice <alice@example.com>', subject: 'Contract', messageId: '<m1@example.com>', clientAddress: '127.0.0.1', senderTrust: 'client-network', messageKey: `messages/${faxId}.eml`, messageBytes: 1234, recipientCount: 2 },
    [0, 1].map((index) => ({ index, address: `1212555010${index}@fax.example.com`, number: `+1212555010${index}`, dialString: `1212555010${index}`, state: 'waiting' as const, pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0 })),
  );
  await records.updateFax(faxId, { state: 'rendered', renderedAt: '2026-12-01T08:00:05.000Z', documentPages: 2 });
  await records.event(faxId, 'rendered', '2 document page(s)');
  for (const i of [0, 1]) {
    await records.updateRecipient(faxId, i, { documentKey: `faxes/${faxId}/r${i}.tif`, pagesTotal: 3, pool: 'sim' });
    await records.incrementRecipient(faxId, i, 'attempts');
    await records.updateAttempt(faxId, i, 1, { attempt: 1, startedAt: '2026-12-01T08:00:06.000Z', endedAt: '2026-12-01T08:00:30.000Z', result: i === 0 ? 'success' : 'busy', fromPage: 1, pagesSent: i === 0 ? 3 : 0, line: 'sim-1', durationMs: 24000 });
    await records.claimAttemptHandling(faxId, i, 1, '2026-12-01T08:00:31.000Z');
  }
  await records.updateRecipient(faxId, 0, { state: 'sent', result: 'success', pagesSent: 3, connectedAttempts: 1, remoteId: '+1 212 555 0100', durationMs: 24000, finishedAt: '2026-12-01T08:00:31.000Z', resultMailSentAt: '2026-12-01T08:00:32.000Z' });
  await records.markRecipientFinished(faxId, 0);
  await records.updateRecipient(faxId, 1, { state: 'retry-wait', result: 'busy', reason: 'the line was busy', nextAttemptAt: '2026-12-01T08:03:31.000Z' });

  const inbound = new InboundRecords(redis, prefix);
  await inbound.create({ id: inboundId, state: 'received', createdAt: '2026-12-01T09:00:00.000Z', receivedAt: '2026-12-01T09:00:40.000Z', did: '+12125550199', callingNumber: '+14155550123', csid: '+1 415 555 0123', pool: 'sim', line: 'sim-2', pages: 2, badRows: 0, partial: false, durationMs: 40000, documentKey: `inbound/${inboundId}.tif`, deliveryCount: 0 });
  await inbound.setRoute(inboundId, { rule: 'did', detail: '+12125550199', user: 'bob' }, [{ index: 0, user: 'bob', to: ['bob@example.com'], format: 'pdf', state: 'pending', attempts: 0 }], '2026-12-01T09:00:41.000Z');
  await inbound.updateDelivery(inboundId, 0, { state: 'sent', attempts: 1, sentAt: '2026-12-01T09:00:45.000Z', messageId: '<in1@faxgate>' });
  await inbound.update(inboundId, { state: 'delivered', finishedAt: '2026-12-01T09:00:45.000Z' });
}

export interface RedisDump {
  [key: string]: { type: 'hash'; value: Record<string, string> } | { type: 'list'; value: string[] } | { type: 'zset'; value: Array<[string, string]> } | { type: 'set'; value: string[] };
}

/** Every record key under `<prefix>:rec`, as data: what a fixture file holds (keys without the prefix). */
export async function dumpRecords(redis: Redis, prefix: string): Promise<RedisDump> {
  const out: RedisDump = {};
  const keys = (await redis.keys(`${prefix}:rec*`)).sort();
  for (const k of keys) {
    const name = k.slice(prefix.length + 1);
    const type = await redis.type(k);
    if (type === 'hash') out[name] = { type, value: await redis.hgetall(k) };
    else if (type === 'list') out[name] = { type, value: await redis.lrange(k, 0, -1) };
    else if (type === 'set') out[name] = { type, value: (await redis.smembers(k)).sort() };
    else if (type === 'zset') {
      const flat = await redis.zrange(k, 0, -1, 'WITHSCORES');
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      out[name] = { type, value: pairs };
    }
  }
  return out;
}

/** Loads a dump under another prefix (a fresh Redis, as after an upgrade). */
export async function loadRecords(redis: Redis, prefix: string, dump: RedisDump): Promise<void> {
  for (const [name, e] of Object.entries(dump)) {
    const k = `${prefix}:${name}`;
    if (e.type === 'hash') await redis.hset(k, e.value);
    else if (e.type === 'list') await redis.rpush(k, ...e.value);
    else if (e.type === 'set') await redis.sadd(k, ...e.value);
    else for (const [member, score] of e.value) await redis.zadd(k, score, member);
  }
}
