// Every `faxgate` command and subcommand answers --help with its usage on stdout and exit 0, and
// refuses an unknown option with exit 2 and the option named on stderr. The commands come from
// the one table main.ts dispatches through, so a new command or subcommand without help fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { COMMANDS } from '../src/commands.ts';

const MAIN = join(import.meta.dirname, '../src/main.ts');
const TIMEOUT_MS = 30_000;

interface Run {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `faxgate <args>` as its own process, as a user would (bounded by TIMEOUT_MS). */
function faxgate(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], {
      timeout: TIMEOUT_MS,
      // Nothing here may reach a console; if a regression tried, it fails at once on 127.0.0.1.
      env: { ...process.env, FAXGATE_CONSOLE_URL: 'http://127.0.0.1:1', NODE_OPTIONS: '' },
    }, (err, stdout, stderr) => {
      const killed = err && 'killed' in err && err.killed;
      resolve({ args, code: killed ? null : (err ? Number(err.code) : 0), stdout, stderr: killed ? `${stderr}\n(killed after ${TIMEOUT_MS} ms)` : stderr });
    });
  });
}

/** Runs the argument lists two at a time (the machine has 2 cores) and returns every result. */
async function runAll(list: string[][]): Promise<Run[]> {
  const out: Run[] = new Array(list.length);
  let next = 0;
  const lane = async () => {
    while (next < list.length) {
      const i = next++;
      out[i] = await faxgate(list[i]);
    }
  };
  await Promise.all([lane(), lane()]);
  return out;
}

const show = (r: Run) => `faxgate ${r.args.join(' ')} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

function assertHelp(r: Run, names: string): void {
  assert.equal(r.code, 0, show(r));
  assert.ok(r.stdout.includes('usage'), `no usage on stdout: ${show(r)}`);
  assert.ok(r.stdout.includes(`faxgate ${names}`), `usage does not name "faxgate ${names}": ${show(r)}`);
  assert.equal(r.stderr, '', show(r));
}

function assertRefused(r: Run, option: string): void {
  assert.equal(r.code, 2, show(r));
  assert.ok(r.stderr.includes(option), `stderr does not name ${option}: ${show(r)}`);
  assert.equal(r.stdout, '', show(r));
}

test('faxgate --help, -h and help list every command', async () => {
  for (const r of await runAll([['--help'], ['-h'], ['help']])) {
    assert.equal(r.code, 0, show(r));
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c.name} `, 'm'), `${c.name} missing: ${show(r)}`);
  }
  const [none, unknown, helpTiff, tiffHelp] = await runAll([[], ['--no-such-option'], ['help', 'tiff'], ['tiff', '--help']]);
  assert.equal(none.code, 2, show(none));
  assertRefused(unknown, '--no-such-option');
  assertHelp(helpTiff, 'tiff');
  assert.equal(helpTiff.stdout, tiffHelp.stdout, '`faxgate help <command>` prints the command\'s usage');
});

for (const c of COMMANDS) {
  test(`faxgate ${c.name}${c.subcommands.length ? ` and ${c.subcommands.join(', ')}` : ''}: --help, -h, unknown option`, async () => {
    const subs = c.subcommands.map((s) => [c.name, s]);
    const runs = await runAll([
      [c.name, '--help'], [c.name, '-h'], [c.name, '--no-such-option', 'x'],
      ...subs.map((s) => [...s, '--help']),
      ...subs.map((s) => [...s, '--no-such-option', 'x']),
    ]);
    const [help, h, unknown] = runs;
    assertHelp(help, c.name);
    assertHelp(h, c.name);
    assert.equal(h.stdout, help.stdout, '-h and --help print the same');
    assertRefused(unknown, '--no-such-option');
    subs.forEach((s, i) => {
      assertHelp(runs[3 + i], s.join(' '));
      assertRefused(runs[3 + subs.length + i], '--no-such-option');
    });
  });
}
