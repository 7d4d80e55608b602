import { z } from 'zod';

const faxId = z.string().regex(/^fx[0-9a-z]{10,40}$/, 'not a fax id');
const recipient = z.number().int().min(0).max(999);
const attempt = z.number().int().min(1).max(1000);

/**
 * Every job faxgate queues: its queue, name and payload schema. Payloads are pointers (ids),
 * never content: BullMQ keeps job data in clear text in Redis.
 */
export const JOBS = {
  'render-fax': { queue: 'render', data: z.object({ faxId }) },
  'schedule-recipient': { queue: 'dispatch', data: z.object({ faxId, recipient }) },
  'call-outcome': { queue: 'dispatch', data: z.object({ faxId, recipient, attempt }) },
  'place-call': { queue: 'calls', data: z.object({ faxId, recipient, attempt, fromPage: z.number().int().min(1) }) },
  'result-mail': { queue: 'notify', data: z.object({ faxId, recipient }) },
} as const;

export type JobName = keyof typeof JOBS;
export type JobData<N extends JobName> = z.output<(typeof JOBS)[N]['data']>;
/** The discriminated union of every job: `{ name, data }`. */
export type AnyJob = { [N in JobName]: { name: N; data: JobData<N> } }[JobName];
/** Queue families: 'calls' stands for every per-pool queue. */
export type QueueFamily = (typeof JOBS)[JobName]['queue'];
export type JobNamesOf<Q extends QueueFamily> = { [N in JobName]: (typeof JOBS)[N]['queue'] extends Q ? N : never }[JobName];

export function jobNamesOf(family: QueueFamily): JobName[] {
  return (Object.keys(JOBS) as JobName[]).filter((n) => JOBS[n].queue === family);
}

/** Validates a payload when a consumer picks it up: a job from another version fails clearly. */
export function parseJobData<N extends JobName>(name: N, data: unknown): JobData<N> {
  const spec = JOBS[name];
  if (!spec) throw new Error(`unknown job name "${name}"`);
  const r = spec.data.safeParse(data);
  if (!r.success) {
    throw new Error(`job "${name}" has a payload this version does not understand: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return r.data as JobData<N>;
}
