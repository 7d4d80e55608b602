import { describeError } from '@faxgate/errors';
import { isFinished, stopRecipient } from '@faxgate/fax-control';
import { observeFaxResult, type RoleContext } from '@faxgate/runtime';

/**
 * Kill times (HylaFAX killtime): recipients with one are kept in a sorted set by it, and a timer
 * gives up every recipient whose time has come and that is not on the line, with a result mail
 * saying so. A call on the line is let finish; its outcome is then not retried (the dispatch
 * worker checks the kill time before every retry).
 */
export function createKillTimer(ctx: RoleContext, intervalMs: number) {
  const key = `${ctx.base.FAXGATE_QUEUE_PREFIX}:dispatch:kill`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function track(faxId: string, recipient: number, killAt: string): Promise<void> {
    await ctx.redis.zadd(key, Date.parse(killAt), `${faxId}/${recipient}`);
  }

  /** Gives up the recipients whose kill time has passed; returns them as `<faxId>/<index>`. */
  async function sweep(now = Date.now()): Promise<string[]> {
    const due = await ctx.redis.zrangebyscore(key, '-inf', now, 'LIMIT', 0, 500);
    const expired: string[] = [];
    for (const member of due) {
      const [faxId, index] = member.split('/');
      const recipient = Number(index);
      const r = await ctx.records.getRecipient(faxId, recipient);
      const fax = await ctx.records.getFax(faxId);
      if (r && fax && !isFinished(r) && r.state !== 'calling') {
        const at = new Date().toISOString();
        const killAt = fax.schedule?.killAt ?? at;
        const last = r.reason ? `; last call: ${r.reason}` : r.attempts === 0 ? '; it was never dialled' : '';
        const reason = `${describeError('FAX_EXPIRED')} (${killAt})${last}`;
        await stopRecipient(ctx, faxId, r, { state: 'failed', errorCode: 'FAX_EXPIRED', reason, finishedAt: at }, reason, 'kill time reached', `${killAt}${last}`);
        await observeFaxResult(ctx, faxId, { result: 'failed', pool: r.pool, reason: 'FAX_EXPIRED' });
        expired.push(member);
      }
      // A recipient on the line is left to its call's outcome, which does not retry past the time.
      await ctx.redis.zrem(key, member);
    }
    return expired;
  }

  return {
    track,
    sweep,
    start() {
      const tick = () => {
        running = sweep()
          .catch((err) => ctx.log.warn({ err: (err as Error).message }, 'kill-time sweep failed'))
          .finally(() => {
            if (timer) timer = setTimeout(tick, intervalMs);
          });
      };
      timer = setTimeout(tick, intervalMs);
    },
    async stop() {
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await running;
    },
  };
}
export type KillTimer = ReturnType<typeof createKillTimer>;
