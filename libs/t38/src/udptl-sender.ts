import { encodeUdptl } from './udptl.ts';

/**
 * Numbers outgoing IFPs and attaches the last `redundancy` IFPs to each datagram
 * (T.38 §9.1 redundancy form), so the receiver can rebuild up to that many lost in a row.
 */
export class UdptlSender {
  private seq: number;
  private readonly history: Uint8Array[] = [];
  private readonly redundancy: number;

  constructor(redundancy = 3, firstSeq = 0) {
    this.redundancy = redundancy;
    this.seq = firstSeq & 0xffff;
  }

  /** Returns the datagram carrying `ifp` as primary. */
  frame(ifp: Uint8Array): Uint8Array {
    // history never holds more than `redundancy` IFPs, most recent first
    const datagram = encodeUdptl({ seq: this.seq, primary: ifp, secondary: this.history });
    this.seq = (this.seq + 1) & 0xffff;
    if (this.redundancy > 0) {
      if (this.history.length >= this.redundancy) this.history.pop();
      this.history.unshift(ifp);
    }
    return datagram;
  }
}
