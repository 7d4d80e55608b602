import { pino } from 'pino';
import type { CallOutcome, IncomingCall, ReceiveOutcome, OutgoingCall } from '@faxgate/line-driver';
import { waitUntil } from '@faxgate/testkit';
import type { IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { efaxReceive, efaxReceivedPages } from '../../../libs/class1/test/fax-bed.ts';
import { Class1LineDriver, type Class1DriverOptions } from '../src/class1-line-driver.ts';

// The class1 driver as the class1 tests over an iaxmodem pair build it, and a call between two
// of them. It lives beside the tests, not beside libs/class1/test/iaxmodem-pair.ts, because the
// driver is this service's: a lib must not import a service.

/** The station ids the tests give the drivers on pty A and pty B. */
export const LOCAL_IDS = { a: '+1 212 555 0101', b: '+1 212 555 0102' } as const;

/**
 * A class1 driver on `device` (or on several: one line each), lines named `test/<name>/modem-<n>`,
 * logging at debug into `lines` (the evidence of a failing test); `onLog` sees each line's
 * message as it comes, for a test that acts on the call's progress. `extra` overrides any option.
 */
export function class1Driver(device: string | string[], name: string, lines: string[], extra: Partial<Class1DriverOptions> = {}, onLog?: (msg: string) => void): Class1LineDriver {
  return new Class1LineDriver({
    devices: typeof device === 'string' ? [device] : device, linePrefix: `test/${name}`, localId: name === 'b' ? LOCAL_IDS.b : LOCAL_IDS.a, ecm: true,
    modulations: ['v17', 'v29', 'v27ter'], dialCmd: 'ATDT%s', dialTimeoutMs: 30_000, resetCmds: ['ATZ'], initCmds: ['AT+VCID=1'],
    answer: true, rings: 1, did: '', quirks: {}, checkIntervalMs: 30_000,
    log: pino({ level: 'debug' }, { write: (s: string) => {
      lines.push(s);
      if (onLog) onLog(String((JSON.parse(s) as { msg?: string }).msg ?? ''));
    } }),
    ...extra,
  });
}

export interface Received {
  call: Omit<IncomingCall, 'simRemote'>;
  outcome: ReceiveOutcome;
}

export interface PairCall {
  outcome: CallOutcome;
  received: Received;
  /** Every fax node B handed over by the time the first came (a call must hand over one). */
  allReceived: Received[];
  logA: string;
  logB: string;
  /** Both drivers' logs and the iaxmodems' tails, for a failing assertion. */
  evidence(): Promise<string>;
}

export interface PairCallOptions {
  a?: Partial<Class1DriverOptions>;
  b?: Partial<Class1DriverOptions>;
  /** Sees each of node A's / node B's log messages as it comes. */
  onLogA?: (msg: string) => void;
  onLogB?: (msg: string) => void;
  /** The send request beyond document and dial string (callId, onPageConfirmed, ...), given node A's driver (to stop it mid-call). */
  request?: (a: Class1LineDriver) => Partial<OutgoingCall>;
  /** Runs as soon as node A's send() resolved, before waiting for node B. */
  afterSend?: (outcome: CallOutcome) => Promise<void>;
}

/**
 * Node A's class1 driver on pty A sends `document` to `dialString`; node B's answers on pty B and
 * hands the fax to the test. Resolves once B has the fax; both drivers are stopped after.
 */
export async function callAtoB(pair: IaxmodemPair, dialString: string, document: Uint8Array, o: PairCallOptions = {}): Promise<PairCall> {
  const logA: string[] = [];
  const logB: string[] = [];
  const a = class1Driver(pair.a.device, 'a', logA, o.a, o.onLogA);
  const b = class1Driver(pair.b.device, 'b', logB, o.b, o.onLogB);
  const received: Received[] = [];
  const evidence = async () => `\n--- node A log\n${logA.join('')}\n--- node B log\n${logB.join('')}\n${await pair.logs()}`;
  try {
    const stopB = await b.listen(async (call, outcome) => {
      received.push({ call, outcome });
      return 'in-test';
    });
    try {
      const outcome = await a.send({ callId: 'a-to-b', number: '+12125550102', line: 'test/a/1', fromPage: 1, ...o.request?.(a), dialString, document }, new AbortController().signal);
      await o.afterSend?.(outcome);
      await waitUntil(`node B to hand the received fax to its sink (A's outcome: ${JSON.stringify(outcome)})`, () => received.length > 0, 30_000);
      return { outcome, received: received[0], allReceived: received, logA: logA.join(''), logB: logB.join(''), evidence };
    } finally {
      pair.line?.setNoise(0);
      await stopB();
      await a.stop();
      await b.stop();
    }
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await evidence()}`, { cause: err });
  }
}

/** The station id efax answers with in sendToEfax. */
export const EFAX_ID = '+1 212 555 0199';

/**
 * efax answers on pty B and stores each page it receives; node A's class1 driver (with
 * `options`, e.g. its modulations) sends `document` to it. Resolves once efax has ended (30 s at
 * most after the call), with efax's exit code, the pages it stored (joined by libtiff's tiffcp)
 * and the driver's log.
 */
export async function sendToEfax(pair: IaxmodemPair, workDir: string, document: Uint8Array, callId: string, options: Partial<Class1DriverOptions> = {}) {
  const log: string[] = [];
  const rx = efaxReceive(pair.b.device, EFAX_ID, `${workDir}/efax-rx`);
  const a = class1Driver(pair.a.device, 'a', log, options);
  const evidence = async () => `\n--- efax\n${rx.output()}\n--- faxgate\n${log.join('')}\n${await pair.logs()}`;
  try {
    // efax opens and initialises its modem before it waits for the ring.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const outcome = await a.send({ callId, number: '+12125550199', dialString: '5550199', document, fromPage: 1, line: 'test/a/1' }, new AbortController().signal);
    let timer: NodeJS.Timeout | undefined;
    const efaxExit = await Promise.race([rx.exit, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 30_000)))]);
    clearTimeout(timer);
    return { outcome, efaxExit, received: await efaxReceivedPages(workDir, 'efax-rx'), log: log.join(''), evidence };
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${await evidence()}`, { cause: err });
  } finally {
    rx.proc.kill('SIGKILL');
    await a.stop();
  }
}
