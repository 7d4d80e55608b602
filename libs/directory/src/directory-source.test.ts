import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { assertNothingFor, tempDir, waitUntil } from '@faxgate/testkit';
import { DirectoryError } from './directory-parse.ts';
import { DirectorySource } from './directory-source.ts';

const log = pino({ level: 'silent' });
const file = (users: string[]) => `unaddressed: admin@example.com\nusers:\n${users.map((u) => `  - id: ${u}\n    emails: [${u}@example.com]\n`).join('')}`;
const ids = (s: DirectorySource) => s.current.directory.users.map((u) => u.id);

test('polling alone notices edits, refuses a bad file with its line while the old directory stays, and survives the file vanishing', async () => {
  const dir = await tempDir();
  const path = join(dir.path, 'directory.yaml');
  const src = new DirectorySource({ path, log, pollMs: 30, fallbackUnaddressed: 'x@example.com', watch: false });
  try {
    await writeFile(path, file(['a']));
    await src.load();
    src.start();
    await writeFile(path, file(['a', 'b']));
    await waitUntil('the poll to load b', () => ids(src).includes('b'), 5000, 10);

    await writeFile(path, `${file(['a', 'b'])}  - id: c\n    emails: [nope]\n`);
    const rejected = await waitUntil('the bad file to be refused', () => src.status().rejected, 5000, 10);
    assert.deepEqual(rejected.issues.map((i) => [i.line, i.path, i.message]), [[8, 'users[2].emails[0]', 'not an e-mail address']]);
    assert.deepEqual(ids(src), ['a', 'b'], 'the old directory stays active');

    await rm(path);
    // A vanished file does not reroute everything: ten 30 ms polls find no file and change nothing.
    await assertNothingFor('the directory changing after its file vanished', () => ids(src).join() !== 'a,b' && ids(src), 300, 10);
    await writeFile(path, file(['d']));
    await waitUntil('the new file', () => ids(src).join() === 'd', 5000, 10);
    assert.equal(src.status().rejected, undefined);
  } finally {
    src.stop();
    await dir.remove();
  }
});

test('fs.watch alone notices an atomic replacement, and fresh() sees a change before any notification', async () => {
  const dir = await tempDir();
  const path = join(dir.path, 'directory.yaml');
  const watching = new DirectorySource({ path, log, pollMs: 3_600_000, fallbackUnaddressed: 'x@example.com' });
  const lazy = new DirectorySource({ path, log, pollMs: 3_600_000, fallbackUnaddressed: 'x@example.com', watch: false });
  try {
    await writeFile(path, file(['a']));
    await watching.load();
    await lazy.load();
    watching.start();
    lazy.start();
    await writeFile(`${path}.tmp`, file(['a', 'w']));
    await rename(`${path}.tmp`, path);
    await waitUntil('the watcher to load w', () => ids(watching).includes('w'), 5000, 10);
    assert.deepEqual(ids(lazy), ['a'], 'without watch or poll nothing has looked yet');
    assert.deepEqual((await lazy.fresh()).directory.users.map((u) => u.id), ['a', 'w']);
  } finally {
    watching.stop();
    lazy.stop();
    await dir.remove();
  }
});

test('at start: a missing file means the built-in unaddressed-only directory; a bad file stops the start', async () => {
  const dir = await tempDir();
  const path = join(dir.path, 'directory.yaml');
  try {
    const missing = new DirectorySource({ path, log, pollMs: 1000, fallbackUnaddressed: 'postmaster@fax.example.com', watch: false });
    await missing.load();
    assert.equal(missing.current.builtIn, true);
    assert.deepEqual(missing.current.directory.unaddressed, ['postmaster@fax.example.com']);
    await writeFile(path, 'unaddressed: a@example.com\nusers:\n  - id: a\n    format: pdf\n');
    const bad = new DirectorySource({ path, log, pollMs: 1000, fallbackUnaddressed: 'x@example.com', watch: false });
    await assert.rejects(bad.load(), (err: unknown) => err instanceof DirectoryError && /line 3, column 5 \(users\[0\]\.emails\)/.test(err.message));
  } finally {
    await dir.remove();
  }
});
