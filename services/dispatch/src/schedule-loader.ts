import type { FaxRecord, FaxSchedule, RecordChange } from '@faxgate/store';
import type { RoleContext } from '@faxgate/runtime';
import { readHeaderFields, scheduleOf } from './fax-schedule.ts';
import { senderPrioritiesOf, senderPriority } from './sender-priority.ts';
import type { DispatchConfig } from './config.ts';

/**
 * The fax's schedule, read from its stored message's headers the first time and kept on the
 * record: a 500-recipient broadcast reads its message once, and the console shows the schedule.
 * Every dispatch replica computes the same value from the same message, so a race writes it twice
 * alike; for the same reason `fax` (read by the caller's job) is not read again to look for a
 * schedule stored meanwhile.
 *
 * With `into`, the schedule and its timeline lines are queued on that change (the caller's
 * MULTI, exec'd by the caller) instead of written in a round trip of their own (issue 14
 * benchmark: one awaited round trip fewer per scheduling decision). Not written at all if the
 * caller never execs it: the next decision computes the same schedule again.
 */
export async function loadSchedule(ctx: Pick<RoleContext, 'records' | 'blobs'>, fax: FaxRecord, config: Pick<DispatchConfig, 'FAXGATE_DISPATCH_KILL_AFTER' | 'FAXGATE_PRIORITY_SENDERS'>, into?: RecordChange): Promise<FaxSchedule> {
  if (fax.schedule) return fax.schedule;
  // A message already gone (removed by retention) schedules with the defaults; other read
  // errors are retried with the job.
  const message = await ctx.blobs.get(fax.messageKey).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  const senderClass = senderPriority(senderPrioritiesOf(config.FAXGATE_PRIORITY_SENDERS), fax.sender);
  const schedule = scheduleOf(readHeaderFields(message ?? new Uint8Array()), fax.subject, fax.createdAt, config.FAXGATE_DISPATCH_KILL_AFTER, senderClass);
  if (!message) schedule.notes = [...(schedule.notes ?? []), 'the stored message was gone: default priority and kill time'];
  const detail = [`${schedule.priority} priority`, schedule.sendAt && `send at ${schedule.sendAt}`, schedule.killAt && `kill time ${schedule.killAt}`].filter(Boolean).join(', ');
  // The schedule and its timeline lines in one MULTI.
  const change = (into ?? ctx.records.change()).fax(fax.id, { schedule }).event(fax.id, 'scheduled', detail);
  for (const note of schedule.notes ?? []) change.event(fax.id, 'header not understood', note);
  if (!into) await change.exec();
  fax.schedule = schedule;
  return schedule;
}
