import { jobStateFromNumber, type JobState } from './job-state.ts';

/** What faxgate needs from a HylaFAX job, read from its job description file (sendq(5)). */
export interface JobStatus {
  jobId: number;
  groupId: number;
  state: JobState;
  /** The JOBINFO tag the client set: faxgate's own job id. */
  tag: string;
  owner: string;
  dialString: string;
  /**
   * Pages done so far (sendq(5) npages) and the total (totpages). hfaxd 6.0.7 counts pages left
   * out by a PAGERANGE as done: pages actually transmitted are pagesSent - pagesSkipped.
   */
  pagesSent: number;
  totalPages: number;
  /** Pages left out by JPARM PAGERANGE (skippages). */
  pagesSkipped: number;
  /** Calls that got past T.30 phase A (tottries), and the limit. */
  tries: number;
  maxTries: number;
  dials: number;
  maxDials: number;
  /** The called station's CSI from the last session, as HylaFAX recorded it. */
  remoteCsi: string;
  /** Why the last attempt failed, in HylaFAX's words; empty after success. */
  statusText: string;
  statusCode: string;
  commId: string;
  signalRate: string;
  dataFormat: string;
  modem: string;
  /** Seconds since the epoch after which HylaFAX gives up (killtime). */
  killTime: number;
}

/**
 * Parses a job description file: `name:value` lines (sendq(5)); document lines start with `!`
 * or another type prefix and are not needed here.
 */
export function parseJobDescription(text: string): JobStatus {
  const fields = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    if (!/^[a-z]+$/.test(key) || fields.has(key)) continue;
    fields.set(key, line.slice(colon + 1));
  }
  if (!fields.has('jobid') || !fields.has('state')) throw new SyntaxError('not a HylaFAX job description: no jobid or state');
  const str = (k: string) => fields.get(k) ?? '';
  const num = (k: string) => {
    const v = Number(fields.get(k) ?? '0');
    return Number.isFinite(v) ? v : 0;
  };
  return {
    jobId: num('jobid'),
    groupId: num('groupid'),
    state: jobStateFromNumber(num('state')),
    tag: str('jobtag'),
    owner: str('owner'),
    dialString: str('number'),
    pagesSent: num('npages'),
    totalPages: num('totpages'),
    pagesSkipped: num('skippages'),
    tries: num('tottries'),
    maxTries: num('maxtries'),
    dials: num('totdials'),
    maxDials: num('maxdials'),
    remoteCsi: str('csi').trim(),
    statusText: str('status'),
    statusCode: str('statuscode') || str('errorcode'),
    commId: str('commid'),
    signalRate: str('signalrate'),
    dataFormat: str('dataformat'),
    modem: str('modem'),
    killTime: num('killtime'),
  };
}
