import { createSocket, type Socket } from 'node:dgram';
import { sliceTiff, readTiff } from '@faxgate/fax-image';
import { createT30Engine, type Capabilities, type T30Result, type CompletionCode } from '@faxgate/t30';
import { T38Terminal, tiffDocument } from '@faxgate/t38';
import type { CallOutcome, LineDriver, OutgoingCall, RemoteCapabilities } from '@faxgate/line-driver';

export interface T38DriverOptions {
  /** The far end as host:port (raw UDPTL; SIP call setup is a separate layer). */
  peer: { host: string; port: number };
  bindHost: string;
  /** TSI this node sends (T.30 §5.3.6.2.2), e.g. `+1 212 555 0188`. */
  localId: string;
  ecm: boolean;
  /** Earlier IFPs repeated in each datagram (T.38 §9.1). */
  redundancy: number;
}

/** How long an aborted call may take to send its DCN before the socket is closed. */
const ABORT_DCN_MS = 3_000;

/** T.30 outcomes where no fax machine answered at all: a redial, not a failed transmission. */
const NO_FAX_ANSWER: CompletionCode[] = ['no-dis'];

/**
 * Sends each call as a T.38 terminal over UDPTL with faxgate's own T.30 engine. Every call gets
 * its own UDP socket (one per line), and sends only the pages from `fromPage` on, so a retry
 * after a lost call resumes where the receiver stopped confirming.
 */
export class T38LineDriver implements LineDriver {
  readonly name = 't38';
  /** A batch's faxes go out as separate documents, EOM between them (T.30 §5.3.6.1.7). */
  readonly multiDocument = true;
  private readonly o: T38DriverOptions;
  constructor(o: T38DriverOptions) {
    this.o = o;
  }

  async send(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome> {
    const total = readTiff(call.document).length;
    const pages = call.fromPage > 1 ? sliceTiff(call.document, call.fromPage - 1, total) : call.document;
    // A batched call: the last page of every part but the last ends a document.
    const documentEnds = call.parts ? call.parts.slice(0, -1).map((_, i, all) => all.slice(0, i + 1).reduce((n, p) => n + p.pages, 0) - 1) : undefined;
    const socket = await bind(this.o.bindHost);
    const started = Date.now();
    try {
      const terminal = new T38Terminal({
        socket,
        peer: this.o.peer,
        calling: true,
        redundancy: this.o.redundancy,
        onAction: (a) => {
          if (a.type === 'page-confirmed') call.onPageConfirmed?.(a.confirmed);
        },
        engine: createT30Engine({ role: 'send', localId: this.o.localId, ecm: this.o.ecm, modems: ['v27ter', 'v29', 'v17'], encodings: ['mh', 'mr', 'mmr'], document: tiffDocument(pages, documentEnds), maxBps: call.maxBps }),
      });
      const running = terminal.run();
      // Aborted (a cancelled fax): the terminal sends DCN first (T.30 §5.3.6.1.8), bounded so
      // a line that stopped answering cannot hold the call open.
      const aborted = new Promise<never>((_, reject) => {
        const stop = () => {
          terminal.abort();
          const done = () => reject(new Error('call aborted'));
          void Promise.race([running, new Promise((r) => setTimeout(r, ABORT_DCN_MS))]).then(done, done);
        };
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
      const result = await Promise.race([running, aborted]);
      return toOutcome(result, Date.now() - started);
    } finally {
      socket.close();
    }
  }
}

/** Maps the T.30 completion onto the dispatch retry model (HylaFAX's dials and tries). */
export function toOutcome(r: T30Result, durationMs: number): CallOutcome {
  const last = r.pages[r.pages.length - 1];
  // What destination memory keeps: the CSI, the rate that carried pages, and ECM frames that
  // had to be sent again (T.30 Annex A PPR).
  const remote: RemoteCapabilities = {
    ...(r.remoteId.trim() ? { csi: r.remoteId.trim() } : {}),
    ...(r.remoteCapabilities ? { dis: disSummary(r.remoteCapabilities) } : {}),
    ...(last ? { speed: last.bps } : {}),
    ...(r.trainingFailures?.length ? { trainingFailures: r.trainingFailures } : {}),
    ...(r.pages.some((p) => p.ecm && p.retransmissions > 0) ? { ecmTrouble: true } : {}),
  };
  const base = { pagesSent: r.pages.length, remoteId: r.remoteId.trim() || undefined, durationMs, ...(Object.keys(remote).length ? { remote } : {}) };
  if (r.success) return { ...base, result: 'success' };
  if (NO_FAX_ANSWER.includes(r.code)) return { ...base, result: 'no-answer', reason: r.sentence };
  if (r.code === 'incompatible') return { ...base, result: 'rejected', reason: r.sentence };
  return { ...base, result: r.pages.length > 0 || r.code === 'remote-dcn' || r.code === 'no-response' || r.code === 'post-page-no-response' ? 'no-carrier' : 'failed', reason: r.sentence };
}

/** Rates of each modem (T.30 Table 2 bits 11-14: V.27 ter, V.29, V.17). */
const MODEM_RATES: Record<string, number[]> = { v27ter: [2400, 4800], v29: [7200, 9600], v17: [7200, 9600, 12000, 14400] };
const WIDTH_PELS: Record<string, number> = { A4: 1728, B4: 2048, A3: 2432 };

/** What a DIS offered, as destination memory keeps it. */
export function disSummary(c: Capabilities): NonNullable<RemoteCapabilities['dis']> {
  return {
    rates: [...new Set(c.modems.flatMap((m) => MODEM_RATES[m] ?? []))].sort((a, b) => a - b),
    ecm: c.ecm,
    mr: c.encodings.includes('mr'),
    mmr: c.encodings.includes('mmr'),
    fine: c.resolutions.includes('fine'),
    superfine: c.resolutions.includes('superfine'),
    widths: c.widths.map((w) => WIDTH_PELS[w]).filter((x): x is number => x !== undefined),
  };
}

function bind(host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}
