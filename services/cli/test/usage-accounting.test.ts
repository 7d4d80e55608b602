import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { smtpDialogue, waitUntil } from '@faxgate/testkit';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

// Accounting: every ended recipient's confirmed pages and line time, per sender and domain,
// read back with `faxgate usage` (a child process, as an operator runs it), through the API
// (GET /api/v1/usage) and in /metrics.
const run = promisify(execFile);
const faxgate = fileURLToPath(new URL('../../../faxgate', import.meta.url));
let g: TestGateway;
before(async () => {
  g = await startTestGateway({ FAXGATE_SIM_OUTCOMES: '+12125550501=rejected' });
});
after(async () => {
  await g?.dispose();
});

async function send(from: string, to: string[]): Promise<string> {
  const r = await smtpDialogue(g.smtpPort, ['EHLO client.test', `MAIL FROM:<${from}>`, ...to.map((x) => `RCPT TO:<${x}>`), 'DATA', `From: <${from}>\r\nSubject: usage\r\n\r\nOne page.\r\n.`]);
  const last = r[r.length - 1];
  assert.equal(last.code, 250, last.text);
  return /queued as (fx[0-9a-z]+)/.exec(last.text)![1];
}

async function usage(...args: string[]): Promise<Array<{ period: string; rows: Array<{ scope: string; name: string; faxes: number; pages: number; lineMs: number; lineMinutes: number }> }>> {
  const { stdout } = await run(faxgate, ['usage', '--json', ...args], { env: { ...process.env, ...g.env } });
  return JSON.parse(stdout);
}

test('pages and line time per sender and domain: faxgate usage, GET /api/v1/usage and /metrics agree with the fax records', async () => {
  const a = await send('alice@clinic.test', ['12125550500@fax.test', '12125550501@fax.test']);
  const b = await send('bob@clinic.test', ['12125550502@fax.test']);
  const views = await Promise.all([a, b].map((id) => waitUntil(`fax ${id} to end and its result mails to be handled`, async () => {
    const v = await getFax(g.gw, id);
    return v.recipients.every((r: { resultMailSentAt?: string }) => r.resultMailSentAt) ? v : undefined;
  }, 60_000)));
  // The ledger counts whole milliseconds per recipient.
  const sum = (v: { recipients: Array<{ pagesSent: number; durationMs: number }> }) => v.recipients.reduce((n, r) => ({ pages: n.pages + r.pagesSent, ms: n.ms + Math.round(r.durationMs) }), { pages: 0, ms: 0 });
  const [alice, bob] = views.map(sum);
  assert.ok(alice.pages > 0 && bob.pages > 0, 'pages were sent');
  const month = new Date().toISOString().slice(0, 7);
  const [table] = await usage('--month', month);
  assert.deepEqual(table.rows.map((r) => [r.scope, r.name, r.faxes, r.pages, r.lineMs]), [
    ['domain', 'clinic.test', 3, alice.pages + bob.pages, alice.ms + bob.ms],
    ['sender', 'alice@clinic.test', 2, alice.pages, alice.ms],
    ['sender', 'bob@clinic.test', 1, bob.pages, bob.ms],
  ]);
  const [bobOnly] = await usage('--sender', 'bob@clinic.test');
  assert.deepEqual(bobOnly.rows.map((r) => r.name), ['clinic.test', 'bob@clinic.test']);
  const { stdout: text } = await run(faxgate, ['usage', '--sender', 'alice@clinic.test'], { env: { ...process.env, ...g.env } });
  assert.match(text, new RegExp(`^ {2}alice@clinic\\.test +2 +${alice.pages} +${(Math.round(alice.ms / 600) / 100).toFixed(2)}$`, 'm'), text);
  // The same through the API: everything to read-all, a sender's own row to its token.
  const apiGet = async (path: string, token: string) => {
    const res = await fetch(`${g.gw.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const all = await apiGet(`/api/v1/usage?month=${month}`, 'test-token');
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.deepEqual(all.body.periods.map((p: { period: string }) => p.period), [month]);
  assert.deepEqual(all.body.periods[0].rows.map((r: { scope: string; name: string; faxes: number; pages: number; lineMs: number }) => [r.scope, r.name, r.faxes, r.pages, r.lineMs]), table.rows.map((r) => [r.scope, r.name, r.faxes, r.pages, r.lineMs]), 'the API and faxgate usage read the same ledger');
  const today = new Date().toISOString().slice(0, 10);
  const daily = await apiGet(`/api/v1/usage?month=${month}&daily=true&domain=clinic.test`, 'test-token');
  assert.equal(daily.status, 200, JSON.stringify(daily.body));
  const dayRow = daily.body.periods.find((p: { period: string }) => p.period === today)?.rows.find((r: { scope: string }) => r.scope === 'domain');
  assert.deepEqual([dayRow?.faxes, dayRow?.pages], [3, alice.pages + bob.pages], JSON.stringify(daily.body));
  const made = await fetch(`${g.gw.httpUrl}/api/v1/tokens`, { method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' }, body: JSON.stringify({ user: 'bob', scopes: ['send', 'read-own'], email: 'bob@clinic.test' }) });
  assert.equal(made.status, 201);
  const bobToken = ((await made.json()) as { token: string }).token;
  const bobsOwn = await apiGet(`/api/v1/usage?day=${today}`, bobToken);
  assert.equal(bobsOwn.status, 200, JSON.stringify(bobsOwn.body));
  assert.deepEqual(bobsOwn.body.periods[0].rows.map((r: { scope: string; name: string; pages: number }) => [r.scope, r.name, r.pages]), [['sender', 'bob@clinic.test', bob.pages]], 'a sender sees its own row, not its domain\'s');
  assert.equal((await apiGet(`/api/v1/usage?sender=alice@clinic.test`, bobToken)).status, 403, 'nor another sender\'s');
  assert.equal((await apiGet(`/api/v1/usage?month=2026-13`, 'test-token')).status, 400);

  const metrics = await (await fetch(`${g.gw.httpUrl}/metrics`)).text();
  assert.match(metrics, new RegExp(`^faxgate_usage_pages_total\\{domain="clinic.test"\\} ${alice.pages + bob.pages}$`, 'm'), metrics.split('\n').filter((l) => l.includes('usage')).join('\n'));
  assert.match(metrics, /^faxgate_usage_line_seconds_total\{domain="clinic.test"\} [0-9.]+$/m);
  const { stderr, code } = await run(faxgate, ['usage', '--month', '2026-13'], { env: { ...process.env, ...g.env } }).then(() => ({ stderr: '', code: 0 }), (e: { stderr: string; code: number }) => e);
  assert.equal(code, 2);
  assert.match(stderr, /--month is YYYY-MM, not "2026-13"/);
});
