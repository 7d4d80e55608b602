import { readFile } from 'node:fs/promises';
import { HylafaxLineDriver, type HylafaxConnectOptions } from '@faxgate/hylafax';
import type { NodeConfig } from './config.ts';

/**
 * hfaxd login for the `hylafax` line driver, from the node's configuration. A password file
 * (a mounted secret) wins over the variable; trailing newlines of such files are not part of it.
 */
export async function hylafaxServerOptions(config: NodeConfig, read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8')): Promise<HylafaxConnectOptions> {
  if (!config.FAXGATE_HYLAFAX_HOST) throw new Error('FAXGATE_HYLAFAX_HOST is required with FAXGATE_NODE_DRIVER=hylafax');
  const file = config.FAXGATE_HYLAFAX_PASSWORD_FILE;
  const password = file ? (await read(file)).replace(/\r?\n$/, '') : config.FAXGATE_HYLAFAX_PASSWORD;
  const options: HylafaxConnectOptions = { host: config.FAXGATE_HYLAFAX_HOST, port: config.FAXGATE_HYLAFAX_PORT, user: config.FAXGATE_HYLAFAX_USER };
  if (password !== undefined) options.password = password;
  return options;
}

/** The `hylafax` line driver: each call of the pool becomes one job on the HylaFAX server. */
export async function createHylafaxDriver(config: NodeConfig): Promise<HylafaxLineDriver> {
  const server = await hylafaxServerOptions(config);
  return new HylafaxLineDriver(config.FAXGATE_HYLAFAX_MODEM ? { server, modem: config.FAXGATE_HYLAFAX_MODEM } : { server });
}
