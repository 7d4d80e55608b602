import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_VARIABLES } from '@faxgate/config';
import { configTable } from '../src/config-docs.ts';

test('the list of known variables (for the typo warning at start) is every variable of every role schema', async () => {
  const fromSchemas = [...(await configTable()).matchAll(/^\| `(FAXGATE_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]).sort();
  const missing = fromSchemas.filter((n) => !KNOWN_VARIABLES.includes(n));
  const stale = KNOWN_VARIABLES.filter((n) => !fromSchemas.includes(n));
  assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, 'update KNOWN_VARIABLES in libs/config/src/known-variables.ts');
});
