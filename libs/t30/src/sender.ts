// T.30 §5 (Figure 5-2 a–c): the calling station that transmits a document, phases B–E,
// with T.30 Annex A error correction.
import { EngineCore, pageStats } from './engine-core.ts';
import { buildDcs, parseDis, setRateBits, type Capabilities, type Encoding, type Resolution, type SessionParams } from './dis.ts';
import { FCF, FCF2_NULL, fcfBase, fcfName } from './fcf.ts';
import { buildFrame, type T30Frame } from './hdlc-frame.ts';
import { decodeIdent, encodeIdent } from './ident.ts';
import { FALLBACK, modulationName, type Modulation } from './modulation.ts';
import { parsePprMap, reverseBits, splitBlocks } from './ecm.ts';
import type { PageStats, SendDocument, T30Config, TimerName } from './types.ts';

type State =
  | 'wait-dis'
  | 'wait-training-response'
  | 'wait-post-page-response'
  | 'wait-ecm-response'
  | 'wait-ctr'
  | 'wait-err';

/** Command/response tries before giving up (T.30 §5.3.2: three attempts). */
const MAX_TRIES = 3;
/** T.30 §A.4.3: after the fourth PPR the transmitter slows down (CTC) or stops (EOR). */
const PPR_LIMIT = 4;
const RTN_LIMIT = 3;
const TCF_MS = 1500;

/** Sending half of the engine: call `handle()` with events, perform the returned actions. */
export class T30Sender extends EngineCore {
  private state: State = 'wait-dis';
  private readonly doc: SendDocument;
  private rates: Modulation[] = [];
  private rateIndex = 0;
  private tries = 0;
  private pageIndex = 0;
  private pageData: Uint8Array | undefined;
  private pageStats: PageStats | undefined;
  private rtnCount = 0;
  private retrainBeforeNextPage = false;
  private pageFailed = false;
  private anyPageFailed = false;
  // ECM state
  private blocks: Uint8Array[][] = [];
  private blockIndex = 0;
  private pprCount = 0;
  private missing: number[] = [];
  private rnrStarted = false;

  constructor(config: T30Config) {
    super(config);
    if (!config.document) throw new Error('a sending engine needs a document');
    if (config.document.pageCount < 1) throw new Error('a document needs at least one page');
    this.doc = config.document;
    this.xBit = 1;
  }

  protected onStart(): void {
    // T.30 §5.4.3.1: T1 bounds the wait for the called station's DIS.
    this.startTimer('T1');
    this.state = 'wait-dis';
  }

  protected onFrames(frames: T30Frame[]): void {
    const last = frames[frames.length - 1];
    const fcf = fcfBase(last.fcf);
    if (fcf === FCF.DCN) {
      this.end('remote-dcn', false);
      return;
    }
    for (const f of frames) if (fcfBase(f.fcf) === FCF.CSI) this.remoteId = decodeIdent(f.fif);
    switch (this.state) {
      case 'wait-dis':
        if (fcf === FCF.DIS) this.onDis(parseDis(last.fif), last.fif);
        break;
      case 'wait-training-response':
        if (fcf === FCF.CFR) {
          this.stopTimer('T4');
          this.log(`training accepted at ${modulationName(this.rate)}`);
          if (this.params?.ecm && this.pageData && this.blocks.length > 0) {
            // back from a phase B restart mid-page: the current partial page again
            this.pprCount = 0;
            this.sendBlock(this.blocks[this.blockIndex].map((_, i) => i));
          } else {
            this.sendPage();
          }
        } else if (fcf === FCF.FTT) {
          this.stopTimer('T4');
          this.trainingFailures.push(this.rate.bps);
          this.fallBack('all-rates-refused');
        } else if (fcf === FCF.DIS || fcf === FCF.CRP) {
          // Our DCS was not heard (T.30 §5.3.2.2): the called station repeats DIS.
          this.stopTimer('T4');
          this.sendDcs();
        }
        break;
      case 'wait-post-page-response':
      case 'wait-ecm-response':
        if (fcf === FCF.DIS) {
          // T.30 §5.3.2.2: DIS here means the receiver went back to phase B without our
          // post-page command; retrain and send the page (or partial page) again.
          this.stopTimer('T4');
          this.log('DIS after the page: retraining');
          this.tries = 0;
          this.sendDcs();
        } else if (this.state === 'wait-post-page-response') {
          this.onPostPageResponse(fcf);
        } else {
          this.onEcmResponse(fcf, last.fif);
        }
        break;
      case 'wait-ctr':
        if (fcf === FCF.CTR) {
          this.stopTimer('T4');
          this.pprCount = 0;
          this.sendBlock(this.missing);
        } else if (fcf === FCF.CRP) {
          this.stopTimer('T4');
          this.sendCtc();
        }
        break;
      case 'wait-err':
        if (fcf === FCF.ERR) {
          this.stopTimer('T4');
          this.pageFailed = true;
          this.blockDone();
        } else if (fcf === FCF.CRP) {
          this.stopTimer('T4');
          this.sendEor();
        }
        break;
    }
  }

