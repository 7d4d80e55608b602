import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * FaxPress-style inclusion and exclusion lists for senders (`user@example.com` or
 * `@example.com`), and the client networks that may send without authenticating.
 */
export class SenderPolicy {
  private readonly allow: string[];
  private readonly deny: string[];
  private readonly networks: BlockList | undefined;
  /** The client networks as the admin wrote them, with `host` expanded (for the start-up log). */
  readonly networkList: string[];

  /**
   * `networks` lists CIDR networks and addresses, `host` and `any`. Empty means `host`, as
   * Postfix's `mynetworks_style = host`: this machine only. `host` is the loopback addresses
   * 127.0.0.1 and ::1 and the machine's own interface addresses, not all of 127.0.0.0/8:
   * nothing on a normal host sends from 127.0.0.2, and treating it as remote is what lets a
   * test look like an outside client from the same machine (list 127.0.0.0/8 to trust it).
   */
  constructor(opts: { allow: string[]; deny: string[]; networks: string[] }) {
    this.allow = opts.allow.map((s) => s.toLowerCase());
    this.deny = opts.deny.map((s) => s.toLowerCase());
    const entries = opts.networks.length ? opts.networks : ['host'];
    if (entries.some((e) => e.toLowerCase() === 'any')) {
      this.networks = undefined;
      this.networkList = ['any'];
      return;
    }
    this.networks = new BlockList();
    this.networkList = [];
    for (const entry of entries) {
      const cidrs = entry.toLowerCase() === 'host' ? hostAddresses() : [entry];
      for (const cidr of cidrs) {
        const [addr, bits] = cidr.split('/');
        const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
        const max = family === 'ipv6' ? 128 : 32;
        const prefix = bits === undefined ? max : Number(bits);
        if (!isIP(addr) || !Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`FAXGATE_SMTP_CLIENT_NETWORKS: "${cidr}" is not an address, a CIDR network, \`host\` or \`any\``);
        this.networks.addSubnet(addr, prefix, family);
        this.networkList.push(bits === undefined ? addr : cidr);
      }
    }
  }

  /** Undefined when the sender may fax, else the reason. */
  checkSender(address: string): string | undefined {
    const a = address.toLowerCase();
    if (!a) return 'the null sender cannot receive result mails';
    const domain = `@${a.split('@').pop()}`;
    if (this.deny.includes(a) || this.deny.includes(domain)) return `${address} is on the deny list`;
    if (this.allow.length && !this.allow.includes(a) && !this.allow.includes(domain)) return `${address} is not on the allow list`;
    return undefined;
  }

  /** Whether a client address may send without authenticating. */
  clientAllowed(remoteAddress: string): boolean {
    if (!this.networks) return true;
    const addr = remoteAddress.replace(/^::ffff:/, '');
    if (!isIP(addr)) return false;
    return this.networks.check(addr, isIP(addr) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * Whether the client is in a network the admin listed (or this host): its senders count as
   * verified for result mails. Under `any` nobody is, since everybody is let in.
   */
  clientTrusted(remoteAddress: string): boolean {
    return this.networks !== undefined && this.clientAllowed(remoteAddress);
  }

  /** Whether only this machine may send without authenticating (the SMTP listen default follows). */
  get hostOnly(): boolean {
    return this.networks !== undefined && this.networkList.every((a) => hostAddresses().includes(a));
  }
}

/** Whether one entry of FAXGATE_SMTP_CLIENT_NETWORKS is `host`, `any`, an address or a CIDR network. */
export function isClientNetworkEntry(entry: string): boolean {
  if (['host', 'any'].includes(entry.toLowerCase())) return true;
  const [addr, bits, ...rest] = entry.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
}

/** This machine's addresses: loopback and every interface address (IPv6 link-local scope dropped). */
function hostAddresses(): string[] {
  const found = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) found.add(a.address.replace(/%.*$/, ''));
  return [...found];
}
