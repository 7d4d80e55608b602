import { jobStateFromSymbol, type JobState } from './job-state.ts';

/** One line of a sendq/doneq listing. */
export interface JobSummary {
  jobId: number;
  tag: string;
  state: JobState;
  owner: string;
  dialString: string;
  queue: 'sendq' | 'doneq';
}

/**
 * JOBFMT (hfaxd(8) JobFmt): %j job id, %J job tag (JPARM JOBINFO), %a state symbol, %o owner,
 * %v dialstring. Tabs separate the fields: hfaxd keeps them, and the free-text fields come last
 * so a tab inside one of them cannot shift the others.
 */
export const JOB_LIST_FORMAT = '%j\t%a\t%o\t%J\t%v';

/** Parses a listing produced with {@link JOB_LIST_FORMAT}. */
export function parseJobList(text: string, queue: 'sendq' | 'doneq'): JobSummary[] {
  const jobs: JobSummary[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const [id, state, owner, tag, ...rest] = line.split('\t');
    const jobId = Number(id);
    if (!Number.isSafeInteger(jobId) || rest.length === 0) throw new SyntaxError(`not a JOBFMT line: ${JSON.stringify(line)}`);
    jobs.push({ jobId, tag, state: jobStateFromSymbol(state), owner, dialString: rest.join('\t'), queue });
  }
  return jobs;
}
