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
    const secondary = this.history.slice(0, this.redundancy);
    const datagram = encodeUdptl({ seq: this.seq, primary: ifp, secondary });
    this.seq = (this.seq + 1) & 0xffff;
    this.history.unshift(ifp);
    if (this.history.length > this.redundancy) this.history.length = this.redundancy;
    return datagram;
  }
}
