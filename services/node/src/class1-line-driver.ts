import { Class1Terminal, identitySummary, type Class1CallResult, type Class1Quirks } from '@faxgate/class1';
import { readTiff, sliceTiff } from '@faxgate/fax-image';
import { createT30Engine, type Encoding, type Modem, type SessionParams, type T30Action } from '@faxgate/t30';
import { decodeReceivedPage, receivedTiff, tiffDocument } from '@faxgate/t38';
import type { CallOutcome, DriverLineState, LineDriver, OutgoingCall, ReceivedFaxSink, ReceiveOutcome } from '@faxgate/line-driver';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { ModemLine } from './class1-modem-line.ts';
import { toOutcome } from './t38-line-driver.ts';
import { documentEnds } from './batch-shares.ts';

export interface Class1DriverOptions {
  devices: string[];
  /** Line names are `<linePrefix>/modem-<n>` (n from 1, in device order). */
  linePrefix: string;
  localId: string;
  ecm: boolean;
  modulations: Modem[];
  /** Page codings offered and sent (FAXGATE_MODEM_CODINGS); MH, MR and MMR when absent. */
  encodings?: Encoding[];
  /** Dial command with `%s` for the dial string (HylaFAX ModemDialCmd). */
  dialCmd: string;
  dialTimeoutMs: number;
  resetCmds: string[];
  initCmds: string[];
  answer: boolean;
  rings: number;
  /** Called number for received faxes when the modem reports none. */
  did: string;
  quirks: Partial<Class1Quirks>;
  checkIntervalMs: number;
  /** How long a call waits for an idle modem before it is handed back to the queue. */
  lineWaitMs?: number;
  log: Logger;
  registry?: Registry;
}

/** T.4 §4.1 MH, §4.2 MR and T.6 MMR: what a line offers unless FAXGATE_MODEM_CODINGS says less. */
const ALL_CODINGS: Encoding[] = ['mh', 'mr', 'mmr'];

/** NO DIALTONE: dial again this many times in all, this far apart (see send()). */
const DIAL_TONE_TRIES = 3;
const DIAL_TONE_WAIT_MS = 3_000;

/** Dial results of V.25 ter §6.3.1 that mean nobody (or no fax) answered. */
const DIAL_RESULTS: Record<string, CallOutcome['result']> = {
  'BUSY': 'busy',
  'NO ANSWER': 'no-answer',
  'NO CARRIER': 'no-answer',
  'NO DIALTONE': 'failed',
  'ERROR': 'failed',
};

/**
 * The `class1` line driver: one line per Class 1 fax modem (USB/serial modems, or software
 * modems on ptys), each call run by faxgate's own T.30 engine through the modem's AT channel
 * (@faxgate/class1's Class1Terminal). Sends pages fromPage..last, so a retry after a lost call
 * resumes after the last confirmed page; answers rings and hands received faxes to the node's
 * sink with the caller ID the modem reported.
 */
export class Class1LineDriver implements LineDriver {
  readonly name = 'class1';
  /** A batch's faxes go out as separate documents, EOM between them (T.30 §5.3.6.1.7). */
  readonly multiDocument = true;
  readonly lines: ModemLine[];
  private readonly o: Class1DriverOptions;
  private started: Promise<void> | undefined;
  private sink: ReceivedFaxSink | undefined;
  private readonly receiving = new Set<Promise<void>>();
  private readonly sending = new Set<Promise<void>>();
  private stopping = false;
  private readonly gauge: Gauge<'line' | 'device'> | undefined;

  constructor(o: Class1DriverOptions) {
    if (o.devices.length === 0) throw new Error('FAXGATE_NODE_DRIVER=class1 needs FAXGATE_MODEM_DEVICES (the modem devices, e.g. /dev/ttyACM*)');
    this.o = o;
    this.gauge = o.registry
      ? new Gauge({ name: 'faxgate_modem_line_up', help: 'Class 1 modem lines: 1 when the modem answers and is usable, 0 while it is down or being reset', labelNames: ['line', 'device'], registers: [o.registry] })
      : undefined;
    this.lines = o.devices.map((device, i) => new ModemLine({
      device,
      line: `${o.linePrefix}/modem-${i + 1}`,
      resetCmds: o.resetCmds,
      initCmds: o.initCmds,
      checkIntervalMs: o.checkIntervalMs,
      log: o.log,
      // The same view the console gets (lineStates): 0 while starting or down, 1 when usable.
      onState: (l) => this.gauge?.set({ line: l.line, device: l.device }, l.up ? 1 : 0),
      onRing: (l, cid, rings) => this.onRing(l, cid, rings),
    }));
  }

  /** Every modem line's state, with the reason when it is down, for the console. */
  lineStates(): DriverLineState[] {
    return this.lines.map((l) => l.health);
  }

  /** Opens and probes every modem (once); calls and listen() wait for it. */
  start(): Promise<void> {
    this.started ??= Promise.all(this.lines.map((l) => l.start())).then(() => undefined);
    return this.started;
  }

