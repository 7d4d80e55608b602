// Wall time of the 2-page fine reference fax over T.38 on 127.0.0.1: faxgate → spandsp beside
// spandsp → spandsp in the same run, ECM on and off. Target: faxgate within 1.05× of spandsp.
// Run: node bench/t38.bench.ts   (prints a table; asserts nothing)
import { join } from 'node:path';
import { buildSpandspPeer, faxgate, makeTiff, start, tempDir, type Proc } from '../libs/t38/test/fax-peers.ts';

const peer = buildSpandspPeer();
const { dir, cleanup } = tempDir();
process.on('exit', cleanup);
const doc = makeTiff(dir, 'reference', 2, 196);

async function call(sender: 'faxgate' | 'spandsp', ecm: boolean, tag: string): Promise<number> {
  const rx = start(peer, ['receive', '--file', join(dir, `${tag}.tif`), '--ecm', ecm ? '1' : '0', '--timeout', '150']);
  const port = (await rx.waitFor(/LISTENING (\d+)/))[1];
  const t0 = performance.now();
  let tx: Proc;
  if (sender === 'faxgate') tx = faxgate(['send', `127.0.0.1:${port}`, doc, '--ecm', ecm ? 'on' : 'off']);
  else tx = start(peer, ['send', '--file', doc, '--peer-port', port, '--ecm', ecm ? '1' : '0', '--timeout', '150']);
  const [txCode, rxCode] = await Promise.all([tx.exit, rx.exit]);
  const ms = performance.now() - t0;
  if (txCode !== 0 || rxCode !== 0) throw new Error(`${tag} failed:\n${tx.stdout()}${tx.stderr()}\n${rx.stdout()}`);
  return ms;
}

const rows: string[][] = [['mode', 'faxgate → spandsp', 'spandsp → spandsp', 'ratio']];
const runs = await Promise.all([true, false].map(async (ecm) => {
  const [fg, sp] = await Promise.all([call('faxgate', ecm, `fg-${ecm}`), call('spandsp', ecm, `sp-${ecm}`)]);
  return { ecm, fg, sp };
}));
for (const r of runs) {
  rows.push([r.ecm ? 'ECM on (MMR)' : 'ECM off (MR)', `${(r.fg / 1000).toFixed(2)} s`, `${(r.sp / 1000).toFixed(2)} s`, `${(r.fg / r.sp).toFixed(3)}×`]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log('T.38, 2-page fine reference fax, V.17 14400, real time on 127.0.0.1');
for (const row of rows) console.log(row.map((c, i) => c.padEnd(widths[i])).join('  '));
