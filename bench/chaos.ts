// `make chaos`: issue 17's long chaos run, 1,000 faxes (FAXES=n to change) on simulated lines
// while every role process and Redis are killed (-9) at random; prints the figures the suite's
// chaos test asserts on (services/cli/test/chaos.test.ts runs 100).
import { runChaos } from '../services/cli/test/chaos-run.ts';

const faxes = Number(process.env.FAXES ?? 1000);
const f = await runChaos({ faxes, killEveryMs: 5000, chaosUntilDone: 0.8, deadlineMs: Math.max(300_000, faxes * 900), log: (l) => process.stdout.write(`  ${l}\n`) });
const rows: Array<[string, string | number]> = [
  ['faxes submitted', f.faxes],
  ['accepted (250)', f.accepted],
  ['kills (kill -9)', Object.entries(f.kills).map(([k, n]) => `${k} ${n}`).join(', ')],
  ['result mails: sent', f.sent],
  ['result mails: failed', f.failed],
  ['lost (no result mail)', f.lost.length],
  ['recipients mailed twice', f.duplicateMails.length],
  ['  of which same Message-ID', f.redelivered],
  ['mails resent, duplicates', f.resentDuplicates],
  ['pages printed', f.pagesPrinted],
  ['pages printed twice', f.pagesTwice.length],
  ['wall time', `${(f.wallMs / 1000).toFixed(1)} s`],
];
process.stdout.write(`\n${rows.map(([k, v]) => `  ${k.padEnd(28)} ${v}`).join('\n')}\n`);
if (f.lost.length) process.stdout.write(`\nlost: ${JSON.stringify(f.lostStates)}\n`);
if (f.duplicateMails.length) process.stdout.write(`\nmailed twice: ${f.duplicateMails.slice(0, 20).join('; ')}\n`);
if (f.pagesTwice.length) process.stdout.write(`\npages twice: ${f.pagesTwice.slice(0, 20).join('; ')}\n`);
process.exit(f.lost.length || f.duplicateMails.length || f.pagesTwice.length ? 1 : 0);
