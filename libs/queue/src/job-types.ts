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
 * The version of the job payloads this release writes (`v` in every job's data). A payload
 * without `v` was written before payloads were versioned (version 0, the same fields). Readers
 * accept every earlier version; a later version is read as long as its fields parse, so during a
 * rolling upgrade an old consumer can take a new producer's job. A change a reader of the
 * previous version would misread (a field whose meaning changes, a field that becomes required)
 * is a new job name, never a new meaning under an old one.
 */
export const JOB_SCHEMA_VERSION = 1;
const v = z.number().int().min(0).optional();
const job = <S extends z.ZodRawShape>(shape: S) => z.object({ v, ...shape });

/**
 * Every job faxgate queues: its queue, name and payload schema. Payloads are pointers (ids),
 * never content: BullMQ keeps job data in clear text in Redis.
 */
export const JOBS = {
  'render-fax': { queue: 'render', data: job({ faxId }) },
  'schedule-recipient': { queue: 'dispatch', data: job({ faxId, recipient }) },
  'call-outcome': { queue: 'dispatch', data: job({ faxId, recipient, attempt }) },
  'place-call': { queue: 'calls', data: job({ faxId, recipient, attempt, fromPage: z.number().int().min(1) }) },
  'result-mail': { queue: 'notify', data: job({ faxId, recipient }) },
  /** The one report of a broadcast, when its last recipient ended; `key` names that outcome. */
  'summary-mail': { queue: 'notify', data: job({ faxId, key: z.string().regex(/^[a-z0-9]{1,20}$/) }) },
  /** The RFC 3464 "delayed" notice, queued with FAXGATE_NOTIFY_DELAY_WARNING as its delay. */
  'delay-notice': { queue: 'notify', data: job({ faxId }) },
  /** A simulated incoming call offered to a pool (faxgate sim receive); the remote's TIFF is a blob. */
  'receive-call': {
    queue: 'calls',
    data: job({
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
  'poll-received': { queue: 'calls', data: job({ pool: poolName }) },
  /** A received fax to route to its owners through the directory. */
  'route-inbound': { queue: 'inbound', data: job({ inboundId }) },
  /** One delivery (a user's mailbox, or the unaddressed one) of a received fax. */
  'inbound-mail': { queue: 'notify', data: job({ inboundId, delivery }) },
  /** A mail to postmaster@ a fax domain (RFC 5321 §4.5.1), stored as a blob, for the admin. */
  'postmaster-mail': { queue: 'notify', data: job({ postmasterId }) },
  /**
   * One event (an audit line: `eventId` is its stream id) posted to one webhook. The body is
   * built from the records at each try, so the payload holds ids only.
   */
  'webhook-delivery': {
    queue: 'webhooks',
    data: job({
      webhookId: z.string().regex(/^wh[0-9a-f]{16}$/, 'not a webhook id'),
      eventId: z.string().regex(/^\d+-\d+$/, 'not an audit stream id'),
      event: z.string().regex(/^[a-z]+\.[a-z]+$/),
      at: z.string(),
      subject: z.enum(['fax', 'inbound']),
      id: z.string().regex(/^(fx|in)[0-9a-z]{10,40}$/),
      recipient: recipient.optional(),
    }),
  },
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
