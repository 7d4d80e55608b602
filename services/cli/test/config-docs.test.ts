import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configTable } from '../src/config-docs.ts';

test('docs/configuration.md lists every variable of every role, as generated from the schemas', async () => {
  const doc = await readFile(resolve(import.meta.dirname, '../../../docs/configuration.md'), 'utf8');
  const table = await configTable();
  assert.ok(doc.includes(table), 'docs/configuration.md is out of date: run ./faxgate config docs');
  for (const v of ['FAXGATE_REDIS_URL', 'FAXGATE_SMTP_PORT', 'FAXGATE_HTTP_PORT', 'FAXGATE_FAX_DOMAINS', 'FAXGATE_DEFAULT_COUNTRY', 'FAXGATE_SMARTHOST', 'FAXGATE_DATA_DIR']) {
    assert.match(table, new RegExp(`\\| \`${v}\` \\|`));
  }
});
