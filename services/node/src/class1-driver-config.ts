import type { RoleContext } from '@faxgate/runtime';
import type { Modem } from '@faxgate/t30';
import type { NodeConfig } from './config.ts';
import { expandDevices, parseCodings } from './class1-config.ts';
import { Class1LineDriver } from './class1-line-driver.ts';

const MODEMS: readonly Modem[] = ['v17', 'v29', 'v27ter'];

/** `;`-separated AT command lists (HylaFAX writes them the same way). */
function commands(text: string): string[] {
  return text.split(';').map((c) => c.trim()).filter((c) => c.length > 0);
}

/** Builds the class1 driver from the node's config (FAXGATE_MODEM_*; docs/modems.md). */
export function createClass1Driver(config: NodeConfig, ctx: Pick<RoleContext, 'log' | 'nodeId' | 'registry'>, pool: string): Class1LineDriver {
  const devices = expandDevices(config.FAXGATE_MODEM_DEVICES);
  if (devices.length === 0) {
    throw new Error(`FAXGATE_NODE_DRIVER=class1: FAXGATE_MODEM_DEVICES ${config.FAXGATE_MODEM_DEVICES.length ? `(${config.FAXGATE_MODEM_DEVICES.join(',')}) matches no device` : 'is empty'}`);
  }
  const bad = config.FAXGATE_MODEM_MODULATIONS.filter((m) => !MODEMS.includes(m as Modem));
  if (bad.length > 0 || config.FAXGATE_MODEM_MODULATIONS.length === 0) throw new Error(`FAXGATE_MODEM_MODULATIONS: ${bad.join(',') || '(empty)'}: use v17, v29, v27ter`);
  return new Class1LineDriver({
    devices,
    linePrefix: `${pool}/${ctx.nodeId}`,
    localId: config.FAXGATE_MODEM_LOCAL_ID,
    ecm: config.FAXGATE_MODEM_ECM,
    modulations: config.FAXGATE_MODEM_MODULATIONS as Modem[],
    encodings: parseCodings(config.FAXGATE_MODEM_CODINGS),
    dialCmd: config.FAXGATE_MODEM_DIAL_CMD,
    dialTimeoutMs: config.FAXGATE_MODEM_DIAL_TIMEOUT,
    resetCmds: commands(config.FAXGATE_MODEM_RESET_CMDS),
    initCmds: commands(config.FAXGATE_MODEM_INIT_CMDS),
    answer: config.FAXGATE_MODEM_ANSWER,
    rings: config.FAXGATE_MODEM_RINGS,
    did: config.FAXGATE_MODEM_DID,
    quirks: {
      switchingCmd: config.FAXGATE_MODEM_SWITCHING_CMD,
      tcfWaitCmd: config.FAXGATE_MODEM_TCF_WAIT_CMD,
      ppmWaitCmd: config.FAXGATE_MODEM_PPM_WAIT_CMD,
      tmConnectDelayMs: config.FAXGATE_MODEM_CONNECT_DELAY,
      tcfRecvTimeoutMs: config.FAXGATE_MODEM_TCF_RECV_TIMEOUT,
    },
    checkIntervalMs: config.FAXGATE_MODEM_CHECK_INTERVAL,
    log: ctx.log,
    registry: ctx.registry,
  });
}
