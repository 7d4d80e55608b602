// Runs every benchmark in this directory, one after another (they measure throughput and wall
// time, so they must not share the CPU), or only those named: `make bench BENCH=fax-image`.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const only = (process.env.BENCH ?? '').split(',').filter(Boolean);
const files = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n=== ${f} ===\n`);
  const r = spawnSync(process.execPath, [join(import.meta.dirname, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${f} exited ${r.status}\n`);
  }
}
process.exit(failed ? 1 : 0);
