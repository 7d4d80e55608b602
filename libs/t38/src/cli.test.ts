import { test } from 'node:test';
import assert from 'node:assert/strict';
import { t38Cli } from './cli.ts';

// Usage errors exit 2 before any socket or file is touched; an unreadable document exits 1.
test('t38 CLI refuses bad arguments with status 2', async (t) => {
  const errors: string[] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => errors.push(args.join(' ')));
  assert.equal(await t38Cli([]), 2);
  assert.equal(await t38Cli(['fly']), 2);
  assert.equal(await t38Cli(['send', 'nohostport', 'a.tif']), 2);
  assert.equal(await t38Cli(['send', '127.0.0.1:9', 'a.tif', '--ecm', 'maybe']), 2);
  assert.equal(await t38Cli(['send', '127.0.0.1:9', 'a.tif', '--id', 'letters']), 2);
  assert.equal(await t38Cli(['send', '127.0.0.1:9', 'a.tif', '--ecm-frame', '128']), 2);
  assert.equal(await t38Cli(['receive', '--listen', '0']), 2);
  assert.ok(errors.every((e) => e.startsWith('t38: ')));
  assert.equal(await t38Cli(['send', '127.0.0.1:9', '/nonexistent/a.tif']), 1);
  assert.match(errors[errors.length - 1], /ENOENT/);
});
