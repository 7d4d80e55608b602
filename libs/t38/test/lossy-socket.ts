import type { Socket } from 'node:dgram';
import { decodeIfp, type T38Version } from '../src/ifp.ts';
import { decodeUdptl } from '../src/udptl.ts';

export interface LossyLine {
  /** Every n-th counted outgoing datagram is not sent. */
  dropEvery: number;
  /** Count (and so drop) only datagrams whose primary IFP carries high-speed data, leaving V.21 control intact. */
  imageOnly?: boolean;
  /** T.38 version the IFPs are coded in (T.38 Annex A), to read the primary IFP. */
  version?: T38Version;
}

export interface LossyStats {
  sent: number;
  dropped: number;
}

/**
 * A lossy line for the failure-path tests: the socket a T.38 terminal runs on, except that
 * every n-th counted datagram it sends is withheld. The terminal has sequenced and framed the
 * datagram already, so the far end sees a gap in the UDPTL sequence numbers, as after a loss in
 * the network (T.38 §9.1). Everything else is the socket itself.
 */
export function lossySocket(socket: Socket, line: LossyLine, stats: LossyStats = { sent: 0, dropped: 0 }): Socket {
  let counted = 0;
  const isImage = (datagram: Uint8Array) => {
    const ifp = decodeIfp(decodeUdptl(datagram).primary, line.version ?? 0);
    return ifp.type === 'data' && ifp.dataType !== 'v21';
  };
  const send = (msg: Uint8Array, ...rest: unknown[]) => {
    stats.sent++;
    if (!line.imageOnly || isImage(msg)) {
      counted++;
      if (counted % line.dropEvery === 0) {
        stats.dropped++;
        return;
      }
    }
    (socket.send as (...a: unknown[]) => void)(msg, ...rest);
  };
  return new Proxy(socket, {
    get(target, prop) {
      if (prop === 'send') return send;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}
