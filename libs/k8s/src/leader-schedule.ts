import type { LeaderElector } from './leader-elector.ts';

export interface LeaderSchedule {
  /** Runs of the task so far in this process. */
  readonly runs: number;
  /** Stops scheduling and waits for a run in progress to end. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` while this process is the leader, and never twice at once:
 * the singleton loop behind work such as polling a HylaFAX receive queue. When leadership is
 * lost the running task's signal aborts and no new run starts; the next leader picks up on its
 * own schedule. A task that throws is logged and tried again at the next interval.
 */
export function scheduleWhileLeader(
  elector: LeaderElector,
  intervalMs: number,
  task: (signal: AbortSignal) => Promise<void>,
  log: (msg: string, err?: unknown) => void = () => {},
): LeaderSchedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let abort: AbortController | undefined;
  let stopped = false;
  let runs = 0;

  const runOnce = () => {
    timer = undefined;
    if (stopped || !elector.isLeader || running) return;
    abort = new AbortController();
    const signal = abort.signal;
    runs++;
    running = task(signal)
      .catch((err) => log('scheduled task failed; trying again at the next interval', err))
      .finally(() => {
        running = undefined;
        if (!stopped && elector.isLeader && !signal.aborted) {
          timer = setTimeout(runOnce, intervalMs);
          timer.unref();
        }
      });
  };

  const unsubscribe = elector.onChange((leader) => {
    if (leader) {
      if (!timer && !running) runOnce();
    } else {
      clearTimeout(timer);
      timer = undefined;
      abort?.abort(new Error('leadership lost'));
    }
  });
  if (elector.isLeader) runOnce();

  return {
    get runs() {
      return runs;
    },
    async stop() {
      stopped = true;
      unsubscribe();
      clearTimeout(timer);
      abort?.abort(new Error('stopped'));
      await running;
    },
  };
}
