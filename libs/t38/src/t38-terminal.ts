// A T.38 terminal (T.38 §3, an Internet-aware fax device): runs a sans-IO T.30 engine over
// UDPTL on a socket it is given, pacing every signal as the modem it stands for would take on a
// PSTN line (T.38 §6, data rate management method 2 by default: TCF is transferred, not
// generated locally). The node's T.38 line driver (services/node/src/t38-line-driver.ts) and the
// `faxgate t38` command place calls with it.
import type { Socket, RemoteInfo } from 'node:dgram';
import { reverseBits, type T30Result, type Modulation, type T30Action, type T30Engine, type T30Event, type TimerName } from '@faxgate/t30';
import { encodeIfp, decodeIfp, type DataType, type IfpPacket, type T38Version } from './ifp.ts';
import { UdptlReceiver, type UdptlDelivery } from './udptl-receiver.ts';
import { UdptlSender } from './udptl-sender.ts';
import {
  CED_MS, INTER_SIGNAL_GAP_MS, V21_PREAMBLE_MS, dataTypeOf, modulationOfDataType, modulationOfTraining, trainingIndicatorOf,
  trainingMs,
} from './modem-signals.ts';

export interface T38TerminalOptions {
  socket: Socket;
  /** Far end; undefined to learn it from the first datagram (the answering side). */
  peer?: { host: string; port: number };
  engine: T30Engine;
  /** Calling stations announce themselves with CNG, called ones with CED (T.30 §4.4). */
  calling: boolean;
  /** Earlier IFPs carried in each datagram (T.38 §9.1 redundancy). Default 3. */
  redundancy?: number;
  version?: T38Version;
  /**
   * T.38 §6.2 data rate management: 2 (default) transfers TCF over IP; 1 sends only the
   * training indicator and has the receiving side generate the TCF it would have heard.
   */
  rateManagement?: 1 | 2;
  /** Copies of each indicator IFP, for lines without redundancy (T.38 §9.1 note). Default 1. */
  indicatorRepeats?: number;
  log?: (line: string) => void;
  onAction?: (action: T30Action) => void;
}

/** How long packets behind a gap wait for a reordered one before it is declared lost. */
const REORDER_WAIT_MS = 60;
/** Image data per IFP: 40 ms worth keeps datagrams small and the pacing smooth. */
const CHUNK_MS = 40;

/**
 * What the pump sends next. An HDLC frame (an ECM block is up to 256 of them, queued at once and
 * sent over seconds) stays the engine's frame until its turn: its T.38 packet is built then, so
 * a thousand calls' queued blocks are not also held as bit-reversed copies and packets that
 * outlive the young generation.
 */
type Step =
  | { kind: 'ifp'; packet: IfpPacket }
  | { kind: 'hdlc'; dataType: DataType; frame: Uint8Array; last: boolean }
  | { kind: 'wait'; ms: number };

/** Drives one call; `run()` resolves with the engine's result once the last frame is out. */
export class T38Terminal {
  private readonly o: T38TerminalOptions;
  private readonly udptlTx: UdptlSender;
  /** Packets behind a gap wait for up to 3 more datagrams or REORDER_WAIT_MS (T.38 §9.1 reordering). */
  private readonly udptlRx = new UdptlReceiver(3);
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly version: T38Version;
  private peer: { host: string; port: number } | undefined;
  private readonly timers = new Map<TimerName, NodeJS.Timeout>();
  private readonly queue: Step[] = [];
  private pumping = false;
  private lastTxEnd = 0;
  private result: T30Result | undefined;
  private resolveRun: ((r: T30Result) => void) | undefined;
  // receive side
  /** The frame being received, bit-reversed already, in the pieces the IFPs brought. */
  private hdlcBuf: Uint8Array[] = [];
  private hdlcCorrupt = false;
  private rxModulation: Modulation | undefined;
  private inImage = false;
  private lastRxIndicator: string | undefined;
  private lastRxIfp: Uint8Array | undefined;
  /** Method 1: a DCS was heard, so the next training stands for TCF. */
  private expectTcf = false;
  private pendingTraining: { modulation: Modulation; at: number; gotData: boolean } | undefined;
  private started = false;
  readonly stats = { datagramsSent: 0 };

