// T.30 §5 (Figure 5-2): the called station that receives a document, phases B–E, with
// T.30 Annex A error correction.
import { EngineCore, pageStats } from './engine-core.ts';
import { buildDis, parseDcs, rateOf, type Capabilities, type SessionParams } from './dis.ts';
import { FCF, FCF2_NULL, fcfBase, fcfName } from './fcf.ts';
import type { T30Frame } from './hdlc-frame.ts';
import { decodeIdent, encodeIdent } from './ident.ts';
import { modulationName } from './modulation.ts';
import { buildPprMap, longestPartialPageMs, reverseBits } from './ecm.ts';
import { TIMER_MS, type PageStats, type T30Config, type TimerName } from './types.ts';

/**
 * 'wait-command': ECM, the partial page (or its retransmission) did not come within T2, so we
 * listen for the command that follows it instead (see missedMessage()).
 */
type State = 'wait-dcs' | 'wait-tcf' | 'wait-page' | 'rx-page' | 'wait-command' | 'wait-post-page' | 'wait-dcn';

/** Receiving half of the engine: call `handle()` with events, perform the returned actions. */
export class T30Receiver extends EngineCore {
  private state: State = 'wait-dcs';
  private tcf: Uint8Array[] = [];
  private pageChunks: Uint8Array[] = [];
  private pageIndex = 0;
  private lastResponse: Array<[number, Uint8Array | number[]]> | undefined;
  private allDone = false;
  /** Our last answer to training was FTT: a caller that gives up now gave up on training. */
  private lastTrainingFailed = false;
  private retransmissions = 0;
  // ECM: frames of the current partial page, and the page assembled so far
  private blockFrames = new Map<number, Uint8Array>();
  /**
   * Frames in the current partial page: the largest count any of its PPS announced. T.30 §A.4
   * leaves it open whether a PPS after a retransmission counts the partial page or only the
   * frames resent (spandsp sends the latter), so a smaller count never shrinks the block.
   */
  private blockFrameCount = 0;
  private ecmPage: Uint8Array[] = [];
  /** Page and block counters of the partial page last confirmed, to spot a repeated PPS. */
  private lastCommitted: string | undefined;
  private ecmFrameErrors = 0;

  constructor(config: T30Config) {
    super(config);
    this.xBit = 0;
  }

  private get capabilities(): Capabilities {
    const c = this.config;
    return {
      readyToReceive: true,
      modems: c.modems,
      resolutions: c.resolutions ?? ['standard', 'fine', 'superfine'],
      encodings: c.ecm ? c.encodings : c.encodings.filter((e) => e !== 'mmr'),
      widths: ['A4'],
      lengths: ['A4', 'B4', 'unlimited'],
      minScanLineMs: 0,
      ecm: c.ecm,
      prefers64: c.ecmFrameSize === 64,
      t38: true,
      subaddressing: true,
      password: true,
    };
  }

  protected onStart(): void {
    this.startTimer('T1');
    this.sendDis();
  }

  /** T.30 §5.3.2.1: CSI and DIS, repeated every T4 until a command arrives or T1 expires. */
  private sendDis(): void {
    this.state = 'wait-dcs';
    this.sendFrames(
      [
        [FCF.CSI, encodeIdent(this.config.localId)],
        [FCF.DIS, buildDis(this.capabilities)],
      ],
      'T4',
    );
  }

  private respond(frames: Array<[number, Uint8Array | number[]]>, timer?: TimerName): void {
    this.lastResponse = frames;
    this.sendFrames(frames, timer);
  }

  protected override onBadFrame(f: T30Frame): void {
    // T.30 §5.3.6.1.8: CRP asks for a command received with errors
    if (f.final && this.state !== 'rx-page') this.sendFrames([[FCF.CRP, []]]);
  }