  protected onTimer(name: TimerName): void {
    if (name === 'T1') {
      this.end('no-dis', false);
      return;
    }
    if (name === 'T5') {
      this.end('ecm-rnr-timeout', true);
      return;
    }
    if (name !== 'T4') return;
    if (this.tries >= MAX_TRIES) {
      this.end(this.state === 'wait-training-response' ? 'dcs-no-response' : 'post-page-no-response', true);
      return;
    }
    switch (this.state) {
      case 'wait-training-response':
        this.sendDcs();
        break;
      case 'wait-post-page-response':
        this.tries++;
        this.sendPostPage();
        break;
      case 'wait-ecm-response':
        this.tries++;
        // T.30 §A.4.2: an unanswered PPS (or RR after RNR) is repeated
        if (this.rnrStarted) this.sendFrames([[FCF.RR, []]], 'T4');
        else this.sendPps();
        break;
      case 'wait-ctr':
        this.tries++;
        this.sendCtc();
        break;
      case 'wait-err':
        this.tries++;
        this.sendEor();
        break;
      default:
        break;
    }
  }

  private get rate(): Modulation {
    return this.rates[this.rateIndex];
  }

  private onDis(caps: Capabilities, fif: Uint8Array): void {
    this.stopTimer('T1');
    this.remoteCapabilities = caps;
    this.log(`DIS FIF ${Buffer.from(fif).toString('hex')}`);
    this.log(`DIS: modems ${caps.modems.join(',')}, ${caps.encodings.join(',')}, ecm ${caps.ecm}, ${caps.resolutions.join(',')}`);
    if (!caps.readyToReceive) {
      this.end('not-ready', true);
      return;
    }
    const ceiling = this.config.maxBps ?? Infinity;
    const usable = FALLBACK.filter((m) => caps.modems.includes(m.modem) && this.config.modems.includes(m.modem));
    // A ceiling below every shared rate is ignored: the call tries what both sides have.
    this.rates = usable.some((m) => m.bps <= ceiling) ? usable.filter((m) => m.bps <= ceiling) : usable;
    // T.30 §5.3.6.2.1: send at the document's resolution, or the best lower one the receiver
    // takes (the driver's codec drops rows to match).
    const ladder: Resolution[] = ['superfine', 'fine', 'standard'];
    const resolution = ladder.slice(ladder.indexOf(this.doc.resolution)).find((r) => caps.resolutions.includes(r));
    if (this.rates.length === 0 || !resolution) {
      this.end('incompatible', true);
      return;
    }
    const ecm = this.config.ecm && caps.ecm;
    // T.30 §5.3.6.2.1 and Table 2 note: MMR needs ECM; otherwise the best both sides share.
    const order: Encoding[] = ecm ? ['mmr', 'mr', 'mh'] : ['mr', 'mh'];
    const encoding = order.find((e) => caps.encodings.includes(e) && this.config.encodings.includes(e)) ?? 'mh';
    this.rateIndex = 0;
    this.tries = 0;
    const params: SessionParams = {
      modulation: this.rates[0],
      resolution,
      encoding,
      width: 'A4',
      length: caps.lengths.includes('unlimited') ? 'unlimited' : caps.lengths.includes('B4') ? 'B4' : 'A4',
      minScanLineMs: ecm ? 0 : caps.minScanLineMs,
      ecm,
      ecmFrameSize: caps.prefers64 || this.config.ecmFrameSize === 64 ? 64 : 256,
      withSubaddress: !!this.config.subaddress && !!caps.subaddressing,
      withSenderId: !!this.config.senderId && !!caps.password,
    };
    this.params = params;
    this.sendDcs();
  }

  /** T.30 §5.3.2.4: TSI and DCS, then TCF at the chosen rate, then T4 for CFR/FTT. */
  private sendDcs(): void {
    const p = this.params as SessionParams;
    p.modulation = this.rate;
    this.tries++;
    this.state = 'wait-training-response';
    const frames: Array<[number, Uint8Array]> = [[FCF.TSI, encodeIdent(this.config.localId)]];
    if (p.withSubaddress) frames.push([FCF.SUB, encodeIdent(this.config.subaddress as string)]);
    if (p.withSenderId) frames.push([FCF.SID, encodeIdent(this.config.senderId as string)]);
    frames.push([FCF.DCS, buildDcs(p)]);
    this.sendFrames(frames);
    this.transmit({ type: 'send-tcf', modulation: this.rate, ms: TCF_MS });
    this.afterSent('T4');
  }

