// The chaos run of issue 17: faxes on simulated lines while every role process and Redis are
// killed (-9) at random. What must hold: no accepted fax lost, no page printed twice by the
// far machine, exactly one result mail per recipient. Used by chaos.test.ts (100 faxes, in the
// suite) and by bench/chaos.ts (`make chaos`, 1,000 faxes, prints the figures).
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { createRedis } from '@faxgate/queue';
import { FaxRecords } from '@faxgate/store';
import { freePort, makePdf, roleProcessEnv, startRedis, startRoleProcess, startSmtpSink, tempDir, type RoleProcess } from '@faxgate/testkit';

export interface ChaosOptions {
  faxes: number;
  /** Time between two kills (a random pick among the roles and Redis). */
  killEveryMs: number;
  /** Kills stop once this share of the faxes has its result mail (0.8: kills hit retries and result mails too). */
  chaosUntilDone: number;
  /** Give up waiting for result mails after this long. */
  deadlineMs: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  faxes: number;
  accepted: number;
  kills: Record<string, number>;
  /** Accepted faxes without a result mail when the run ended. */
  lost: string[];
  /**
   * Recipients (fax numbers) that got more than one result mail, counted by delivery: a second
   * fax made of a mail sent again, a second outcome, or the same mail (same Message-ID)
   * delivered again after a kill all count (issue 17: exactly one result mail per recipient).
   */
  duplicateMails: string[];
  /** Of those, deliveries of a Message-ID the smarthost had received already. */
  redelivered: number;
  /** Submissions sent again after a lost reply that ingest answered as duplicates (not queued twice). */
  resentDuplicates: number;
  /** `fax page` printed more than once by the simulated remote. */
  pagesTwice: string[];
  sent: number;
  failed: number;
  pagesPrinted: number;
  wallMs: number;
  /** Where the lost faxes stand (fax state / recipient state), for a failure message. */
  lostStates: Record<string, number>;
  /** Outputs of the processes, for a failure message. */
  logs(): string;
}

const ROLES: Record<string, string[]> = { ingest: ['ingest'], render: ['render'], dispatch: ['dispatch'], node: ['node'], notifier: ['notifier'] };

