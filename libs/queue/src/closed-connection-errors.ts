import { RedisConnection } from 'bullmq';

/**
 * A BullMQ connection closed while it was still connecting must not end the process.
 *
 * RedisConnection's constructor chains `init().catch(err => this.emit('error', err))`, and
 * close() removes every listener at once. When a queue or worker is closed before its connection
 * finished connecting (Redis just went away: ingest answers 451 and the role stops), init()
 * rejects afterwards ("Connection is closed." as ioredis flushes the INFO it left queued, or the
 * ECONNREFUSED of the last retry), that emit finds no listener, EventEmitter throws, and the
 * throw becomes an unhandled rejection: the process dies, or a test fails on it (seen about once
 * in 15 runs of smtp-replies' "Redis down" test; upstream: taskforcesh/bullmq#3546, open).
 *
 * An error a connection reports once it is closing has no one left to act on it, so it is
 * dropped there; while the connection is open the behaviour is unchanged (a missing listener
 * still throws, so a forgotten handler is not hidden). Installed once, on the prototype, because
 * a Worker builds its blocking connection with RedisConnection itself (no class can be passed).
 */
const marker = Symbol.for('faxgate.bullmq.closedConnectionErrors');
type Patched = { [marker]?: true; emit: (event: string | symbol, ...args: unknown[]) => boolean };

export function dropErrorsOfClosedConnections(): void {
  const proto = RedisConnection.prototype as unknown as Patched;
  if (proto[marker]) return;
  const emit = proto.emit;
  proto.emit = function (this: RedisConnection & { closing?: unknown; status?: string }, event: string | symbol, ...args: unknown[]) {
    if (event === 'error' && this.listenerCount('error') === 0 && (this.closing || this.status === 'closed')) return false;
    return emit.call(this, event, ...args);
  };
  proto[marker] = true;
}

dropErrorsOfClosedConnections();
