import { BlockList, isIP } from 'node:net';

/**
 * FaxPress-style inclusion and exclusion lists for senders (`user@example.com` or
 * `@example.com`), and the client networks that may send without authenticating.
 */
export class SenderPolicy {
  private readonly allow: string[];
  private readonly deny: string[];
  private readonly networks: BlockList | undefined;

  constructor(opts: { allow: string[]; deny: string[]; networks: string[] }) {
    this.allow = opts.allow.map((s) => s.toLowerCase());
    this.deny = opts.deny.map((s) => s.toLowerCase());
    if (opts.networks.length) {
      this.networks = new BlockList();
      for (const cidr of opts.networks) {
        const [addr, bits] = cidr.split('/');
        const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
        if (!isIP(addr)) throw new Error(`FAXGATE_SMTP_CLIENT_NETWORKS: "${cidr}" is not an address or CIDR network`);
        this.networks.addSubnet(addr, Number(bits ?? (family === 'ipv6' ? 128 : 32)), family);
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
    return this.networks.check(addr, isIP(addr) === 6 ? 'ipv6' : 'ipv4');
  }
}
