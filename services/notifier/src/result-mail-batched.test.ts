import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FaxView } from '@faxgate/store';
import { parseDsnWithPython as parse } from '@faxgate/testkit';
import { composeResultMail } from './result-mail.ts';

// Issue 14: a fax that went in another fax's call (batching) says so in its result mail's call
// list, without naming the other fax (another sender's).
test('the result mail of a fax sent in a batched call says the call carried other faxes to the number, and no other fax id', async () => {
  const attempt = (n: number, batchedIn?: string) => ({ attempt: n, startedAt: `2026-12-06T00:0${n}:00.000Z`, endedAt: `2026-12-06T00:0${n}:30.000Z`, fromPage: 1, line: 'sim/n1/1', result: 'success' as const, pagesSent: 1, durationMs: 30_000, ...(batchedIn ? { batchedIn } : {}) });
  const fax = (batchedIn?: string): FaxView => ({
    id: 'fx000000000abcdef0123', state: 'done', createdAt: '2026-12-06T00:00:00.000Z', sender: 'pat@example.com', messageKey: 'm', messageBytes: 1, recipientCount: 1, timeline: [],
    recipients: [{ index: 0, address: '12125550100@fax.test', number: '+12125550100', dialString: '12125550100', state: 'sent', pagesTotal: 1, pagesSent: 1, attempts: 1, connectedAttempts: 1, durationMs: 30_000, attemptsDetail: [attempt(1, batchedIn)] }],
  });
  const from = '"faxgate" <faxgate@fax.example.com>';
  const batched = await composeResultMail({ fax: fax('fx0000000000otherfax99-r0-a1'), recipient: 0, from });
  // The human-readable part as Python's email package reads it out of the multipart/report.
  const human = (m: { raw?: unknown }) => parse(m.raw as Buffer).human;
  assert.match(human(batched), /^ {2}1\. 2026-12-06T00:01:00\.000Z success, 1 page\(s\) from page 1, .*, in one call with other faxes to the number$/m);
  assert.doesNotMatch(human(batched), /otherfax/);
  const alone = await composeResultMail({ fax: fax(), recipient: 0, from });
  assert.doesNotMatch(human(alone), /other faxes/);
  assert.match(human(alone), /^ {2}1\. 2026-12-06T00:01:00\.000Z success/m);
});