  private fallBack(failure: 'all-rates-refused'): void {
    if (this.rateIndex + 1 >= this.rates.length) {
      this.end(failure, true);
      return;
    }
    this.rateIndex++;
    this.tries = 0;
    this.log(`falling back to ${modulationName(this.rate)}`);
    this.sendDcs();
  }

  private encodeCurrentPage(): Uint8Array {
    const p = this.params as SessionParams;
    // T.4 §4.1.3: the minimum transmission time of a coded scan line, in bits at the rate
    const minRowBits = p.ecm ? 0 : Math.ceil((p.minScanLineMs * p.modulation.bps) / 1000);
    return this.doc.encodePage({
      index: this.pageIndex,
      encoding: p.encoding,
      resolution: p.resolution,
      width: p.width,
      minRowBits,
      ecm: p.ecm,
    });
  }

  private sendPage(): void {
    const p = this.params as SessionParams;
    this.tries = 0;
    if (!this.pageData) {
      this.pageData = this.encodeCurrentPage();
      this.pageFailed = false;
      this.pageStats = pageStats(this.pageIndex, p, this.pageData.length, 0);
    }
    const stats = this.pageStats as PageStats;
    stats.rate = modulationName(p.modulation);
    stats.bps = p.modulation.bps;
    if (p.ecm) {
      this.blocks = splitBlocks(reverseBits(this.pageData), p.ecmFrameSize);
      this.blockIndex = 0;
      this.pprCount = 0;
      this.sendBlock(this.blocks[0].map((_, i) => i));
      return;
    }
    this.log(`tx page ${this.pageIndex + 1} (${this.pageData.length} octets) at ${modulationName(p.modulation)}`);
    this.transmit({ type: 'send-image', modulation: p.modulation, data: this.pageData });
    this.tries = 1;
    this.sendPostPage();
  }

  /**
   * T.30 §5.3.6.1.7: MPS between pages of a document, EOM after the last page of a document that
   * another follows in the same call, EOP after the last page of the call.
   */
  private get postPageFcf(): number {
    if (this.pageIndex + 1 >= this.doc.pageCount) return FCF.EOP;
    return this.doc.documentEnds?.includes(this.pageIndex) ? FCF.EOM : FCF.MPS;
  }

  private sendPostPage(): void {
    this.state = 'wait-post-page-response';
    this.sendFrames([[this.postPageFcf, []]], 'T4');
  }

  private onPostPageResponse(fcf: number): void {
    switch (fcf) {
      case FCF.MCF:
      case FCF.PIP: // §5.3.6.1.7: page good; no operator here to take the interrupt
      case FCF.RTP:
        this.stopTimer('T4');
        this.retrainBeforeNextPage = fcf === FCF.RTP;
        this.pageDone();
        break;
      case FCF.RTN:
      case FCF.PIN:
        this.stopTimer('T4');
        this.rtnCount++;
        if (this.pageStats) this.pageStats.retransmissions++;
        if (this.rtnCount >= RTN_LIMIT) {
          this.end('page-rejected', true);
          return;
        }
        // T.30 §5.3.6.1.6: RTN asks for retraining; step down a rate when one is left.
        if (this.rateIndex + 1 < this.rates.length) this.rateIndex++;
        this.tries = 0;
        this.sendDcs();
        break;
      case FCF.CRP:
        this.stopTimer('T4');
        this.sendPostPage();
        break;
      default:
        this.log(`unexpected ${fcfName(fcf)} after the post-page command`);
    }
  }

  private pageDone(): void {
    const endedDocument = this.postPageFcf === FCF.EOM;
    if (this.pageStats) this.pages.push(this.pageStats);
    this.out.push({ type: 'page-confirmed', index: this.pageIndex, confirmed: this.pageIndex + 1 });
    if (this.pageFailed) this.anyPageFailed = true;
    this.pageData = undefined;
    this.pageStats = undefined;
    this.rtnCount = 0;
    this.pageIndex++;
    if (this.pageIndex >= this.doc.pageCount) {
      // T.30 §5.3.2.5 phase E: DCN after the last MCF
      this.end(this.anyPageFailed ? 'ecm-ppr-limit' : 'ok', true);
      return;
    }
    if (endedDocument) {
      // T.30 §5.3.2.5 and Figure 5-2b: after MCF to EOM, phase B again; the called station
      // opens it with DIS, and the next document goes out under a fresh DCS and training.
      this.log('EOM confirmed: phase B for the next document');
      this.retrainBeforeNextPage = false;
      this.state = 'wait-dis';
      this.startTimer('T1');
      return;
    }
    if (this.retrainBeforeNextPage) {
      this.retrainBeforeNextPage = false;
      this.tries = 0;
      this.sendDcs();
    } else {
      this.sendPage();
    }
  }