  protected onFrames(frames: T30Frame[]): void {
    const last = frames[frames.length - 1];
    const fcf = fcfBase(last.fcf);
    for (const f of frames) {
      const code = fcfBase(f.fcf);
      if (code === FCF.TSI) this.remoteId = decodeIdent(f.fif);
      // T.30 §5.3.6.2.6–7: SUB and SID share TSI's digit format
      if (code === FCF.SUB) this.subaddress = decodeIdent(f.fif);
      if (code === FCF.SID) this.senderId = decodeIdent(f.fif);
    }
    if (fcf === FCF.DCN) {
      this.end(this.allDone ? 'ok' : this.lastTrainingFailed && this.state === 'wait-dcs' ? 'training-failed' : 'remote-dcn', false);
      return;
    }
    if (fcf === FCF.DCS) {
      this.onDcs(last.fif);
      return;
    }
    if (fcf === FCF.CRP && this.lastResponse) {
      this.sendFrames(this.lastResponse);
      return;
    }
    const p = this.params;
    if (!p) return;
    if (fcf === FCF.PPS && p.ecm) {
      this.onPps(last.fif);
      return;
    }
    if (fcf === FCF.CTC && p.ecm) {
      const m = rateOf(last.fif);
      if (m) p.modulation = m;
      this.log(`CTC: continuing at ${modulationName(p.modulation)}`);
      this.respond([[FCF.CTR, []]]);
      return;
    }
    if (fcf === FCF.EOR && p.ecm) {
      // T.30 §A.4.3: keep what arrived of the partial page, answer ERR
      this.stopTimer('T2');
      this.commitBlock(`eor:${this.pageIndex}`);
      const fcf2 = fcfBase(last.fif[0] ?? 0);
      this.respond([[FCF.ERR, []]], undefined);
      if (fcf2 !== FCF2_NULL) this.pageComplete(fcf2, true);
      else this.waitPage();
      return;
    }
    if (fcf === FCF.RR && this.lastResponse) {
      this.sendFrames(this.lastResponse);
      return;
    }
    if (fcf === FCF.MPS || fcf === FCF.EOP || fcf === FCF.EOM || fcf === FCF.PRI_MPS || fcf === FCF.PRI_EOP || fcf === FCF.PRI_EOM) {
      if (this.state === 'wait-post-page' || this.state === 'rx-page') {
        this.stopTimer('T2');
        this.onNonEcmPostPage(fcf);
      } else if (this.lastResponse) {
        // The transmitter missed our response and repeats its command (T.30 §5.3.2.6).
        this.sendFrames(this.lastResponse);
      }
      return;
    }
    this.log(`ignored ${fcfName(fcf)} in ${this.state}`);
  }

  private onDcs(fif: Uint8Array): void {
    const params = parseDcs(fif);
    if (!params) {
      this.log('DCS with a reserved rate code');
      return;
    }
    this.stopTimer('T1');
    this.stopTimer('T4');
    this.stopTimer('T2');
    this.params = params;
    this.log(`DCS: ${modulationName(params.modulation)}, ${params.encoding}, ${params.resolution}, ecm ${params.ecm}`);
    this.state = 'wait-tcf';
    this.tcf = [];
    this.startTimer('T2');
  }

  protected override onImageData(data: Uint8Array): void {
    if (this.state === 'wait-tcf') {
      this.tcf.push(data);
    } else if (this.state === 'wait-page' || this.state === 'rx-page') {
      if (!this.params || this.params.ecm) return;
      if (this.state === 'wait-page') this.log(`rx page ${this.pageIndex + 1} starts`);
      this.state = 'rx-page';
      this.pageChunks.push(data);
      // A page that stops arriving means the far end is gone (T.30 §5.4.3.2 T2)
      this.stopTimer('T2');
      this.startTimer('T2');
    }
  }

  protected override onImageEnd(): void {
    if (this.state === 'wait-tcf' && this.tcf.length > 0) {
      this.stopTimer('T2');
      this.judgeTcf();
    } else if (this.state === 'rx-page') {
      this.stopTimer('T2');
      this.state = 'wait-post-page';
      this.startTimer('T2');
    }
  }

  /** T.30 §5.3.6.2.2: TCF is 1.5 s of zeros; accept when at least 1 s of it arrived clean. */
  private judgeTcf(): void {
    const p = this.params as SessionParams;
    let run = 0, best = 0, total = 0;
    for (const chunk of this.tcf) {
      for (const b of chunk) {
        total++;
        run = b === 0 ? run + 1 : 0;
        if (run > best) best = run;
      }
    }
    this.tcf = [];
    const needed = p.modulation.bps / 8;
    const good = best >= needed && !this.config.refuseTraining;
    this.log(`TCF: ${total} octets, longest zero run ${best}, need ${needed}: ${good ? 'CFR' : 'FTT'}`);
    this.lastTrainingFailed = !good;
    if (good) {
      this.respond([[FCF.CFR, []]]);
      this.waitPage();
    } else {
      this.respond([[FCF.FTT, []]]);
      this.state = 'wait-dcs';
      this.startTimer('T1');
    }
  }