  constructor(o: T38TerminalOptions) {
    this.o = o;
    this.udptlTx = new UdptlSender(o.redundancy ?? 3);
    this.version = o.version ?? 0;
    this.peer = o.peer;
  }

  get udptlStats(): UdptlReceiver['stats'] {
    return this.udptlRx.stats;
  }

  run(): Promise<T30Result> {
    return new Promise((resolve) => {
      this.resolveRun = resolve;
      this.o.socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onDatagram(msg, rinfo));
      // A far end that is not (yet) listening is the T.30 timers' business, not a crash.
      this.o.socket.on('error', (e: Error) => this.o.log?.(`udp: ${e.message}`));
      if (this.peer) this.begin();
    });
  }

  /**
   * Ends the call from this side (an operator cancelled it): what was still queued for the line
   * is dropped and the engine's DCN goes out next; `run()` then resolves as usual.
   */
  abort(): void {
    if (this.result) return;
    this.queue.length = 0;
    if (!this.started) {
      this.feed({ type: 'abort' });
      this.maybeFinish();
      return;
    }
    this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'no-signal' } });
    this.feed({ type: 'abort' });
    this.pump();
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    if (this.o.calling) {
      this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'cng' } });
    } else {
      this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'ced' } }, { kind: 'wait', ms: CED_MS });
      this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'no-signal' } }, { kind: 'wait', ms: INTER_SIGNAL_GAP_MS });
    }
    this.pump();
    this.feed({ type: 'start' });
  }

  private feed(event: T30Event): void {
    if (this.result) return;
    for (const action of this.o.engine.handle(event)) this.perform(action);
  }

  private perform(a: T30Action): void {
    this.o.onAction?.(a);
    switch (a.type) {
      case 'log':
        this.o.log?.(a.text);
        break;
      case 'start-timer': {
        this.clearTimer(a.name);
        this.timers.set(a.name, setTimeout(() => {
          this.timers.delete(a.name);
          this.feed({ type: 'timer', name: a.name });
        }, a.ms));
        break;
      }
      case 'stop-timer':
        this.clearTimer(a.name);
        break;
      case 'send-hdlc':
        this.queueHdlc(a.frames, a.modulation);
        break;
      case 'send-tcf':
        if (this.o.rateManagement === 1) this.queueLocalTcf(a.modulation, a.ms);
        else this.queueImage(a.modulation, new Uint8Array(Math.round((a.modulation.bps * a.ms) / 8000)), true);
        break;
      case 'send-image':
        this.queueImage(a.modulation, a.data, false);
        break;
      case 'page-received':
        break;
      case 'call-ended':
        this.result = a.result;
        for (const name of [...this.timers.keys()]) this.clearTimer(name);
        if (this.flushTimer) clearTimeout(this.flushTimer);
        this.flushTimer = undefined;
        this.maybeFinish();
        break;
    }
  }

  private clearTimer(name: TimerName): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
  }

  private gap(): void {
    this.queue.push({ kind: 'wait', ms: INTER_SIGNAL_GAP_MS });
  }

  private queueHdlc(frames: Uint8Array[], modulation: Modulation | undefined): void {
    this.gap();
    const bps = modulation ? modulation.bps : 300;
    const dataType = modulation ? dataTypeOf(modulation) : 'v21';
    if (modulation) {
      this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: trainingIndicatorOf(modulation, false) } });
      this.queue.push({ kind: 'wait', ms: trainingMs(modulation, false) });
    } else {
      this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'v21-preamble' } });
      this.queue.push({ kind: 'wait', ms: V21_PREAMBLE_MS });
    }
    frames.forEach((frame, i) => {
      this.queue.push({ kind: 'hdlc', dataType, frame, last: i === frames.length - 1 });
      // flag, frame, FCS at the line rate
      this.queue.push({ kind: 'wait', ms: ((frame.length + 3) * 8 * 1000) / bps });
    });
    this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'no-signal' } });
    this.pump();
  }

  private queueImage(m: Modulation, data: Uint8Array, tcf: boolean): void {
    this.gap();
    this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: trainingIndicatorOf(m, tcf) } });
    this.queue.push({ kind: 'wait', ms: trainingMs(m, tcf) });
    const dataType = dataTypeOf(m);
    const chunk = Math.max(1, Math.round((m.bps * CHUNK_MS) / 8000));
    for (let off = 0; off < data.length; off += chunk) {
      const part = data.subarray(off, off + chunk);
      const last = off + chunk >= data.length;
      this.queue.push({
        kind: 'ifp',
        packet: { type: 'data', dataType, fields: [{ fieldType: last ? 't4-non-ecm-sig-end' : 't4-non-ecm-data', data: part }] },
      });
      this.queue.push({ kind: 'wait', ms: (part.length * 8000) / m.bps });
    }
    if (data.length === 0) {
      this.queue.push({ kind: 'ifp', packet: { type: 'data', dataType, fields: [{ fieldType: 't4-non-ecm-sig-end' }] } });
    }
    this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'no-signal' } });
    this.pump();
  }

  /** T.38 §6.2 method 1: the training indicator, then the time TCF takes, without its data. */
  private queueLocalTcf(m: Modulation, ms: number): void {
    this.gap();
    this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: trainingIndicatorOf(m, true) } });
    this.queue.push({ kind: 'wait', ms: trainingMs(m, true) + ms });
    this.queue.push({ kind: 'ifp', packet: { type: 'indicator', indicator: 'no-signal' } });
    this.pump();
  }

  /**
   * Sends queued IFPs, sleeping for the waits; times are kept against the clock so that
   * timer jitter does not add up over a long page.
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    let due = Math.max(performance.now(), this.lastTxEnd);
    const step = (): void => {
      while (this.queue.length > 0) {
        const s = this.queue.shift() as Step;
        if (s.kind === 'ifp') {
          this.sendIfp(s.packet);
          continue;
        }
        if (s.kind === 'hdlc') {
          // T.38 §7.4: the FCS is not carried; hdlc-fcs-OK stands for a good one. T.38 puts
          // the first bit on the line in the most significant bit, HDLC octets hold it in the least.
          this.sendIfp({
            type: 'data', dataType: s.dataType,
            fields: [{ fieldType: 'hdlc-data', data: reverseBits(s.frame) }, { fieldType: s.last ? 'hdlc-fcs-OK-sig-end' : 'hdlc-fcs-OK' }],
          });
          continue;
        }
        due += s.ms;
        const delay = due - performance.now();
        if (delay > 1) {
          setTimeout(step, delay);
          return;
        }
      }
      this.pumping = false;
      this.lastTxEnd = due;
      if (this.result) this.maybeFinish();
      else this.feed({ type: 'sent' });
    };
    step();
  }

  private sendIfp(packet: IfpPacket): void {
    const copies = packet.type === 'indicator' ? Math.max(1, this.o.indicatorRepeats ?? 1) : 1;
    for (let i = 0; i < copies; i++) this.sendOne(packet);
  }

  private sendOne(packet: IfpPacket): void {
    const datagram = this.udptlTx.frame(encodeIfp(packet, this.version));
    this.stats.datagramsSent++;
    if (this.peer) this.o.socket.send(datagram, this.peer.port, this.peer.host);
  }

  private maybeFinish(): void {
    if (!this.result || this.pumping || this.queue.length > 0) return;
    const r = this.resolveRun;
    this.resolveRun = undefined;
    r?.(this.result);
  }

  private onDatagram(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.peer) {
      this.peer = { host: rinfo.address, port: rinfo.port };
      this.begin();
    }
    this.deliver(this.udptlRx.push(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength)));
    if (this.udptlRx.waiting && !this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        this.deliver(this.udptlRx.flush());
      }, REORDER_WAIT_MS);
    } else if (!this.udptlRx.waiting && this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
  }

  private deliver(deliveries: UdptlDelivery[]): void {
    if (this.result) return;
    for (const d of deliveries) {
      if (d.kind === 'lost') {
        // A lost IFP inside a frame spoils that frame; inside page data it costs rows.
        this.hdlcCorrupt = true;
        continue;
      }
      let packet: IfpPacket;
      try {
        packet = decodeIfp(d.ifp, this.version);
      } catch {
        this.hdlcCorrupt = true;
        continue;
      }
      if (this.isRepeatedEnd(packet, d.ifp)) continue;
      this.onIfp(packet);
    }
  }

  /**
   * Senders repeat the packets that end a signal (spandsp asks for three copies); when the
   * copies carry new sequence numbers only their content shows they are repeats. No two
   * different signals end with byte-identical packets back to back, so such a copy is dropped.
   */
  private isRepeatedEnd(packet: IfpPacket, raw: Uint8Array): boolean {
    const prev = this.lastRxIfp;
    this.lastRxIfp = raw;
    if (packet.type !== 'data' || !prev || prev.length !== raw.length) return false;
    const last = packet.fields[packet.fields.length - 1];
    if (!last || !(last.fieldType.endsWith('sig-end') || last.fieldType.startsWith('hdlc-fcs'))) return false;
    for (let i = 0; i < raw.length; i++) if (raw[i] !== prev[i]) return false;
    return true;
  }

  private onIfp(p: IfpPacket): void {
    if (p.type === 'indicator') {
      // Repeated copies of an indicator (T.38 §9.1 note) announce nothing new.
      if (p.indicator === this.lastRxIndicator) return;
      this.lastRxIndicator = p.indicator;
      this.localTcf();
      // A new signal starts; whatever image data was flowing has ended.
      this.endImage();
      this.hdlcBuf = [];
      this.hdlcCorrupt = false;
      const m = modulationOfTraining(p.indicator);
      if (m && this.expectTcf && this.o.rateManagement === 1) this.pendingTraining = { modulation: m, at: performance.now(), gotData: false };
      return;
    }
    this.lastRxIndicator = undefined;
    if (this.pendingTraining) this.pendingTraining.gotData = true;
    const fast = p.dataType !== 'v21';
    if (fast) this.rxModulation = modulationOfDataType(p.dataType);
    for (const f of p.fields) {
      switch (f.fieldType) {
        case 'hdlc-data':
          if (f.data) this.hdlcBuf.push(reverseBits(f.data));
          break;
        case 'hdlc-fcs-OK':
        case 'hdlc-fcs-BAD':
        case 'hdlc-fcs-OK-sig-end':
        case 'hdlc-fcs-BAD-sig-end': {
          if (f.data) this.hdlcBuf.push(reverseBits(f.data));
          const ok = !this.hdlcCorrupt && f.fieldType.startsWith('hdlc-fcs-OK');
          const frame = this.hdlcBuf.length === 1 ? this.hdlcBuf[0] : concat(this.hdlcBuf);
          this.hdlcBuf = [];
          this.hdlcCorrupt = false;
          if (frame.length > 0) {
            if (!fast) this.expectTcf = frame.length >= 3 && (frame[2] & 0xfe) === 0x82; // DCS (T.30 §5.3.6.1)
            this.feed({ type: 'hdlc', frame, ok, fast });
          }
          break;
        }
        case 'hdlc-sig-end':
          this.hdlcBuf = [];
          this.hdlcCorrupt = false;
          break;
        case 't4-non-ecm-data':
          this.inImage = true;
          if (f.data) this.feed({ type: 'image-data', data: f.data });
          break;
        case 't4-non-ecm-sig-end':
          if (f.data) this.feed({ type: 'image-data', data: f.data });
          this.inImage = true;
          this.endImage();
          break;
        default:
          break;
      }
    }
  }

  /** T.38 §6.2 method 1: stand in for the TCF the far end's modem sent but did not transfer. */
  private localTcf(): void {
    const t = this.pendingTraining;
    this.pendingTraining = undefined;
    if (!t || t.gotData) return;
    this.expectTcf = false;
    const ms = Math.max(0, performance.now() - t.at - trainingMs(t.modulation, true));
    this.feed({ type: 'image-data', data: new Uint8Array(Math.round((t.modulation.bps * ms) / 8000)) });
    this.feed({ type: 'image-end' });
  }

  private endImage(): void {
    if (!this.inImage) return;
    this.inImage = false;
    this.feed({ type: 'image-end' });
  }

  /** The modulation of the last high-speed data received, for statistics. */
  get lastRxModulation(): Modulation | undefined {
    return this.rxModulation;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}
