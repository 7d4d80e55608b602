import { readTiff, sliceTiff } from '@faxgate/fax-image';
import { describeError } from '@faxgate/errors';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { SIM_PHASE_B_MS, SIM_POST_PAGE_MS, SIM_PHASE_E_MS, simSleep } from './sim-timing.ts';

export interface SimReceiveOptions {
  bitRate: number;
  timeScale: number;
  ringTimeMs: number;
}


/**
 * The simulated remote machine calls us: each page takes the time it would on a line at the
 * configured bit rate, and a call told to fail after N pages drops there (the pages before it
 * arrived whole). What arrives is the remote's pages as TIFF Class F, with the rows a receiver
 * would have had to repair counted from the coded data.
 */
export async function simReceive(o: SimReceiveOptions, call: IncomingCall, signal: AbortSignal): Promise<ReceiveOutcome> {
  const remote = call.simRemote;
  if (!remote) throw new Error('the simulated line only receives calls offered by `faxgate sim receive`');
  const pages = readTiff(remote.document);
  let elapsed = 0;
  const wait = async (ms: number) => {
    elapsed += ms;
    await simSleep(ms * o.timeScale, signal);
  };
  await wait(o.ringTimeMs + SIM_PHASE_B_MS);
  const limit = remote.failAfterPage === undefined ? pages.length : Math.min(remote.failAfterPage, pages.length);
  let badRows = 0;
  for (let i = 0; i < limit; i++) {
    const coded = pages[i].strips.reduce((n, s) => n + s.length, 0);
    await wait((coded * 8 * 1000) / o.bitRate + SIM_POST_PAGE_MS);
    badRows += pages[i].decodeWithStats().badRows;
  }
  const partial = limit < pages.length;
  if (!partial) await wait(SIM_PHASE_E_MS);
  return {
    document: limit > 0 ? sliceTiff(remote.document, 0, limit) : undefined,
    pages: limit,
    badRows,
    csid: remote.csid,
    subAddress: remote.subAddress,
    partial,
    durationMs: elapsed,
    ...(partial ? { reason: `${describeError('NO_CARRIER')} after page ${limit} of ${pages.length}` } : {}),
  };
}
