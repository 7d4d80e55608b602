import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nodeSchema } from './config.ts';
import { hylafaxServerOptions } from './hylafax-driver.ts';

const base = { FAXGATE_NODE_DRIVER: 'hylafax', FAXGATE_HYLAFAX_HOST: 'fax.example.net' };

test('the hylafax driver logs in with the configured user and password', async () => {
  const config = nodeSchema.parse({ ...base, FAXGATE_HYLAFAX_PASSWORD: 's3cret', FAXGATE_HYLAFAX_MODEM: 'ttyS0' });
  assert.deepEqual(await hylafaxServerOptions(config), { host: 'fax.example.net', port: 4559, user: 'faxgate', password: 's3cret' });
});

test('a password file wins over the variable, without its trailing newline', async () => {
  const config = nodeSchema.parse({ ...base, FAXGATE_HYLAFAX_PASSWORD: 'old', FAXGATE_HYLAFAX_PASSWORD_FILE: '/run/secrets/hylafax' });
  const options = await hylafaxServerOptions(config, async (path) => (path === '/run/secrets/hylafax' ? 'from-file\n' : ''));
  assert.equal(options.password, 'from-file');
});

test('the driver needs a host', async () => {
  const config = nodeSchema.parse({ FAXGATE_NODE_DRIVER: 'hylafax' });
  await assert.rejects(hylafaxServerOptions(config), /FAXGATE_HYLAFAX_HOST is required/);
});