  /**
   * Stops answering and taking calls, lets the calls in progress end (a fax cut off mid-page
   * would be sent again in part), then closes every modem.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.sink = undefined;
    await Promise.all([...this.receiving, ...this.sending]);
    await Promise.all(this.lines.map((l) => l.stop()));
  }

  async listen(sink: ReceivedFaxSink): Promise<() => Promise<void>> {
    await this.start();
    if (this.o.answer) this.sink = sink;
    return () => this.stop();
  }

  async send(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome> {
    const p = this.sendOnLine(call, signal);
    const settled = p.then(() => undefined, () => undefined);
    this.sending.add(settled);
    void settled.finally(() => this.sending.delete(settled));
    return p;
  }

  private async sendOnLine(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome> {
    if (this.stopping) throw new Error('the node is stopping: its modems take no new calls');
    await this.start();
    const line = await this.takeLine(call.callId, signal);
    // The record names the modem, not the node's call slot: which device to look at when a
    // destination fails only through one of them. Its identity as probed before the call (the
    // release after it probes again).
    const id = line.capabilities && identitySummary(line.capabilities.identity);
    const carrier: Pick<CallOutcome, 'line' | 'device' | 'deviceIdentity'> = { line: line.line, device: line.device, ...(id ? { deviceIdentity: id } : {}) };
    return { ...(await this.callOnLine(line, call, signal)), ...carrier };
  }

  private async callOnLine(line: ModemLine, call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome> {
    const started = Date.now();
    let confirmed = 0;
    try {
      await line.ready();
      const ch = line.channel;
      const caps = line.capabilities;
      if (!ch || !caps) throw new Error(`${line.line}: the modem went away before dialling`);
      const dial = this.o.dialCmd.replace('%s', call.dialString.replace(/[^0-9*#,wWpPtT!@]/g, ''));
      // Cancelled (or the node stopping hard): hang up at once. Closing the device fails the
      // call's pending command; the release below reopens it and ATZ puts the modem on-hook.
      const onAbort = () => void line.hangUpNow();
      if (signal.aborted) throw new Error('call aborted');
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // T.31 §8.2: in Class 1, ATD's CONNECT means the called station's V.21 flags are heard.
        let r: { result: string } = { result: 'timeout' };
        for (let attempt = 1; attempt <= DIAL_TONE_TRIES; attempt++) {
          r = await ch.command(dial, { timeoutMs: this.o.dialTimeoutMs, onConnect: 'receive' }).catch((err: Error) => {
            if (ch.closed) throw err;
            return { result: 'timeout', lines: [] };
          });
          // iaxmodem refuses to dial for ~5 s after an on-hook (ATZ, ATH, a call's end) and says
          // NO DIALTONE; a real line may lack dial tone for a moment too. HylaFAX retries such
          // a call later; waiting a few seconds on the same line is cheaper.
          if (r.result !== 'NO DIALTONE' || attempt === DIAL_TONE_TRIES || signal.aborted) break;
          this.o.log.info({ line: line.line, callId: call.callId, attempt }, 'no dial tone; dialling again shortly');
          await new Promise((resolve) => setTimeout(resolve, DIAL_TONE_WAIT_MS));
        }
        if (r.result !== 'CONNECT') {
          this.o.log.info({ line: line.line, callId: call.callId, dial, result: r.result, dialogue: ch.transcript().split('\n').slice(-12).join('\n') }, 'dial failed');
          const result = DIAL_RESULTS[r.result] ?? 'no-answer';
          return { result, pagesSent: 0, durationMs: Date.now() - started, reason: r.result === 'timeout' ? `no answer within ${Math.round(this.o.dialTimeoutMs / 1000)} s` : `the modem answered ${r.result} to the dial` };
        }
        const total = readTiff(call.document).length;
        const pages = call.fromPage > 1 ? sliceTiff(call.document, call.fromPage - 1, total) : call.document;
        const terminal = new Class1Terminal({
          channel: ch,
          capabilities: caps,
          quirks: this.o.quirks,
          connected: 'receiving',
          log: (text) => this.o.log.debug({ line: line.line, callId: call.callId }, text),
          onAction: (a: T30Action) => {
            if (a.type !== 'page-confirmed') return;
            confirmed = a.confirmed;
            call.onPageConfirmed?.(a.confirmed);
          },
          engine: createT30Engine({ role: 'send', localId: this.o.localId, ecm: this.o.ecm, modems: this.modemsOf(line), encodings: this.o.encodings ?? ALL_CODINGS, document: tiffDocument(pages, documentEnds(call.parts)) }),
        });
        const result = await terminal.run();
        const outcome = toOutcome(result, Date.now() - started);
        return { ...outcome, pagesSent: Math.max(outcome.pagesSent, confirmed), ...(result.lineLost && !result.success ? { result: confirmed > 0 ? 'no-carrier' : 'failed' } : {}) };
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      if (signal.aborted) throw new Error('call aborted');
      // The modem vanished or stopped answering mid-call: the line goes down, the call is
      // retried (on another line, if one is up) by the call worker.
      line.down((err as Error).message);
      throw err;
    } finally {
      if (line.state !== 'down') await line.release();
    }
  }

  /** The image modulations both this node's config and the modem allow (probe: +FTM=?). */
  private modemsOf(line: ModemLine): Modem[] {
    const caps = line.capabilities;
    const has = (std: string) => !!caps?.transmit.some((m) => m.standard === std) && !!caps?.receive.some((m) => m.standard === std);
    return this.o.modulations.filter((m) => has(m === 'v17' ? 'V.17' : m === 'v29' ? 'V.29' : 'V.27ter'));
  }

