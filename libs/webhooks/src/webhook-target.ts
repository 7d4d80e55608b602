import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may not reach unless the admin allows private targets
 * (FAXGATE_WEBHOOK_ALLOW_PRIVATE): a URL given through the API must not turn the gateway into a
 * proxy into its own network (SSRF). RFC 6890 special-purpose ranges: loopback, RFC 1918
 * private, link-local (cloud metadata at 169.254.169.254), CGNAT, "this network", multicast and
 * reserved; IPv6 loopback, unique-local, link-local, multicast and IPv4-mapped forms of the above.
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) blocked.addSubnet(net, bits, 'ipv6');

/** Whether an IP address is loopback, private, link-local or otherwise not on the public Internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPrivateAddress(mapped[1]);
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) return blocked.check(address, 'ipv6');
  return true;
}

/** Why a webhook URL cannot be used, or undefined when its form is fine (http or https, a host, no credentials). */
export function urlProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `"${raw}" is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `only http and https URLs can receive webhooks, not ${u.protocol}`;
  if (u.username || u.password) return 'a webhook URL carries no credentials: verify the Faxgate-Signature header instead';
  if (!u.hostname) return 'the URL has no host';
  return undefined;
}

export class WebhookTargetError extends Error {
  override name = 'WebhookTargetError';
}

/**
 * Resolves the URL's host and refuses it when any of its addresses is private (unless allowed),
 * returning the address to connect to. Delivery connects to exactly this address (a DNS answer
 * that changes between the check and the connection cannot redirect it: DNS rebinding).
 */
export async function resolveTarget(raw: string, allowPrivate: boolean): Promise<{ url: URL; address: string; family: number }> {
  const problem = urlProblem(raw);
  if (problem) throw new WebhookTargetError(problem);
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addrs: { address: string; family: number }[];
  if (isIP(host)) addrs = [{ address: host, family: isIP(host) }];
  else {
    try {
      addrs = await lookup(host, { all: true });
    } catch (err) {
      throw new WebhookTargetError(`the host ${host} cannot be resolved (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (addrs.length === 0) throw new WebhookTargetError(`the host ${host} has no address`);
  if (!allowPrivate) {
    const bad = addrs.find((a) => isPrivateAddress(a.address));
    if (bad) throw new WebhookTargetError(`${host} is a private or loopback address (${bad.address}); webhooks go to public hosts unless the admin sets FAXGATE_WEBHOOK_ALLOW_PRIVATE=true`);
  }
  return { url, ...addrs[0] };
}
