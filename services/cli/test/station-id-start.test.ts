// Issue 19: the station id (FAXGATE_STATION_ID) is required at start for real line drivers,
// with a clear error if missing: `faxgate run node` on a pool of T.38, SIP or HylaFAX lines
// without it exits 78 (EX_CONFIG) naming the variable, the driver and the pool, and prints no
// stack trace; the render role, which draws the same number in the header line, takes it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { tempDir } from '@faxgate/testkit';

const FAXGATE = join(resolve(import.meta.dirname, '../../..'), 'faxgate');

/** Runs `faxgate run <role>` with only these variables (and PATH, HOME); its exit code and output. */
async function run(role: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(FAXGATE, ['run', role], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  clearTimeout(timer);
  return { code, output };
}

test('faxgate run node with T.38, SIP or HylaFAX lines and no station id exits 78, naming the variable, the driver and the pool', async (t) => {
  const dir = await tempDir('faxgate-station-id');
  t.after(() => dir.remove());
  for (const driver of ['t38', 'sip', 'hylafax']) {
    const { code, output } = await run('node', { FAXGATE_NODE_DRIVER: driver, FAXGATE_NODE_POOL: 'trunk-a', FAXGATE_DATA_DIR: dir.path });
    assert.equal(code, 78, `${driver}: exit code\n${output}`);
    assert.match(output, new RegExp(`FAXGATE_STATION_ID: FAXGATE_NODE_DRIVER=${driver} needs the station id of pool trunk-a, the fax number its lines send from`), output);
    assert.match(output, /header line of every page, so give the render role the same value/);
    assert.doesNotMatch(output, /^\s+at /m, `${driver}: no stack trace\n${output}`);
  }
});

test('a station id that is not a fax number is refused at start with the same clarity', async (t) => {
  const dir = await tempDir('faxgate-station-id');
  t.after(() => dir.remove());
  const { code, output } = await run('node', { FAXGATE_NODE_DRIVER: 't38', FAXGATE_STATION_ID: 'ACME fax', FAXGATE_DATA_DIR: dir.path });
  assert.equal(code, 78, output);
  assert.match(output, /FAXGATE_STATION_ID: T.30 §5.3.6.2.4: up to 20 digits, \+ and spaces \(got "ACME fax"\)/);
  assert.doesNotMatch(output, /^\s+at /m, output);
});