export async function runChaos(o: ChaosOptions): Promise<ChaosFigures> {
  const started = Date.now();
  const log = o.log ?? (() => {});
  // fsync on every write: a kill -9 of Redis loses nothing it acknowledged (as with a replica or
  // a durable disk in production), so what is tested is faxgate's recovery, not AOF's window.
  const redis = await startRedis({ extraArgs: ['--appendfsync', 'always'] });
  const sink = await startSmtpSink();
  const dir = await tempDir('faxgate-chaos');
  const smtpPort = await freePort();
  const prefix = `chaos-${randomUUID()}`;
  const env = roleProcessEnv({ redisUrl: redis.url, dataDir: dir.path, smarthost: sink.url, smtpPort, prefix }, {
    FAXGATE_JOB_BACKOFF: '200ms',
    // A page takes about 50 ms: kills land mid-call as often as between calls.
    FAXGATE_SIM_TIME_SCALE: '0.02',
    FAXGATE_NODE_LINES: '8',
    // Every tenth number is busy once, every tenth (other) one loses the line after page 1 once.
    FAXGATE_SIM_OUTCOMES: '+1212555*3=busy:1; +1212555*7=no-carrier@1:1',
    FAXGATE_RETRY_BUSY_DELAY: '300ms',
    FAXGATE_RETRY_NO_ANSWER_DELAY: '300ms',
    FAXGATE_RETRY_FAILED_DELAY: '300ms',
    FAXGATE_RECONCILE_INTERVAL: '3s',
  });
  const procs = new Map<string, RoleProcess>();
  const dead: RoleProcess[] = [];
  const start = async (name: string) => {
    const p = await startRoleProcess(ROLES[name], { ...env, FAXGATE_NODE_ID: name });
    procs.set(name, p);
    return p;
  };
  const kills: Record<string, number> = {};
  const accepted = new Map<string, string>();
  let stopChaos = false;
  let resentDuplicates = 0;
  try {
    for (const name of Object.keys(ROLES)) await start(name);
    for (const p of procs.values()) await p.ready(60_000);
    log(`gateway up in ${Date.now() - started} ms`);

    const pdf = await makePdf(dir.path, 2, 'Chaos');
    const submit = async (i: number) => {
      const number = `1212555${String(i).padStart(4, '0')}`;
      const until = Date.now() + o.deadlineMs / 2;
      for (;;) {
        try {
          const info = await nodemailer
            .createTransport({ host: '127.0.0.1', port: smtpPort, ignoreTLS: true, connectionTimeout: 3000, greetingTimeout: 3000, socketTimeout: 10_000 })
            // One Message-ID per mail, kept when it is sent again, as an MTA's retry keeps it:
            // a try whose 250 was lost (ingest killed) is the same mail, not a new one.
            .sendMail({ from: 'chaos@example.com', to: `${number}@fax.test`, subject: `chaos ${i}`, text: `fax ${i}`, messageId: `<chaos-${i}-${prefix}@example.com>`, attachments: [{ filename: 'c.pdf', content: pdf }] });
          const id = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
          if (/duplicate/.test(info.response)) resentDuplicates++;
          if (id) accepted.set(id, number);
          return;
        } catch (err) {
          // 451 (Redis away), connection refused (ingest restarting): the client tries again.
          if (Date.now() > until) throw new Error(`fax ${i} not accepted in time: ${(err as Error).message}`);
          await new Promise((r) => setTimeout(r, 300));
        }
      }
    };
    // Every role and Redis once, in random order, then random picks while faxes flow.
    const targets = [...Object.keys(ROLES), 'redis'];
    const plan = [...targets].sort(() => Math.random() - 0.5);
    const chaos = (async () => {
      while (!stopChaos) {
        await new Promise((r) => setTimeout(r, o.killEveryMs * (0.5 + Math.random())));
        if (stopChaos) break;
        const t = plan.shift() ?? targets[Math.floor(Math.random() * targets.length)];
        kills[t] = (kills[t] ?? 0) + 1;
        if (t === 'redis') {
          await redis.kill9();
          await new Promise((r) => setTimeout(r, 300 + Math.random() * 1000));
          await redis.start();
        } else {
          const p = procs.get(t)!;
          await p.kill9();
          dead.push(p);
          await new Promise((r) => setTimeout(r, 200 + Math.random() * 500));
          const back = await start(t);
          // The next kill's interval starts once the role is back: on a loaded machine a restart
          // takes several times killEveryMs, and kills landing faster than roles come back left
          // a gateway that was never whole (8 of 100 sent at load 20 in a run that failed).
          await back.ready(60_000).catch(() => undefined);
        }
        log(`killed ${t} at ${Date.now() - started} ms`);
      }
    })();
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < o.faxes) await submit(next++);
    }));
    log(`${accepted.size} faxes accepted at ${Date.now() - started} ms`);
    // Result mails per fax id (a fax is done once its mail came).
    const mailsOf = () => {
      const ids = new Map<string, number>();
      for (const m of sink.mails) {
        const id = m.parsed.headers.get('x-faxgate-fax-id') as string | undefined;
        if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
      }
      return ids;
    };
    // Chaos goes on until most results are in, so kills also hit retries and result mails.
    const deadline = started + o.deadlineMs;
    while (Date.now() < deadline) {
      const counts = mailsOf();
      const done = [...accepted.keys()].filter((id) => counts.has(id)).length;
      if (done >= accepted.size * o.chaosUntilDone && plan.length === 0) stopChaos = true;
      if (done === accepted.size && stopChaos) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    stopChaos = true;
    await chaos;
    // Late duplicates would show now.
    await new Promise((r) => setTimeout(r, 3000));

    const counts = mailsOf();
    const client = createRedis(redis.url, 'background');
    const pagesTwice: string[] = [];
    let pagesPrinted = 0;
    const lostStates: Record<string, number> = {};
    try {
      for (const key of await client.keys(`${prefix}:sim:printed:*`)) {
        for (const [page, n] of Object.entries(await client.hgetall(key))) {
          pagesPrinted += Number(n);
          if (Number(n) > 1) pagesTwice.push(`${key.slice(key.lastIndexOf(':') + 1)} page ${page} x${n}`);
        }
      }
      const records = new FaxRecords(client, prefix);
      for (const id of [...accepted.keys()].filter((x) => !counts.has(x))) {
        const v = await records.view(id);
        const k = `${v?.state}/${v?.recipients[0]?.state}/a${v?.recipients[0]?.attempts}`;
        lostStates[k] = (lostStates[k] ?? 0) + 1;
      }
    } finally {
      client.disconnect();
    }
    // Result mails per recipient, by delivery: every mail the smarthost received counts, under
    // the number it reports on (each fax of the run has its own number).
    const byNumber = new Map<string, string[]>();
    for (const m of sink.mails) {
      if (!m.parsed.headers.get('x-faxgate-fax-id')) continue;
      const number = /\+\d{6,}/.exec(m.parsed.subject ?? '')?.[0] ?? `unknown: ${m.parsed.subject}`;
      byNumber.set(number, [...(byNumber.get(number) ?? []), m.parsed.messageId ?? '(none)']);
    }
    const twice = [...byNumber].filter(([, ids]) => ids.length > 1);
    let sent = 0;
    let failed = 0;
    for (const m of sink.mails) {
      if (m.parsed.headers.get('x-faxgate-result') === 'failed') failed++;
      else sent++;
    }
    const all = [...procs.values(), ...dead];
    return {
      faxes: o.faxes,
      accepted: accepted.size,
      kills,
      lost: [...accepted.keys()].filter((id) => !counts.has(id)),
      duplicateMails: twice.map(([number, ids]) => `${number} x${ids.length}: ${ids.join(' ')}`),
      redelivered: twice.reduce((n, [, ids]) => n + ids.length - new Set(ids).size, 0),
      resentDuplicates,
      pagesTwice,
      sent,
      failed,
      pagesPrinted,
      wallMs: Date.now() - started,
      lostStates,
      logs: () => all.map((p) => `--- ${p.roles.join('+')} ---\n${p.output().slice(-2000)}`).join('\n'),
    };
  } finally {
    stopChaos = true;
    for (const p of procs.values()) await p.kill9();
    await sink.close();
    await redis.dispose();
    await dir.remove();
  }
}