  private async takeLine(callId: string, signal: AbortSignal): Promise<ModemLine> {
    const until = Date.now() + (this.o.lineWaitMs ?? 30_000);
    for (;;) {
      const line = this.lines.find((l) => l.claim('sending', callId));
      if (line) return line;
      if (signal.aborted) throw new Error('call aborted');
      if (this.stopping) throw new Error('the node is stopping: its modems take no new calls');
      if (Date.now() > until) {
        const states = this.lines.map((l) => `${l.line} ${l.state}${l.state === 'down' ? ` (${l.reason})` : ''}`).join('; ');
        throw new Error(`no modem line free: ${states}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private onRing(line: ModemLine, callerId: Record<string, string>, rings: number): void {
    if (!this.sink || this.stopping || rings < this.o.rings) return;
    const callId = `class1-${Date.now().toString(36)}`;
    if (!line.claim('receiving', callId)) return;
    line.resetRings();
    const p = this.answerCall(line, callerId, callId).finally(() => this.receiving.delete(p));
    this.receiving.add(p);
  }

  private async answerCall(line: ModemLine, callerId: Record<string, string>, callId: string): Promise<void> {
    const sink = this.sink;
    const ch = line.channel;
    const caps = line.capabilities;
    const answeredAt = Date.now();
    const callingNumber = callerId.NMBR && callerId.NMBR !== '<NONE>' ? callerId.NMBR : '';
    const callingName = callerId.NAME && callerId.NAME !== '<NONE>' ? callerId.NAME : undefined;
    const reported = [callerId.NDID, callerId.DID, callerId.CDID].find((v) => v && v !== '<NONE>');
    const did = reported ?? this.o.did;
    this.o.log.info({ line: line.line, callingNumber, callingName, did }, 'answering');
    const pages: Array<{ data: Uint8Array; params: SessionParams }> = [];
    try {
      await line.ready();
      if (!sink || !ch || !caps) return;
      // T.31 §8.2: ATA's CONNECT comes once CED and the V.21 flags are out.
      const r = await ch.command('ATA', { timeoutMs: 30_000 });
      if (r.result !== 'CONNECT') {
        this.o.log.warn({ line: line.line, result: r.result }, 'answer failed');
        return;
      }
      const terminal = new Class1Terminal({
        channel: ch,
        capabilities: caps,
        quirks: this.o.quirks,
        connected: 'transmitting',
        log: (text) => this.o.log.debug({ line: line.line, callId }, text),
        onAction: (a) => a.type === 'page-received' && pages.push({ data: a.data, params: a.params }),
        engine: createT30Engine({ role: 'receive', localId: this.o.localId, ecm: this.o.ecm, modems: this.modemsOf(line), encodings: this.o.encodings ?? ALL_CODINGS, judgePage: (data, params) => decodeReceivedPage(data, params) }),
      });
      let result: Class1CallResult | undefined;
      let failure: string | undefined;
      try {
        result = await terminal.run();
      } catch (err) {
        failure = (err as Error).message.split('\n')[0];
        line.down(failure);
      }
      let badRows = 0;
      for (const p of pages) badRows += decodeReceivedPage(p.data, p.params).badRows;
      const outcome: ReceiveOutcome = {
        document: pages.length ? receivedTiff(pages) : undefined,
        pages: pages.length,
        badRows,
        csid: result?.remoteId.trim() || undefined,
        subAddress: result?.subaddress || undefined,
        partial: !result?.success,
        durationMs: Date.now() - answeredAt,
        ...(result?.success ? {} : { reason: failure ?? result?.sentence }),
      };
      // A call that never identified itself (a voice caller, a line test) is not a fax.
      if (pages.length > 0 || result?.remoteId) {
        const identity = caps && identitySummary(caps.identity);
        const id = await sink({ callId, line: line.line, device: line.device, ...(identity ? { deviceIdentity: identity } : {}), did, callingNumber, ...(callingName ? { callingName } : {}) }, outcome);
        this.o.log.info({ inboundId: id, line: line.line, pages: pages.length, success: result?.success, remoteId: result?.remoteId }, 'class1 call received');
      } else {
        this.o.log.info({ line: line.line, reason: outcome.reason }, 'answered call carried no fax');
      }
    } catch (err) {
      this.o.log.error({ line: line.line, err: (err as Error).message.split('\n')[0] }, 'class1 receive failed');
      if (line.state !== 'down') line.down((err as Error).message);
    } finally {
      if (line.state !== 'down') await line.release();
    }
  }
}
