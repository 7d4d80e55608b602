import { createSocket, type Socket } from 'node:dgram';

/**
 * Ports one call takes from the range: RTP on an even port p (RFC 3550 §11: RTP on an even
 * port, its RTCP on the next odd one), p+1 kept free for the far end's RTCP (RFC 3605 §2.1: an
 * SDP without a=rtcp implies RTP port + 1), UDPTL on p+2 (T.38 Annex D; no parity rule) and p+3
 * kept so that every call's block starts on an even port.
 */
export const PORTS_PER_CALL = 4;

/** Thrown when every block of the range is held by a call (or by another process). */
export class MediaPortsExhausted extends Error {
  constructor(range: MediaPortRange) {
    super(`no media ports free in FAXGATE_SIP_MEDIA_PORTS ${range.first}-${range.last} (room for ${range.calls} call${range.calls === 1 ? '' : 's'} of ${PORTS_PER_CALL} ports each, all in use)`);
    this.name = 'MediaPortsExhausted';
  }
}

/** `first-last` as FAXGATE_SIP_MEDIA_PORTS writes it. */
export function parsePortRange(v: string): { first: number; last: number } {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(v.trim());
  if (!m) throw new Error(`a port range is first-last, e.g. 20000-20999, not ${JSON.stringify(v)}`);
  return { first: Number(m[1]), last: Number(m[2]) };
}

function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind(port, host, () => {
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

/** The RTP and UDPTL sockets of one call, bound in the range until release(). */
export interface MediaPortBlock {
  rtp: Socket;
  udptl: Socket;
  release(): void;
}

/**
 * The node's media port range (carriers and firewalls open a fixed range for RTP and UDPTL).
 * Each call takes a block of PORTS_PER_CALL ports; the search starts after the last block
 * handed out, so a port just freed is the last to be reused (late packets of an ended call do
 * not land in a new one) while a range of one block is reused at once. A block is held from
 * take to release, so concurrent calls in this process never share a port; a port held by
 * another process fails to bind and the next block is tried.
 */
export class MediaPortRange {
  readonly first: number;
  readonly last: number;
  /** Blocks that fit between first (rounded up to even) and last. */
  readonly calls: number;
  private readonly base: number;
  private readonly held = new Set<number>();
  private cursor = 0;

  constructor(first: number, last: number) {
    this.first = first;
    this.last = last;
    this.base = first % 2 === 0 ? first : first + 1;
    this.calls = Math.max(0, Math.floor((last - this.base + 1) / PORTS_PER_CALL));
  }

  /** Blocks held by running calls now. */
  get inUse(): number {
    return this.held.size;
  }

  /** Binds a free block's RTP and UDPTL ports on `host`; MediaPortsExhausted if none is free. */
  async take(host: string): Promise<MediaPortBlock> {
    for (let tried = 0; tried < this.calls; tried++) {
      const i = (this.cursor + tried) % this.calls;
      if (this.held.has(i)) continue;
      // Held before the first await, so a call starting meanwhile skips it.
      this.held.add(i);
      const p = this.base + i * PORTS_PER_CALL;
      let rtp: Socket | undefined;
      try {
        rtp = await bindUdp(host, p);
        const udptl = await bindUdp(host, p + 2);
        this.cursor = (i + 1) % this.calls;
        let released = false;
        return {
          rtp, udptl,
          release: () => {
            if (released) return;
            released = true;
            this.held.delete(i);
          },
        };
      } catch (err) {
        rtp?.close();
        this.held.delete(i);
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw new MediaPortsExhausted(this);
  }
}
