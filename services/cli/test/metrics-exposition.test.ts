// The whole /metrics exposition of a gateway that has carried faxes both ways, judged by
// Prometheus' own linter (`promtool check metrics`, Debian's prometheus package), and the
// operator's metrics (histograms, outcomes by pool and reason, pages, lines) read back from it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { makePdf, waitUntil } from '@faxgate/testkit';
import { startTestGateway, renderedTiff, getFax, type TestGateway } from './gateway-harness.ts';

let g: TestGateway;

before(async () => {
  g = await startTestGateway({
    FAXGATE_SIM_OUTCOMES: '+1212555019*=busy:1; +1212555018*=rejected',
    FAXGATE_RETRY_BUSY_DELAY: '200ms',
    FAXGATE_NODE_LINES: '3',
    FAXGATE_INBOUND_UNADDRESSED: 'faxdesk@example.com',
  });
});
after(async () => {
  await g?.dispose();
});

/** Runs `promtool check metrics` on the text; its exit code and what it printed. */
function promtool(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (d) => (output += d));
    p.stderr.on('data', (d) => (output += d));
    p.on('error', reject);
    const timer = setTimeout(() => p.kill(), 30_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    p.stdin.end(text);
  });
}

/** The value of one sample, by its exact name and labels as exposed (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrape = async () => (await fetch(`${g.gw.httpUrl}/metrics`)).text();

test('promtool can fail: a counter without _total and a histogram without +Inf are reported', async () => {
  const bad = '# HELP x_requests Requests.\n# TYPE x_requests counter\nx_requests 3\n# HELP x_seconds Time.\n# TYPE x_seconds histogram\nx_seconds_bucket{le="1"} 1\nx_seconds_sum 0.5\nx_seconds_count 1\n';
  const r = await promtool(bad);
  assert.notEqual(r.code, 0, `promtool passed a bad exposition:\n${r.output}`);
});

test('after faxes out (sent after busy, rejected) and one in, /metrics passes promtool and shows them', async () => {
  const pdf = await makePdf(g.dir.path, 2, 'Metrics report');
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({
    from: 'Mia Metrics <mia@example.com>',
    to: ['12125550190@fax.test', '12125550180@fax.test'],
    subject: 'metrics',
    text: 'two recipients',
    attachments: [{ filename: 'report.pdf', content: pdf }],
  });
  const faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
  assert.ok(faxId, info.response);
  // Its result mail(s) are out once the fax is over (one per recipient, or one broadcast summary).
  await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
  const fax = await waitUntil(`fax ${faxId} to end for both recipients`, async () => {
    const v = await getFax(g.gw, faxId);
    return v.recipients.every((r: { state: string }) => r.state === 'sent' || r.state === 'failed') ? v : undefined;
  }, 60_000, 100);
  assert.deepEqual(fax.recipients.map((r: { state: string }) => r.state), ['sent', 'failed']);

  // The rendered fax comes back in on a simulated incoming call (a real fax TIFF).
  const tiff = await readFile(renderedTiff(g.dataDir, faxId, 0));
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?${new URLSearchParams({ did: '+12125550111', from: '+14155550123' })}`, { method: 'POST', headers: { authorization: 'Bearer test-token', 'content-type': 'image/tiff' }, body: tiff });
  assert.equal(offer.status, 202, await offer.clone().text());
  await g.sink.waitFor((m) => m.to.includes('faxdesk@example.com'), 60_000);

  // Counters are updated just before the jobs that report them complete: wait for the last ones.
  const text = await waitUntil('the received fax and both outcomes to be counted', async () => {
    const t = await scrape();
    return (sample(t, 'faxgate_pages_received_total{pool="sim"}') ?? 0) >= 3 && (sample(t, 'faxgate_inbound_mails_total{outcome="sent"}') ?? 0) >= 1 ? t : undefined;
  }, 30_000, 100);

  const lint = await promtool(text);
  assert.equal(lint.code, 0, `promtool check metrics:\n${lint.output}`);
  assert.equal(lint.output.trim(), '', 'no lint problems');

  // Calls by pool, direction and result: busy once, then success; one rejected; one incoming.
  assert.equal(sample(text, 'faxgate_calls_total{pool="sim",direction="outgoing",result="busy"}'), 1);
  assert.equal(sample(text, 'faxgate_calls_total{pool="sim",direction="outgoing",result="success"}'), 1);
  assert.equal(sample(text, 'faxgate_calls_total{pool="sim",direction="outgoing",result="rejected"}'), 1);
  assert.equal(sample(text, 'faxgate_calls_total{pool="sim",direction="incoming",result="success"}'), 1);
  // Cover + 2 pages sent once; the same 3 received.
  assert.equal(sample(text, 'faxgate_pages_sent_total{pool="sim"}'), 3);
  assert.equal(sample(text, 'faxgate_pages_received_total{pool="sim"}'), 3);
  // Histograms: call durations (connected calls), render time per page, time in queue.
  assert.ok((sample(text, 'faxgate_call_duration_seconds_count{pool="sim",direction="outgoing"}') ?? 0) >= 1);
  assert.equal(sample(text, 'faxgate_call_duration_seconds_count{pool="sim",direction="incoming"}'), 1);
  assert.equal(sample(text, 'faxgate_render_page_seconds_count'), 2);
  assert.ok((sample(text, 'faxgate_render_page_seconds_sum') ?? 0) > 0);
  assert.ok((sample(text, 'faxgate_queue_wait_seconds_count{queue="render"}') ?? 0) >= 1);
  assert.ok((sample(text, 'faxgate_queue_wait_seconds_count{queue="calls-sim"}') ?? 0) >= 2);
  // Outcomes per recipient by pool and reason (the error code), and the time from the SMTP 250.
  assert.equal(sample(text, 'faxgate_fax_results_total{result="sent",pool="sim",reason="none"}'), 1);
  assert.equal(sample(text, 'faxgate_fax_results_total{result="failed",pool="sim",reason="NUMBER_REJECTED"}'), 1);
  assert.equal(sample(text, 'faxgate_fax_end_to_end_seconds_count{result="sent"}'), 1);
  assert.equal(sample(text, 'faxgate_fax_end_to_end_seconds_count{result="failed"}'), 1);
  assert.ok((sample(text, 'faxgate_fax_end_to_end_seconds_sum{result="sent"}') ?? 0) > 0);
  // The lines: all three idle now.
  assert.equal(sample(text, 'faxgate_lines{pool="sim",state="idle"}'), 3);
  assert.equal(sample(text, 'faxgate_lines{pool="sim",state="busy"}'), 0);
  assert.equal(sample(text, 'faxgate_inbound_mails_total{outcome="sent"}'), 1);
  // Every series the chart's Grafana dashboard queries is declared here (a histogram by its
  // name without _bucket), and has samples after this traffic, but for the retention purge's
  // counter, which counts only once the leader has purged something.
  const dashboard = await readFile(join(import.meta.dirname, '../../../charts/faxgate/files/grafana-dashboard.json'), 'utf8');
  const queried = [...new Set([...dashboard.matchAll(/\b(faxgate_[a-z0-9_]+)\{/g)].map((m) => m[1]))];
  assert.ok(queried.length >= 12, queried.join(', '));
  for (const name of queried) {
    assert.match(text, new RegExp(`^# TYPE ${name.replace(/_bucket$/, '')} `, 'm'), `the dashboard's ${name} is exposed`);
    if (name !== 'faxgate_retention_purged_total') assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), `the dashboard's ${name} has samples`);
  }
  // Mails to the sender went out; none was refused.
  assert.ok((sample(text, 'faxgate_result_mails_total{outcome="sent"}') ?? 0) >= 1);
  assert.equal(sample(text, 'faxgate_result_mails_total{outcome="refused"}'), undefined);
});
