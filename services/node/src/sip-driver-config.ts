import { readFile } from 'node:fs/promises';
import type { RoleContext } from '@faxgate/runtime';
import type { NodeConfig } from './config.ts';
import { SipLineDriver, type SipDriverOptions } from './sip-line-driver.ts';
import { parsePortRange } from './sip-media-ports.ts';

type ReadText = (path: string) => Promise<string>;
const readText: ReadText = (p) => readFile(p, 'utf8');

function hostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  return { host: v.slice(0, i), port: Number(v.slice(i + 1)) };
}

/**
 * SIP over TLS: the node's certificate and key and the CAs it trusts, read from files (mounted
 * Kubernetes secrets); a node set to `tls` without a certificate refuses to start.
 */
async function tlsFiles(config: NodeConfig, read: ReadText): Promise<{ cert: string; key: string; ca?: string }> {
  if (!config.FAXGATE_SIP_TLS_CERT_FILE || !config.FAXGATE_SIP_TLS_KEY_FILE) {
    throw new Error('FAXGATE_SIP_TRANSPORT=tls needs FAXGATE_SIP_TLS_CERT_FILE and FAXGATE_SIP_TLS_KEY_FILE (PEM files: this node\'s certificate and its key)');
  }
  const [cert, key, ca] = await Promise.all([
    read(config.FAXGATE_SIP_TLS_CERT_FILE), read(config.FAXGATE_SIP_TLS_KEY_FILE),
    config.FAXGATE_SIP_TLS_CA_FILE ? read(config.FAXGATE_SIP_TLS_CA_FILE) : undefined,
  ]);
  return { cert, key, ...(ca ? { ca } : {}) };
}

/** The `sip` line driver's options from the node's FAXGATE_SIP_* variables (docs/sip.md). */
export async function sipDriverOptions(config: NodeConfig, ctx: Pick<RoleContext, 'log' | 'nodeId'> & Partial<Pick<RoleContext, 'metrics'>>, read: ReadText = readText): Promise<SipDriverOptions> {
  const password = config.FAXGATE_SIP_PASSWORD_FILE ? (await read(config.FAXGATE_SIP_PASSWORD_FILE)).replace(/\r?\n$/, '') : config.FAXGATE_SIP_PASSWORD;
  const proxy = config.FAXGATE_SIP_OUTBOUND_PROXY ? hostPort(config.FAXGATE_SIP_OUTBOUND_PROXY) : undefined;
  const registrarHost = config.FAXGATE_SIP_REGISTRAR?.replace(/^sips?:/, '').replace(/[:;].*$/, '');
  const domain = config.FAXGATE_SIP_FROM_DOMAIN ?? registrarHost ?? proxy?.host ?? config.FAXGATE_SIP_ADVERTISED_HOST ?? config.FAXGATE_SIP_BIND_HOST;
  const advertised = config.FAXGATE_SIP_ADVERTISED_HOST || config.FAXGATE_SIP_ADVERTISED_PORT
    ? { host: config.FAXGATE_SIP_ADVERTISED_HOST ?? config.FAXGATE_SIP_BIND_HOST, ...(config.FAXGATE_SIP_ADVERTISED_PORT ? { port: Number(config.FAXGATE_SIP_ADVERTISED_PORT) } : {}) }
    : undefined;
  const transport = ({ udp: 'UDP', tcp: 'TCP', tls: 'TLS' } as const)[config.FAXGATE_SIP_TRANSPORT];
  const tls = transport === 'TLS' ? await tlsFiles(config, read) : undefined;
  return {
    sip: {
      bindHost: config.FAXGATE_SIP_BIND_HOST,
      bindPort: config.FAXGATE_SIP_PORT,
      transport,
      ...(tls ? { tls } : {}),
      user: config.FAXGATE_SIP_USERNAME,
      domain,
      userAgent: 'faxgate',
      t38WaitMs: config.FAXGATE_SIP_T38_WAIT,
      ringTimeoutMs: config.FAXGATE_SIP_RING_TIMEOUT,
      registerExpires: config.FAXGATE_SIP_REGISTER_EXPIRES,
      media: config.FAXGATE_SIP_MEDIA,
      ...(advertised ? { advertised } : {}),
      ...(proxy ? { outboundProxy: proxy } : {}),
      ...(config.FAXGATE_SIP_REGISTRAR ? { registrar: config.FAXGATE_SIP_REGISTRAR } : {}),
      ...(password !== undefined ? { credentials: { username: config.FAXGATE_SIP_USERNAME, password } } : {}),
    },
    dialFormat: config.FAXGATE_SIP_DIAL_FORMAT,
    ...(config.FAXGATE_SIP_CALLER_ID ? { callerId: config.FAXGATE_SIP_CALLER_ID } : {}),
    ...(config.FAXGATE_SIP_ASSERTED_IDENTITY ? { assertedIdentity: /^(sips?|tel):/.test(config.FAXGATE_SIP_ASSERTED_IDENTITY) ? config.FAXGATE_SIP_ASSERTED_IDENTITY : `sip:${config.FAXGATE_SIP_ASSERTED_IDENTITY}@${domain}` } : {}),
    ...(config.FAXGATE_SIP_MEDIA_PORTS === 'any' ? {} : { mediaPorts: parsePortRange(config.FAXGATE_SIP_MEDIA_PORTS) }),
    maxCalls: config.FAXGATE_SIP_MAX_CALLS || config.FAXGATE_NODE_LINES,
    callsPerSecond: config.FAXGATE_SIP_CALLS_PER_SECOND,
    localId: config.FAXGATE_T38_LOCAL_ID,
    ecm: config.FAXGATE_T38_ECM,
    redundancy: config.FAXGATE_T38_REDUNDANCY,
    country: config.FAXGATE_DEFAULT_COUNTRY,
    line: `${config.FAXGATE_NODE_POOL}/${ctx.nodeId}/sip`,
    keepAliveMs: config.FAXGATE_SIP_KEEPALIVE,
    log: ctx.log,
    ...(ctx.metrics ? { onFinalResponse: (direction: 'outgoing' | 'incoming', code: string) => ctx.metrics!.sipCalls.inc({ pool: config.FAXGATE_NODE_POOL, direction, code }) } : {}),
  };
}

/** The `sip` line driver of a node. */
export async function createSipDriver(config: NodeConfig, ctx: Pick<RoleContext, 'log' | 'nodeId'> & Partial<Pick<RoleContext, 'metrics'>>, read: ReadText = readText): Promise<SipLineDriver> {
  return new SipLineDriver(await sipDriverOptions(config, ctx, read));
}