  private waitPage(): void {
    this.state = 'wait-page';
    this.pageChunks = [];
    this.blockFrames.clear();
    this.blockFrameCount = 0;
    this.afterSent('T2');
  }

  protected override onFastFrame(f: T30Frame, ok: boolean): void {
    const p = this.params;
    if (!p || !p.ecm || (this.state !== 'wait-page' && this.state !== 'rx-page' && this.state !== 'wait-command')) return;
    // T2 bounds the wait for the next frame or the PPS after it (T.30 §5.4.3.2 and §A.4)
    this.stopTimer('T2');
    this.startTimer('T2');
    this.state = 'rx-page';
    if (fcfBase(f.fcf) === FCF.FCD && f.fif.length >= 1) {
      if (ok) this.blockFrames.set(f.fif[0], f.fif.slice(1));
      else this.ecmFrameErrors++;
    }
  }

  private onPps(fif: Uint8Array): void {
    if (fif.length < 4) return;
    this.stopTimer('T2');
    const fcf2 = fcfBase(fif[0]);
    const key = `${fif[1]}:${fif[2]}`;
    if (this.lastCommitted === key && this.blockFrames.size === 0) {
      // The transmitter missed our MCF: confirm again and wait as we did after the first one.
      this.respond([[FCF.MCF, []]]);
      if (fcf2 === FCF2_NULL || fcf2 === FCF.MPS || fcf2 === FCF.PRI_MPS) this.waitPage();
      else if (this.state === 'wait-dcn') this.afterSent('T2');
      else this.startTimer('T1');
      return;
    }
    // A frame numbered n (its FCS good) shows the partial page has at least n + 1 frames.
    this.blockFrameCount = Math.max(this.blockFrameCount, fif[3] + 1, ...[...this.blockFrames.keys()].map((n) => n + 1));
    const count = this.blockFrameCount;
    const missing: number[] = [];
    for (let n = 0; n < count; n++) if (!this.blockFrames.has(n)) missing.push(n);
    if (missing.length > 0) {
      // T.30 §A.4.2.3: PPR lists the frames to send again
      this.retransmissions += missing.length;
      this.log(`PPS: ${missing.length} of ${count} frames missing, PPR`);
      this.respond([[FCF.PPR, buildPprMap(missing)]]);
      this.state = 'rx-page';
      this.afterSent('T2');
      return;
    }
    this.commitBlock(key);
    this.respond([[FCF.MCF, []]]);
    if (fcf2 === FCF2_NULL) this.waitPage();
    else this.pageComplete(fcf2, false);
  }

  private commitBlock(key: string): void {
    const numbers = [...this.blockFrames.keys()].sort((a, b) => a - b);
    for (const n of numbers) this.ecmPage.push(this.blockFrames.get(n) as Uint8Array);
    this.blockFrames.clear();
    this.blockFrameCount = 0;
    this.lastCommitted = key;
  }

  private onNonEcmPostPage(fcf: number): void {
    const p = this.params as SessionParams;
    const data = concat(this.pageChunks);
    this.pageChunks = [];
    let rows: number | undefined, badRows: number | undefined, lostRows = 0;
    let good = data.length > 0;
    if (good && this.config.judgePage) {
      const v = this.config.judgePage(data, p);
      rows = v.rows;
      badRows = v.badRows;
      lostRows = v.lostRows ?? 0;
      // T.30 §5.3.6.2: copy quality is the receiver's to judge; rows that never arrived spoil the
      // copy as much as rows that arrived damaged, so both count, against the rows sent.
      good = v.rows > 0 && v.badRows + lostRows <= (v.rows + lostRows) * (this.config.maxBadRowShare ?? 0.05);
    }
    this.log(`page ${this.pageIndex + 1}: ${data.length} octets, rows ${rows ?? '?'}, bad ${badRows ?? '?'}, lost ${lostRows}`);
    if (!good) {
      // T.30 §5.3.6.1.6: RTN, the transmitter retrains and may send the page again
      this.retransmissions++;
      this.respond([[FCF.RTN, []]]);
      this.state = 'wait-dcs';
      this.startTimer('T1');
      return;
    }
    this.emitPage(data, rows, badRows);
    // T.30 §5.3.6.1.6: a usable page with some damage is kept, but RTP asks for retraining
    this.respond([[badRows || lostRows ? FCF.RTP : FCF.MCF, []]]);
    this.afterPage(fcf);
  }

