import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, baseSchema, domainList, loadConfig, sharedFields, timeZone } from './index.ts';

test('time zone names are checked: an IANA name passes, a typo is named', () => {
  const schema = z.object({ FAXGATE_COVER_TIMEZONE: timeZone('UTC') });
  assert.equal(loadConfig('t', schema, { FAXGATE_COVER_TIMEZONE: 'Europe/Berlin' }).FAXGATE_COVER_TIMEZONE, 'Europe/Berlin');
  assert.equal(loadConfig('t', schema, {}).FAXGATE_COVER_TIMEZONE, 'UTC');
  assert.throws(() => loadConfig('t', schema, { FAXGATE_COVER_TIMEZONE: 'Europe/Berln' }), (err: ConfigError) => /FAXGATE_COVER_TIMEZONE: "Europe\/Berln" is not a time zone name/.test(err.message));
});

test('mail domains are checked, every bad one named; good ones are lower-cased', () => {
  const schema = z.object({ FAXGATE_FAX_DOMAINS: sharedFields.FAXGATE_FAX_DOMAINS, FAXGATE_X: domainList('') });
  assert.deepEqual(loadConfig('t', schema, { FAXGATE_FAX_DOMAINS: 'Fax.Example.com, fax2.example.org' }).FAXGATE_FAX_DOMAINS, ['fax.example.com', 'fax2.example.org']);
  assert.throws(
    () => loadConfig('t', schema, { FAXGATE_FAX_DOMAINS: 'fax.example.com,fax@example.com, -bad.example', FAXGATE_X: 'exa mple.org' }),
    (err: ConfigError) => err.problems.length === 2 && /"fax@example.com", "-bad.example"/.test(err.problems[0]) && /"exa mple.org"/.test(err.problems[1]),
  );
  assert.ok(baseSchema);
});
