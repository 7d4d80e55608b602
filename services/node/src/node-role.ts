import { join } from 'node:path';
import { defineRole, workerLifecycle, type RoleInstance } from '@faxgate/runtime';
import { nodeSchema, type NodeConfig } from './config.ts';
import { LinePool } from './line-pool.ts';
import { SimLineDriver } from './sim-line-driver.ts';
import { createHylafaxDriver } from './hylafax-driver.ts';
import { T38LineDriver } from './t38-line-driver.ts';
import { createSipDriver } from './sip-driver-config.ts';
import { createClass1Driver } from './class1-driver-config.ts';
import type { LineDriver } from '@faxgate/line-driver';
import { parseSimRules } from './sim-outcome-rules.ts';
import { createCallWorker } from './call-worker.ts';
import { derived, pick } from '@faxgate/config';
import { dialFields, dialRulesFromConfig } from '@faxgate/phone';
import { QuietHours } from '@faxgate/quiet-hours';
import { createReceivedFaxSink } from './received-fax.ts';
import { T38ReceiveListener } from './t38-receive-listener.ts';
import { LineStatusPublisher } from './line-status-publisher.ts';
import { ownPollSchedule } from './poll-schedule.ts';
import { withStationId } from './station-id.ts';

/** node: the daemon next to the lines; takes calls of its pool and runs them on its line driver. */
/** The node role as it runs: its T.38 receive listener, when one is configured, for tests and the banner. */
export interface NodeRoleInstance extends RoleInstance {
  t38: T38ReceiveListener | undefined;
}

export const nodeRole = defineRole({
  name: 'node',
  schema: nodeSchema,
  async build(ctx, parsed): Promise<NodeRoleInstance> {
    const config = withStationId(parsed);
    const pool = config.FAXGATE_NODE_POOL;
    const lines = new LinePool(pool, ctx.nodeId, config.FAXGATE_NODE_LINES);
    const driver: LineDriver = config.FAXGATE_NODE_DRIVER === 'hylafax' ? await createHylafaxDriver(config, ctx) : config.FAXGATE_NODE_DRIVER === 'sip' ? await createSipDriver(config, ctx) : config.FAXGATE_NODE_DRIVER === 't38' ? createT38Driver(config) : config.FAXGATE_NODE_DRIVER === 'class1' ? createClass1Driver(config, ctx, pool) : new SimLineDriver({
      bitRate: config.FAXGATE_SIM_BITRATE,
      timeScale: config.FAXGATE_SIM_TIME_SCALE,
      ringTimeMs: config.FAXGATE_SIM_RING_TIME,
      remoteId: config.FAXGATE_SIM_REMOTE_ID,
      rules: parseSimRules(config.FAXGATE_SIM_OUTCOMES),
      receivedDir: join(ctx.blobs.root, 'sim-received'),
      redis: ctx.redis,
      counterPrefix: ctx.base.FAXGATE_QUEUE_PREFIX,
    });
    const calls = createCallWorker(ctx, pool, lines, driver, { maxCallsPerDestination: config.FAXGATE_DESTINATION_MAX_CALLS, ...(config.FAXGATE_BATCH_ENABLED ? { batch: { maxFaxes: config.FAXGATE_BATCH_MAX_FAXES, maxPages: config.FAXGATE_BATCH_MAX_PAGES } } : {}), dialRules: derived(() => pick(parsed, Object.keys(dialFields)), () => dialRulesFromConfig(parsed)), quietHours: derived(() => pick(parsed, ['FAXGATE_QUIET_HOURS']), () => new QuietHours(parsed.FAXGATE_QUIET_HOURS, ctx.quietHoursClock)) });
    const removeLines = ctx.metrics.addLineSource({ pool, total: () => lines.size, busy: () => lines.busy.size });
    const life = workerLifecycle(calls.workers, ctx.log, ctx.metrics);
    const status = new LineStatusPublisher({
      redis: ctx.redis, prefix: ctx.base.FAXGATE_QUEUE_PREFIX, nodeId: ctx.nodeId, pool, lines, log: ctx.log,
      ...(driver.lineStates ? { deviceLines: () => driver.lineStates!() } : {}),
      ...(driver.sipCallStates ? { sipCalls: () => driver.sipCallStates!() } : {}),
      ...(driver.incomingCalls ? { incomingCalls: () => driver.incomingCalls!() } : {}),
      onDrain: async (drain) => {
        await Promise.all(calls.workers.map((w) => (drain ? w.pause(true) : w.resume())));
      },
      drainSettleMs: (calls.workers[0].opts.drainDelay ?? 5) * 1000 + 1500,
    });
    // Drivers fed by a fax server's receive queue: the elected leader owns the pool's poll schedule.
    const polls = driver.pollIntervalMs === undefined ? undefined : ownPollSchedule({ ctx, pool, intervalMs: driver.pollIntervalMs });
    let stopListening: (() => Promise<void>) | undefined;
    const t38 = config.FAXGATE_T38_RECEIVE_PORT === undefined ? undefined : new T38ReceiveListener({
      host: config.FAXGATE_T38_RECEIVE_HOST,
      port: Number(config.FAXGATE_T38_RECEIVE_PORT),
      did: config.FAXGATE_T38_RECEIVE_DID,
      localId: config.FAXGATE_T38_LOCAL_ID,
      line: `${pool}/${ctx.nodeId}/t38-rx`,
      log: ctx.log,
      sink: createReceivedFaxSink(ctx, pool),
    });
    return {
      ...life,
      async start() {
        await life.start();
        await t38?.start();
        // Drivers that answer calls by themselves hand each received fax to the same sink.
        stopListening = await driver.listen?.(createReceivedFaxSink(ctx, pool));
        await polls?.start();
        await status.start();
      },
      async stop() {
        await polls?.stop();
        await stopListening?.();
        await t38?.stop();
        await life.stop();
        await status.stop();
        removeLines();
      },
      t38,
      describe: () => [`lines     pool ${pool}: ${lines.size} ${driver.name} line(s)`, ...(t38 ? [`t38 rx    udptl ${config.FAXGATE_T38_RECEIVE_HOST}:${t38.port} (DID ${config.FAXGATE_T38_RECEIVE_DID})`] : [])],
    };
  },
});

function createT38Driver(config: NodeConfig): LineDriver {
  if (!config.FAXGATE_T38_PEER) throw new Error('FAXGATE_NODE_DRIVER=t38 needs FAXGATE_T38_PEER (host:port of the far end)');
  const [host, port] = [config.FAXGATE_T38_PEER.slice(0, config.FAXGATE_T38_PEER.lastIndexOf(':')), Number(config.FAXGATE_T38_PEER.slice(config.FAXGATE_T38_PEER.lastIndexOf(':') + 1))];
  return new T38LineDriver({ peer: { host, port }, bindHost: config.FAXGATE_T38_RECEIVE_HOST, localId: config.FAXGATE_T38_LOCAL_ID, ecm: config.FAXGATE_T38_ECM, redundancy: config.FAXGATE_T38_REDUNDANCY });
}
