/**
 * Queue names. Renaming one strands every job already queued under the old name: add a new
 * queue and drain the old one instead.
 */
export const QUEUES = {
  /** A stored message to turn into fax pages (one job per message). */
  render: 'render',
  /** Scheduling and retry decisions for each recipient of a fax. */
  dispatch: 'dispatch',
  /** Mails faxgate sends: result mails to senders, received faxes to users. */
  notify: 'notify',
  /** Received faxes to route to their owners. */
  inbound: 'inbound',
  /** Signed HTTP posts of fax events to the webhooks users registered (issue 15). */
  webhooks: 'webhooks',
} as const;

/** Per line pool: the calls waiting for a free line of that pool. */
export function callQueueName(pool: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,40}$/.test(pool)) throw new Error(`invalid pool name "${pool}": use a-z, 0-9 and -`);
  return `calls-${pool}`;
}

export type FixedQueueName = (typeof QUEUES)[keyof typeof QUEUES];
