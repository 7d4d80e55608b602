// `faxgate t38 …` over a lossy line, for the failure-path and interop tests: the production
// command with its socket wrapped by lossySocket. Takes the command's own arguments plus
// --drop-every K (withhold every K-th outgoing datagram) and --drop-image-only (count only
// datagrams of high-speed data), and reports on stderr what it withheld.
import { t38Cli } from '../src/cli.ts';
import type { T38Version } from '../src/ifp.ts';
import { lossySocket, type LossyStats } from './lossy-socket.ts';

const argv = process.argv.slice(2);
function take(flag: string, withValue: boolean): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const v = withValue ? argv[i + 1] : 'true';
  argv.splice(i, withValue ? 2 : 1);
  return v;
}
const dropEvery = Number(take('--drop-every', true));
const imageOnly = take('--drop-image-only', false) !== undefined;
if (!Number.isInteger(dropEvery) || dropEvery < 1) throw new Error('lossy-cli needs --drop-every K (K ≥ 1)');
const versionAt = argv.indexOf('--t38-version');
const version = (versionAt >= 0 ? Number(argv[versionAt + 1]) : 0) as T38Version;
const stats: LossyStats = { sent: 0, dropped: 0 };
process.exitCode = await t38Cli(argv, { wrapSocket: (s) => lossySocket(s, { dropEvery, imageOnly, version }, stats) });
console.error(`lossy line: withheld ${stats.dropped} of ${stats.sent} datagrams`);