  private pageComplete(fcf2: number, withErrors: boolean): void {
    const p = this.params as SessionParams;
    const data = reverseBits(concat(this.ecmPage));
    this.ecmPage = [];
    // ECM already guaranteed the octets; decoding here only fills in the statistics.
    const v = this.config.judgePage?.(data, p);
    this.emitPage(data, v?.rows, withErrors ? Math.max(1, v?.badRows ?? 0) : v?.badRows);
    this.afterPage(fcf2);
  }

  private emitPage(data: Uint8Array, rows: number | undefined, badRows: number | undefined): void {
    const p = this.params as SessionParams;
    const stats: PageStats = { ...pageStats(this.pageIndex, p, data.length, this.retransmissions), rows, badRows };
    this.retransmissions = 0;
    this.pages.push(stats);
    this.out.push({ type: 'page-received', index: this.pageIndex, params: { ...p }, data });
    this.pageIndex++;
  }

  private afterPage(fcf: number): void {
    if (fcf === FCF.MPS || fcf === FCF.PRI_MPS) {
      this.waitPage();
    } else if (fcf === FCF.EOP || fcf === FCF.PRI_EOP) {
      this.allDone = true;
      this.state = 'wait-dcn';
      this.afterSent('T2');
    } else {
      // EOM: back to phase B (T.30 §5.3.2.5), which the called station opens with DIS
      this.startTimer('T1');
      this.sendDis();
    }
  }

  /**
   * T.30 Figure 5-2 (with Annex A §A.4 for ECM): a receiver that does not get the message
   * goes back to receiving a command, it does not hang up. A noise burst over the start of a
   * partial page makes the modem miss the high-speed training, so no frame arrives although the
   * sender is still sending: 40 frames at 14 400 bit/s last over 5 s, 256 frames over 37 s, far
   * past T2 (T.30 §5.4.3.1, 6 s). The sender's PPS-x (or a repeated DCS, CTC, EOR, DCN) follows
   * the block, and a PPS for a block of which nothing arrived earns a PPR asking for every frame
   * (T.30 §A.4.2.3), so the sender sends the block again. The wait is bounded by the longest
   * partial page the negotiated rate can carry plus T2 for the command after it (the sender
   * repeats its PPS every T4 within that); only when that passes too is the call over.
   */
  private missedMessage(): void {
    const p = this.params as SessionParams;
    this.state = 'wait-command';
    const ms = longestPartialPageMs(p.ecmFrameSize, p.modulation.bps) + TIMER_MS.T2;
    this.log(`no partial page within T2: listening up to ${ms} ms for the command after it`);
    this.startTimer('T2', ms);
  }

  protected onTimer(name: TimerName): void {
    if (name === 'T1') {
      this.end(this.lastTrainingFailed ? 'training-failed' : 'no-dcs', true);
      return;
    }
    if (name === 'T4' && this.state === 'wait-dcs') {
      this.sendDis();
      return;
    }
    if (name !== 'T2') return;
    switch (this.state) {
      case 'wait-dcn':
        // Every page confirmed; a missing DCN does not undo the fax.
        this.end('ok', false);
        break;
      case 'wait-tcf':
        this.state = 'wait-dcs';
        this.startTimer('T1');
        break;
      case 'wait-page':
        if (this.params?.ecm) this.missedMessage();
        else this.end(this.pageIndex > 0 ? 'no-response' : 'no-page', true);
        break;
      case 'rx-page':
        if (this.params?.ecm) this.missedMessage();
        else this.end('no-response', true);
        break;
      case 'wait-command':
        // Neither the partial page nor the command after it: the far end is gone.
        this.end(this.pageIndex > 0 ? 'no-response' : 'no-page', true);
        break;
      case 'wait-post-page':
        this.end('no-post-page', true);
        break;
      default:
        break;
    }
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
