import type { Redis } from 'ioredis';

/** One line of a node daemon as the console shows it. */
export interface LineState {
  line: string;
  /**
   * starting: a device line being opened and probed; down: a device line that does not work
   * (missing device, modem not answering), retried by its node with backoff. Lines that are
   * call slots (sim, t38, sip, hylafax) are only ever idle or calling.
   */
  state: 'idle' | 'calling' | 'starting' | 'down';
  callId?: string;
  /** The device behind a device line (a modem's tty). */
  device?: string;
  /** Why a down line is down. */
  reason?: string;
  /** The SIP side of the call on a `sip` line (see SipCallState in @faxgate/line-driver). */
  sip?: {
    /** calling: INVITE sent; ringing: a provisional answer (RFC 3261 §13.2.2.1); answered: 200 OK, media not settled; faxing: on `media`. */
    state: 'calling' | 'ringing' | 'answered' | 'faxing';
    /** The SIP Call-ID. */
    callId: string;
    /** Outgoing: the Request-URI dialled; incoming: the caller. */
    remote: string;
    /** `incoming`: the far end called; the line is the call itself, not one of the pool's slots. */
    direction?: 'incoming';
    /** Incoming: the number called. */
    did?: string;
    media?: 't38' | 'audio';
  };
  /** ISO time the line entered this state. */
  since: string;
}

/** What a node daemon publishes about itself, refreshed by its heartbeat. */
export interface NodeLineStatus {
  nodeId: string;
  pool: string;
  /** The node was asked to drain: it takes no new calls and lets running ones finish. */
  draining: boolean;
  lines: LineState[];
  updatedAt: string;
}

/**
 * The Redis keys of line status, shared by the node daemon (writer) and the console (reader):
 * one expiring key per node, so a node that died disappears on its own, an index of node ids,
 * and a drain flag per node that outlives restarts until it is lifted.
 */
export const lineStatusKeys = {
  node: (prefix: string, nodeId: string) => `${prefix}:lines:node:${nodeId}`,
  index: (prefix: string) => `${prefix}:lines:nodes`,
  drain: (prefix: string, nodeId: string) => `${prefix}:lines:drain:${nodeId}`,
};

/** Every node whose heartbeat has not expired; ids whose key expired are dropped from the index. */
export async function readLineStatus(redis: Redis, prefix: string): Promise<NodeLineStatus[]> {
  const ids = await redis.zrange(lineStatusKeys.index(prefix), 0, -1);
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => lineStatusKeys.node(prefix, id)));
  const out: NodeLineStatus[] = [];
  const gone: string[] = [];
  values.forEach((v, i) => {
    if (v) out.push(JSON.parse(v) as NodeLineStatus);
    else gone.push(ids[i]);
  });
  if (gone.length) await redis.zrem(lineStatusKeys.index(prefix), ...gone);
  return out.sort((a, b) => a.pool.localeCompare(b.pool) || a.nodeId.localeCompare(b.nodeId));
}

/** Asks a node to drain (true) or to take calls again (false). */
export async function setNodeDrain(redis: Redis, prefix: string, nodeId: string, drain: boolean): Promise<void> {
  if (drain) await redis.set(lineStatusKeys.drain(prefix, nodeId), new Date().toISOString());
  else await redis.del(lineStatusKeys.drain(prefix, nodeId));
}
