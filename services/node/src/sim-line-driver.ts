import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { readTiff, sliceTiff } from '@faxgate/fax-image';
import { describeError } from '@faxgate/errors';
import type { CallOutcome, IncomingCall, LineDriver, OutgoingCall, ReceiveOutcome, ReceivingLineDriver, RemoteCapabilities } from '@faxgate/line-driver';
import { simReceive } from './sim-receive.ts';
import { simOutcomeFor, type SimRule } from './sim-outcome-rules.ts';
import { SIM_PHASE_B_MS, SIM_POST_PAGE_MS, SIM_PHASE_E_MS, SIM_NO_ANSWER_MS, SIM_BUSY_MS, simSleep } from './sim-timing.ts';

export interface SimOptions {
  bitRate: number;
  timeScale: number;
  ringTimeMs: number;
  remoteId: string;
  rules: SimRule[];
  /** Where the simulated remote machine writes what it received (one TIFF per call). */
  receivedDir: string;
  redis: Redis;
  counterPrefix: string;
}


/**
 * The simulated line: no telephony, but a call takes the time a real one would (page data at
 * the configured bit rate plus T.30 overhead, scaled for tests), its outcome follows the
 * configured number patterns, and the simulated remote fax machine keeps what it received.
 */
export class SimLineDriver implements LineDriver, ReceivingLineDriver {
  readonly name = 'sim';
  /** The simulated remote takes several documents in one call, as a T.30 receiver does after EOM. */
  readonly multiDocument = true;
  private readonly o: SimOptions;
  constructor(o: SimOptions) {
    this.o = o;
  }

  /** A call from the simulated remote machine (faxgate sim receive). */
  receive(call: IncomingCall, signal: AbortSignal): Promise<ReceiveOutcome> {
    return simReceive({ bitRate: this.o.bitRate, timeScale: this.o.timeScale, ringTimeMs: this.o.ringTimeMs }, call, signal);
  }

  async send(call: OutgoingCall, signal: AbortSignal): Promise<CallOutcome> {
    // Counted in Redis so that several node replicas agree on "the first N calls to a number".
    const n = await this.o.redis.incr(`${this.o.counterPrefix}:sim:calls:${call.number}`);
    const outcome = simOutcomeFor(this.o.rules, call.number, n);
    const pages = readTiff(call.document);
    const remaining = pages.length - (call.fromPage - 1);
    let elapsed = 0;
    const wait = async (ms: number) => {
      elapsed += ms;
      await simSleep(ms * this.o.timeScale, signal);
    };
    switch (outcome.result) {
      case 'error':
        throw new Error('simulated line fault: the modem did not respond');
      case 'busy':
        await wait(SIM_BUSY_MS);
        return { result: 'busy', pagesSent: 0, durationMs: elapsed, reason: describeError('LINE_BUSY') };
      case 'no-answer':
        await wait(SIM_NO_ANSWER_MS);
        return { result: 'no-answer', pagesSent: 0, durationMs: elapsed, reason: describeError('NO_ANSWER') };
      case 'rejected':
        await wait(2000);
        return { result: 'rejected', pagesSent: 0, durationMs: elapsed, reason: describeError('NUMBER_REJECTED') };
      case 'voice':
        // Answered, then T.30's T1 runs out without a DIS (T.30 §5.4.3.1, 35 s): no fax machine.
        await wait(this.o.ringTimeMs + 35_000);
        return { result: 'no-carrier', pagesSent: 0, durationMs: elapsed, reason: `${describeError('NO_CARRIER')}: answered without a fax tone`, remote: { noFaxTone: true } };
      default:
        break;
    }
    await wait(this.o.ringTimeMs + SIM_PHASE_B_MS);
    // What the simulated remote offered in its DIS and trained at (T.30 §5.3.6.2.1).
    // Trained at the configured rate, or lower where destination memory says to start lower.
    const speed = Math.min(this.o.bitRate, call.maxBps ?? Infinity);
    const remote: RemoteCapabilities = { csi: this.o.remoteId, speed, dis: { rates: SIM_RATES.filter((r) => r <= this.o.bitRate), ecm: true, mr: true, mmr: true, fine: true, widths: [1728] } };
    const limit = outcome.result === 'no-carrier' || outcome.result === 'failed' ? Math.min(outcome.afterPages, remaining) : remaining;
    let sent = 0;
    for (let i = 0; i < limit; i++) {
      const page = pages[call.fromPage - 1 + i];
      // EOM after the previous document: phase B again (T.30 §5.3.2.5), DIS/DCS and training.
      if (i > 0 && pageOwner(call, call.fromPage + i).callId !== pageOwner(call, call.fromPage + i - 1).callId) await wait(SIM_PHASE_B_MS);
      await wait((codedBytes(page) * 8 * 1000) / speed + SIM_POST_PAGE_MS);
      // MCF: the remote machine has the page on paper and the sender learns it at the same
      // moment. Both writes leave in the same tick, so a process killed at any moment cannot
      // have the page printed but not recorded (which would print it again on the retry).
      const at = pageOwner(call, call.fromPage + i);
      const printed = this.o.redis.hincrby(simPrintedKey(this.o.counterPrefix, at.callId), String(at.page), 1);
      sent++;
      call.onPageConfirmed?.(sent);
      await printed;
    }
    if (sent > 0) {
      const file = join(this.o.receivedDir, `${call.callId}.tif`);
      const paper = sliceTiff(call.document, call.fromPage - 1, call.fromPage - 1 + sent);
      // The directory is made when a write finds it missing, not before every call (issue 18's
      // profile: a mkdir per call).
      await writeFile(file, paper).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(this.o.receivedDir, { recursive: true });
        await writeFile(file, paper);
      });
    }
    if (outcome.result === 'no-carrier' || outcome.result === 'failed') {
      return { result: outcome.result, pagesSent: sent, remoteId: this.o.remoteId, remote, durationMs: elapsed, reason: `${describeError(outcome.result === 'no-carrier' ? 'NO_CARRIER' : 'CALL_FAILED')} after page ${call.fromPage - 1 + sent}` };
    }
    await wait(SIM_PHASE_E_MS);
    return { result: 'success', pagesSent: sent, remoteId: this.o.remoteId, remote, durationMs: elapsed };
  }
}

/** V.27 ter, V.29 and V.17 rates (T.30 Table 2 bits 11-14). */
const SIM_RATES = [2400, 4800, 7200, 9600, 12000, 14400];

/**
 * The simulated remote machine's paper: for each fax and recipient (the call id without its
 * attempt), how often each page was printed. Tests read it to prove no page came out twice.
 */
export function simPrintedKey(prefix: string, callId: string): string {
  return `${prefix}:sim:printed:${callId.replace(/-a[0-9]+$/, '')}`;
}

/**
 * Whose page the call's page `n` is: in a batched call (several documents, T.30 EOM between
 * them) each fax's paper counts its own pages; otherwise the call's own.
 */
function pageOwner(call: OutgoingCall, n: number): { callId: string; page: number } {
  let first = 1;
  for (const part of call.parts ?? []) {
    if (n < first + part.pages) return { callId: part.callId, page: part.fromPage + (n - first) };
    first += part.pages;
  }
  return { callId: call.callId, page: n };
}

/** Coded size of a page: what crosses the line (MMR as stored; a real line may send MH, larger). */
function codedBytes(page: object): number {
  const strips = (page as { strips?: Uint8Array[] }).strips;
  return strips ? strips.reduce((n, s) => n + s.length, 0) : 30_000;
}
