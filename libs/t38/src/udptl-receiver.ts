import { decodeUdptl } from './udptl.ts';

export type UdptlDelivery =
  | { kind: 'ifp'; seq: number; ifp: Uint8Array; recovered: boolean }
  | { kind: 'lost'; seq: number };

/** Forward distance from a to b in 16-bit sequence space, in [-32768, 32767]. */
function seqDiff(b: number, a: number): number {
  return ((((b - a) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/**
 * Turns datagrams in arrival order into IFPs in sequence order (T.38 §9.1): drops duplicates
 * and late copies, fills gaps from the secondary IFPs of the redundancy form, and holds
 * packets that arrive ahead of a gap for up to `holdPackets` datagrams in case the missing
 * one was only reordered. `flush()` gives up on any gap still open.
 */
export class UdptlReceiver {
  private expected: number | undefined;
  private readonly held = new Map<number, Uint8Array>();
  private readonly holdPackets: number;
  /** Counters for statistics and tests. */
  readonly stats = { received: 0, duplicates: 0, recovered: 0, lost: 0, malformed: 0 };

  constructor(holdPackets = 0) {
    this.holdPackets = holdPackets;
  }

  /** Accepts one datagram; returns what became deliverable, in order. */
  push(datagram: Uint8Array): UdptlDelivery[] {
    let pkt;
    try {
      pkt = decodeUdptl(datagram);
    } catch {
      this.stats.malformed++;
      return [];
    }
    this.stats.received++;
    if (this.expected === undefined) this.expected = pkt.seq;
    const ahead = seqDiff(pkt.seq, this.expected);
    if (ahead < 0 || this.held.has(pkt.seq)) {
      this.stats.duplicates++;
      return [];
    }
    this.held.set(pkt.seq, pkt.primary);
    // Secondaries rebuild earlier packets; only those not yet delivered or held matter.
    const sec = pkt.secondary ?? [];
    for (let i = 0; i < sec.length; i++) {
      const s = (pkt.seq - 1 - i) & 0xffff;
      if (seqDiff(s, this.expected) < 0) break;
      if (!this.held.has(s)) {
        this.held.set(s, sec[i]);
        this.recoveredSeqs.add(s);
      }
    }
    return this.drain(false);
  }

  /** True while packets wait behind a missing one. */
  get waiting(): boolean {
    return this.held.size > 0;
  }

  /** Declares every gap before the newest held packet lost and delivers what is held. */
  flush(): UdptlDelivery[] {
    return this.drain(true);
  }

  private readonly recoveredSeqs = new Set<number>();

  private drain(force: boolean): UdptlDelivery[] {
    const out: UdptlDelivery[] = [];
    for (;;) {
      if (this.expected === undefined || this.held.size === 0) return out;
      const ifp = this.held.get(this.expected);
      if (ifp) {
        const recovered = this.recoveredSeqs.delete(this.expected);
        if (recovered) this.stats.recovered++;
        out.push({ kind: 'ifp', seq: this.expected, ifp, recovered });
        this.held.delete(this.expected);
        this.expected = (this.expected + 1) & 0xffff;
        continue;
      }
      // A gap: wait while the reorder allowance lasts, unless told to give up.
      let newest = 0;
      for (const s of this.held.keys()) newest = Math.max(newest, seqDiff(s, this.expected));
      if (!force && newest <= this.holdPackets) return out;
      this.stats.lost++;
      out.push({ kind: 'lost', seq: this.expected });
      this.expected = (this.expected + 1) & 0xffff;
    }
  }
}
