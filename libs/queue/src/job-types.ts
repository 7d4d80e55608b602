import { z } from 'zod';

const faxId = z.string().regex(/^fx[0-9a-z]{10,40}$/, 'not a fax id');
const recipient = z.number().int().min(0).max(999);
const attempt = z.number().int().min(1).max(1000);
const inboundId = z.string().regex(/^in[0-9a-z]{10,40}$/, 'not an inbound fax id');
const delivery = z.number().int().min(0).max(999);
const postmasterId = z.string().regex(/^pm[0-9a-z]{10,40}$/, 'not a postmaster mail id');
const poolName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/);
/** Caller and callee as the line reports them: digits with an optional leading +. */
const lineNumber = z.string().regex(/^\+?[0-9]{1,20}$/, 'not a phone number');

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
  /** A simulated incoming call offered to a pool (faxgate sim receive); the remote's TIFF is a blob. */
  'receive-call': {
    queue: 'calls',
    data: z.object({
      inboundId,
      did: lineNumber,
      callingNumber: lineNumber,
      documentKey: z.string().min(1),
      csid: z.string().max(20).optional(),
      subAddress: z.string().max(20).optional(),
      failAfterPage: z.number().int().min(0).optional(),
      pool: poolName,
    }),
  },
  /**
   * One poll of the pool's fax server for received faxes (HylaFAX's recvq). Queued by a BullMQ
   * job scheduler that the pool's elected leader owns, so one poll runs at a time whatever the
   * number of nodes; drivers without a server to poll ignore it.
   */
  'poll-received': { queue: 'calls', data: z.object({ pool: poolName }) },
  /** A received fax to route to its owners through the directory. */
  'route-inbound': { queue: 'inbound', data: z.object({ inboundId }) },
  /** One delivery (a user's mailbox, or the unaddressed one) of a received fax. */
  'inbound-mail': { queue: 'notify', data: z.object({ inboundId, delivery }) },
  /** A mail to postmaster@ a fax domain (RFC 5321 §4.5.1), stored as a blob, for the admin. */
  'postmaster-mail': { queue: 'notify', data: z.object({ postmasterId }) },
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
