import type { DocumentForm, HylafaxClient, NewJob } from './client.ts';
import { lastTimeArg, retryTimeArg } from './command-args.ts';
import type { JobStatus } from './job-description.ts';
import type { JobSummary } from './job-list.ts';
import { isFinalJobState } from './job-state.ts';
import { HylafaxTimeoutError } from './errors.ts';

/** One fax to send through HylaFAX. */
export interface FaxRequest {
  /** The number as the modem should dial it (after faxgate's own dial rules). */
  dialString: string;
  /**
   * faxgate's id for this fax, stored as the job's JOBINFO tag: it is how {@link findJob} finds
   * the HylaFAX job again after a restart. Must be unique per fax.
   */
  tag: string;
  /** Documents in page order: TIFF Class F, or PS/PDF that hfaxd converts itself. */
  documents: Array<{ data: Uint8Array; form?: DocumentForm }>;
  toUser?: string;
  toCompany?: string;
  fromUser?: string;
  /** Modem device or class (JPARM MODEM); HylaFAX picks any when unset. */
  modem?: string;
  maxDials?: number;
  maxTries?: number;
  /** How long HylaFAX may keep trying, in seconds; 3 hours by default (sendfax's default). */
  lastTimeSeconds?: number;
  /** One fixed delay before HylaFAX retries a failed call (sendfax -I); HylaFAX's own rules otherwise. */
  retryTimeSeconds?: number;
  /** Lines per inch to send at: 196 (fine) or 98 (normal). Fine by default, like faxgate's TIFFs. */
  verticalResolution?: 98 | 196;
  pageWidthMm?: number;
  pageLengthMm?: number;
}

/** A job that exists on the server but has not been submitted yet. */
export interface PreparedFax extends NewJob {
  tag: string;
  documents: string[];
}

/**
 * First half of a submission: uploads the documents, creates the job (JNEW) and sets its
 * parameters. The job lives only in this session until {@link commitFax}; the caller records
 * `jobId` durably in between, so that after a crash it knows which job to look for.
 */
export async function prepareFax(client: HylafaxClient, fax: FaxRequest): Promise<PreparedFax> {
  if (fax.documents.length === 0) throw new RangeError('a fax needs at least one document');
  if (fax.tag.trim() === '') throw new RangeError('a fax needs a tag to be found again');
  const documents: string[] = [];
  for (const doc of fax.documents) documents.push(await client.uploadDocument(doc.data, doc.form ?? 'TIFF'));
  const job = await client.createJob();
  await client.setJobParam('JOBINFO', fax.tag);
  await client.setJobParam('DIALSTRING', fax.dialString);
  await client.setJobParam('EXTERNAL', fax.dialString);
  // faxgate writes its own result mail: HylaFAX must not mail anyone.
  await client.setJobParam('NOTIFY', 'none');
  if (fax.toUser !== undefined) await client.setJobParam('TOUSER', fax.toUser);
  if (fax.toCompany !== undefined) await client.setJobParam('TOCOMPANY', fax.toCompany);
  if (fax.fromUser !== undefined) await client.setJobParam('FROMUSER', fax.fromUser);
  if (fax.modem !== undefined) await client.setJobParam('MODEM', fax.modem);
  await client.setJobParam('MAXDIALS', fax.maxDials ?? 12);
  await client.setJobParam('MAXTRIES', fax.maxTries ?? 3);
  await client.setJobParam('LASTTIME', lastTimeArg(fax.lastTimeSeconds ?? 3 * 3600));
  if (fax.retryTimeSeconds !== undefined) await client.setJobParam('RETRYTIME', retryTimeArg(fax.retryTimeSeconds));
  await client.setJobParam('VRES', fax.verticalResolution ?? 196);
  await client.setJobParam('PAGEWIDTH', fax.pageWidthMm ?? 209);
  await client.setJobParam('PAGELENGTH', fax.pageLengthMm ?? 296);
  // Pages arrive as rendered: trimming white space would change their length.
  await client.setJobParam('PAGECHOP', 'none');
  for (const path of documents) await client.addDocument(path);
  return { ...job, tag: fax.tag, documents };
}

/** Second half: hands the prepared job to the scheduler (JSUBM). */
export async function commitFax(client: HylafaxClient, prepared: PreparedFax): Promise<void> {
  await client.submitJob(prepared.jobId);
}

/**
 * Prepares and commits in one call, awaiting `beforeSubmit(prepared)` in between: that is where
 * the caller persists the HylaFAX job id. If it throws, nothing is submitted.
 */
export async function submitFax(client: HylafaxClient, fax: FaxRequest, beforeSubmit: (prepared: PreparedFax) => Promise<void>): Promise<PreparedFax> {
  const prepared = await prepareFax(client, fax);
  await beforeSubmit(prepared);
  await commitFax(client, prepared);
  return prepared;
}

/**
 * Finds the job carrying `tag` (the JOBINFO set by {@link prepareFax}) in sendq or doneq, newest
 * first. A job whose session ended before JSUBM is gone from the server, so `undefined` means
 * it was never submitted and may be prepared again; any job found must not be submitted twice.
 * `owner` narrows the search to the jobs of one hfaxd user.
 */
export async function findJob(client: HylafaxClient, tag: string, owner: string = client.user): Promise<JobSummary | undefined> {
  const jobs = [...(await client.listJobs('sendq')), ...(await client.listJobs('doneq'))];
  return jobs
    .filter((j) => j.tag === tag && (owner === '*' || j.owner === owner))
    .sort((a, b) => b.jobId - a.jobId)[0];
}

/** How {@link waitForJob} polls. */
export interface WaitOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /** Called with each state read, e.g. to log progress or update faxgate's record. */
  onUpdate?: (status: JobStatus) => void;
}

/**
 * Polls a job until HylaFAX is done with it (done or failed) and returns its final state.
 * Fails with HylafaxTimeoutError after `timeoutMs` (10 minutes by default).
 */
export async function waitForJob(client: HylafaxClient, jobId: number, options: WaitOptions = {}): Promise<JobStatus> {
  const interval = options.intervalMs ?? 2_000;
  const timeout = options.timeoutMs ?? 600_000;
  const deadline = Date.now() + timeout;
  for (;;) {
    const status = await client.getJob(jobId);
    if (!status) throw new RangeError(`HylaFAX job ${jobId} is in neither sendq nor doneq`);
    options.onUpdate?.(status);
    if (isFinalJobState(status.state)) return status;
    if (Date.now() + interval > deadline) throw new HylafaxTimeoutError(`the end of job ${jobId}`, timeout);
    await new Promise((r) => setTimeout(r, interval));
  }
}
