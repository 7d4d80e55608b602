import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, simCalls, startApiGateway } from './api-harness.ts';

// Issue 14, pages per day on the API path (the SMTP side is services/cli/test/page-quota.test.ts,
// the API's destinations per hour api-auth.test.ts). Pages are known only after render, so a fax
// POSTed past the limit is accepted (202) and fails before its first call; the API says why.

let g: TestGateway<RunningGateway>;
before(async () => {
  g = await startApiGateway('faxgate-api-page-quota', { FAXGATE_SIM_TIME_SCALE: '0.05', FAXGATE_QUOTA_SENDER_PAGES_PER_DAY: '2' });
});
after(async () => {
  await g?.dispose();
});

const ended = (id: string) => waitUntil(`fax ${id} to end`, async () => {
  const v = (await api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token: ADMIN_TOKEN })).body;
  return v.recipients?.every((r: { state: string }) => r.state === 'sent' || r.state === 'failed') ? v : undefined;
}, 60_000);

async function send(token: string, numbers: string[]): Promise<string> {
  const r = await api(g.gw, 'POST', '/api/v1/faxes', { token, body: { numbers, cover: 'none', message: 'One page.' } });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  return r.body.id;
}

test('a token\'s sender past its pages per day: the recipient over the limit fails before any call with QUOTA_PAGES and the reason in GET /faxes/{id}; another sender still faxes', async () => {
  const pam = await makeToken(g.gw, 'pam', ['send', 'read-own'], 'pam@example.com');
  const first = await ended(await send(pam, ['2125550710']));
  assert.equal(first.recipients[0].state, 'sent');
  assert.equal(first.recipients[0].pagesTotal, 1, 'a one-line message without a cover is one page');
  // Two recipients of one page each: the first takes the second page of the day, the other would pass 2.
  const id = await send(pam, ['2125550711', '2125550712']);
  const v = await ended(id);
  const [ok, over] = [...v.recipients].sort((a: { attempts: number }, b: { attempts: number }) => b.attempts - a.attempts);
  assert.equal(ok.state, 'sent', JSON.stringify(v.recipients));
  assert.equal(over.state, 'failed', JSON.stringify(v.recipients));
  assert.equal(over.errorCode, 'QUOTA_PAGES');
  assert.equal(over.attempts, 0, 'no call was made');
  assert.match(over.reason, /pam@example\.com has faxed 2 of 2 pages today \(UTC\) and this fax has 1/);
  assert.deepEqual(await simCalls(g.dataDir, id), [`${id}-r${ok.index}-a1.tif`], 'the remote printed the admitted recipient only');
  // As the sender sees it through its own token.
  const own = await api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token: pam });
  assert.match(own.body.recipients[over.index].reason, /pages today/);

  const ray = await makeToken(g.gw, 'ray', ['send', 'read-own'], 'ray@example.com');
  assert.equal((await ended(await send(ray, ['2125550713']))).recipients[0].state, 'sent', 'the limit is per sender');
});