  // ---- T.30 Annex A ----

  private sendBlock(frameNumbers: number[]): void {
    const p = this.params as SessionParams;
    const block = this.blocks[this.blockIndex];
    this.missing = frameNumbers;
    const frames: Uint8Array[] = [];
    for (const n of frameNumbers) {
      const data = block[n];
      const fif = new Uint8Array(1 + data.length);
      fif[0] = n;
      fif.set(data, 1);
      frames.push(buildFrame(FCF.FCD, fif, false));
    }
    // T.30 §A.3.2: three RCP frames end the partial page
    for (let i = 0; i < 3; i++) frames.push(buildFrame(FCF.RCP, [], false));
    this.log(`tx ECM block ${this.blockIndex} of page ${this.pageIndex + 1}: ${frameNumbers.length} frames at ${modulationName(p.modulation)}`);
    this.transmit({ type: 'send-hdlc', frames, modulation: p.modulation });
    this.tries = 1;
    this.rnrStarted = false;
    this.sendPps();
  }

  private sendPps(): void {
    const lastBlock = this.blockIndex === this.blocks.length - 1;
    const fcf2 = lastBlock ? this.postPageFcf | this.xBit : FCF2_NULL;
    const count = this.blocks[this.blockIndex].length;
    this.state = 'wait-ecm-response';
    this.sendFrames([[FCF.PPS, [fcf2, this.pageIndex & 0xff, this.blockIndex & 0xff, count - 1]]], 'T4');
  }

  private onEcmResponse(fcf: number, fif: Uint8Array): void {
    switch (fcf) {
      case FCF.MCF:
      case FCF.PIP:
        this.stopTimer('T4');
        this.stopTimer('T5');
        this.blockDone();
        break;
      case FCF.PPR: {
        this.stopTimer('T4');
        this.stopTimer('T5');
        const missing = parsePprMap(fif, this.blocks[this.blockIndex].length);
        this.pprCount++;
        if (this.pageStats) this.pageStats.retransmissions += missing.length;
        this.log(`PPR ${this.pprCount}: ${missing.length} frames to send again`);
        this.missing = missing.length > 0 ? missing : this.blocks[this.blockIndex].map((_, i) => i);
        if (this.pprCount >= PPR_LIMIT) {
          // T.30 §A.4.3: slow down with CTC, or at the slowest rate give up with EOR
          if (this.rateIndex + 1 < this.rates.length) {
            this.rateIndex++;
            (this.params as SessionParams).modulation = this.rate;
            this.tries = 1;
            this.sendCtc();
          } else {
            this.tries = 1;
            this.sendEor();
          }
          return;
        }
        this.sendBlock(this.missing);
        break;
      }
      case FCF.RNR:
        this.stopTimer('T4');
        // T.30 §A.4.4: poll with RR until ready, bounded by T5
        if (!this.rnrStarted) {
          this.rnrStarted = true;
          this.startTimer('T5');
        }
        this.tries = 1;
        this.sendFrames([[FCF.RR, []]], 'T4');
        break;
      case FCF.CRP:
        this.stopTimer('T4');
        this.sendPps();
        break;
      default:
        this.log(`unexpected ${fcfName(fcf)} after PPS`);
    }
  }

  private sendCtc(): void {
    this.state = 'wait-ctr';
    const fif = new Uint8Array(2);
    setRateBits(fif, this.rate);
    this.log(`CTC: continuing at ${modulationName(this.rate)}`);
    this.sendFrames([[FCF.CTC, fif]], 'T4');
  }

  private sendEor(): void {
    this.state = 'wait-err';
    const lastBlock = this.blockIndex === this.blocks.length - 1;
    this.sendFrames([[FCF.EOR, [lastBlock ? this.postPageFcf | this.xBit : FCF2_NULL]]], 'T4');
  }

  private blockDone(): void {
    this.pprCount = 0;
    this.blockIndex++;
    if (this.blockIndex < this.blocks.length) {
      this.sendBlock(this.blocks[this.blockIndex].map((_, i) => i));
      return;
    }
    this.pageDone();
  }
}
