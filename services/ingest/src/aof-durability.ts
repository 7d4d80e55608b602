import type { RoleContext } from '@faxgate/runtime';

/**
 * Whether a 250 means the fax record and its render job are on disk (issue 18). ingest makes
 * them durable by writing them to Redis before it answers, so the question is whether Redis
 * fsyncs its AOF before it replies to a write. It does when `appendonly yes` and
 * `appendfsync always`: Redis writes and fsyncs the AOF in its event loop before it sends the
 * replies of that turn, so the writes of every client served in one turn share one fsync
 * (group commit). With `everysec` the AOF is fsynced in the background about once a second, and
 * a power cut can lose the last second of accepted mail.
 */
export interface AofDurability {
  durable: boolean;
  /** The log sentence: what Redis does, and what to change when the 250 is not durable. */
  sentence: string;
  redisVersion: string;
}

/** What Redis reports, as `INFO server` and `CONFIG GET` give it. */
export interface AofSettings {
  redisVersion: string;
  /** undefined: CONFIG is not allowed (renamed or denied by ACL, as on some hosted Redis). */
  appendonly?: string;
  appendfsync?: string;
}

export function aofDurability(s: AofSettings): AofDurability {
  const v = s.redisVersion;
  if (s.appendonly === undefined || s.appendfsync === undefined)
    return { durable: false, redisVersion: v, sentence: `Redis ${v} does not allow CONFIG GET, so ingest cannot tell whether its 250 survives a power cut; give Redis appendonly yes and appendfsync always (docs/operations.md)` };
  if (s.appendonly !== 'yes')
    return { durable: false, redisVersion: v, sentence: `Redis ${v} runs without AOF (appendonly ${s.appendonly}): accepted faxes are lost when it restarts; set appendonly yes and appendfsync always (docs/operations.md)` };
  if (s.appendfsync !== 'always')
    return { durable: false, redisVersion: v, sentence: `Redis ${v} fsyncs its AOF ${s.appendfsync === 'everysec' ? 'about once a second' : 'when the kernel chooses (appendfsync no)'}: a power cut can lose faxes already answered 250; set appendfsync always (docs/operations.md)` };
  return { durable: true, redisVersion: v, sentence: `Redis ${v} fsyncs its AOF before replying (appendfsync always): a 250 means the message, its record and its job are on disk` };
}

/** Reads the settings from Redis; CONFIG refused (hosted Redis) leaves them undefined. */
export async function readAofSettings(redis: RoleContext['requestRedis']): Promise<AofSettings> {
  const info = await redis.info('server');
  const redisVersion = /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
  const get = async (name: string) => {
    try {
      const [, value] = (await redis.config('GET', name)) as string[];
      return value;
    } catch {
      return undefined;
    }
  };
  return { redisVersion, appendonly: await get('appendonly'), appendfsync: await get('appendfsync') };
}
