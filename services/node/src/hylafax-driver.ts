import { readFile } from 'node:fs/promises';
import { inboundIdForKey } from '@faxgate/queue';
import { HylafaxLineDriver, type HylafaxConnectOptions, type HylafaxReceiveOptions } from '@faxgate/hylafax';
import type { RoleContext } from '@faxgate/runtime';
import type { NodeConfig } from './config.ts';
import type { LineDriver, ReceivedFaxSink } from '@faxgate/line-driver';

type ReadText = (path: string) => Promise<string>;
const readText: ReadText = (p) => readFile(p, 'utf8');

/** A secret from its file (a mounted secret wins, without its trailing newline) or its variable. */
async function secret(file: string | undefined, value: string | undefined, read: ReadText): Promise<string | undefined> {
  return file ? (await read(file)).replace(/\r?\n$/, '') : value;
}

/** hfaxd login for the `hylafax` line driver, from the node's configuration. */
export async function hylafaxServerOptions(config: NodeConfig, read: ReadText = readText): Promise<HylafaxConnectOptions> {
  if (!config.FAXGATE_HYLAFAX_HOST) throw new Error('FAXGATE_HYLAFAX_HOST is required with FAXGATE_NODE_DRIVER=hylafax');
  const password = await secret(config.FAXGATE_HYLAFAX_PASSWORD_FILE, config.FAXGATE_HYLAFAX_PASSWORD, read);
  const options: HylafaxConnectOptions = { host: config.FAXGATE_HYLAFAX_HOST, port: config.FAXGATE_HYLAFAX_PORT, user: config.FAXGATE_HYLAFAX_USER };
  if (password !== undefined) options.password = password;
  return options;
}

/**
 * The `hylafax` line driver: each call of the pool becomes one job on the HylaFAX server, and
 * each `poll-received` job of the pool (queued by the job scheduler the pool's elected leader
 * owns, see poll-schedule.ts) fetches the server's new received faxes into the node's sink.
 */
export async function createHylafaxDriver(config: NodeConfig, ctx: Pick<RoleContext, 'log'>, read: ReadText = readText): Promise<LineDriver> {
  const server = await hylafaxServerOptions(config, read);
  const adminPassword = await secret(config.FAXGATE_HYLAFAX_ADMIN_PASSWORD_FILE, config.FAXGATE_HYLAFAX_ADMIN_PASSWORD, read);
  const receive: HylafaxReceiveOptions = {
    processed: config.FAXGATE_HYLAFAX_PROCESSED === 'move' ? { action: 'move', directory: '/archive' } : { action: 'delete' },
    ...(adminPassword !== undefined ? { adminPassword } : {}),
    ...(config.FAXGATE_HYLAFAX_DID_CALLID > 0 ? { didCallIdIndex: config.FAXGATE_HYLAFAX_DID_CALLID - 1 } : {}),
  };
  const driver = new HylafaxLineDriver({ server, ...(config.FAXGATE_HYLAFAX_MODEM ? { modem: config.FAXGATE_HYLAFAX_MODEM } : {}), startTimeoutMs: config.FAXGATE_HYLAFAX_START_TIMEOUT, receive });
  return {
    name: driver.name,
    multiDocument: driver.multiDocument,
    pollIntervalMs: config.FAXGATE_HYLAFAX_POLL_INTERVAL,
    send: (call, signal) => driver.send(call, signal),
    recover: (callId, signal) => driver.recover(callId, signal),
    async pollReceived(sink: ReceivedFaxSink) {
      // The recvq file name and receive time make the inbound id: a fax polled twice is one fax.
      const r = await driver.pollReceived((call, outcome, key) => sink(call, outcome, inboundIdForKey(key)));
      if (r.delivered.length || r.failed.length) {
        ctx.log.info({ delivered: r.delivered, failed: r.failed.map((f) => ({ file: f.file, error: f.error.message })), receiving: r.receiving }, 'hylafax recvq polled');
      }
    },
  };
}
