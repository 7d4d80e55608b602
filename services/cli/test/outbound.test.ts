import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { assertNothingFor, blackPixels, decodeTiffWithLibtiff, differingPixels, libtiffInspect, makePdf, waitUntil } from '@faxgate/testkit';
import { startTestGateway, simReceived, renderedTiff, getFax, type TestGateway } from './gateway-harness.ts';

const run = promisify(execFile);
let g: TestGateway;

before(async () => {
  g = await startTestGateway({
    FAXGATE_SIM_OUTCOMES: '+1212555011*=busy:1; +1212555012*=rejected; +1212555013*=no-carrier@1:1; +1212555016*=error',
    FAXGATE_RETRY_BUSY_DELAY: '200ms',
    FAXGATE_RETRY_FAILED_DELAY: '200ms',
    // One result mail per recipient, as the two-recipient test checks them one by one (the
    // broadcast summary, the default, has its own test in broadcast-summary.test.ts).
    FAXGATE_NOTIFY_BROADCAST: 'each',
  });
});
after(async () => {
  await g?.dispose();
});

const faxIdOf = (response: string) => {
  const id = /queued as (fx[0-9a-z]+)/.exec(response)?.[1];
  assert.ok(id, `no fax id in "${response}"`);
  return id;
};

test('a mail with a PDF to two recipients: one render, two calls, pages judged by libtiff, two result mails', async () => {
  const pdf = await makePdf(g.dir.path, 2, 'Quarterly report');
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({
    from: 'Alice Sender <alice@example.com>',
    to: ['"Jane Doe" <12125550100@fax.test>', '"Bob Roe" <+1 (212) 555-0101@fax.test>'.replace(/[ ()]/g, '')],
    subject: 'Quarterly report',
    text: 'Please find the report attached.\nRegards, Alice',
    attachments: [{ filename: 'report.pdf', content: pdf }],
  });
  const faxId = faxIdOf(info.response);

  const mails = await Promise.all([0, 1].map((r) => g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId && m.parsed.subject!.includes(r === 0 ? 'Jane Doe' : '+12125550101'), 30_000)));
  for (const m of mails) {
    assert.deepEqual(m.to, ['alice@example.com']);
    assert.match(m.parsed.subject ?? '', / sent: 3 pages$/);
    assert.match(m.parsed.text ?? '', /Pages: +3 of 3 sent/);
    assert.match(m.parsed.text ?? '', /Remote id: +\+1 555 0100 SIMFAX/);
    const att = m.parsed.attachments.find((a) => a.contentType === 'application/pdf');
    assert.ok(att, 'a PDF copy is attached');
    assert.match(att.content.subarray(0, 8).toString(), /^%PDF-/);
  }

  const view = await getFax(g.gw, faxId);
  assert.equal(view.state, 'done');
  assert.equal(view.documentPages, 2);
  assert.equal(view.recipients.length, 2);
  for (const r of view.recipients) {
    assert.equal(r.state, 'sent');
    assert.equal(r.attempts, 1);
    assert.equal(r.pagesSent, 3);
    // What the simulated remote received, judged by libtiff: cover + 2 pages, fax geometry.
    const received = await libtiffInspect(simReceived(g.dataDir, faxId, r.index, 1), g.dir.path);
    assert.equal(received.warnings, '');
    assert.equal(received.pages.length, 3);
    for (const p of received.pages) {
      assert.equal(p.width, 1728);
      assert.equal(p.xRes, 204);
      assert.equal(p.yRes, 196);
      assert.match(p.compression, /CCITT Group 4/);
      assert.match(p.photometric, /min-is-white/);
      assert.ok(p.height > 2000 && p.height <= 2300, `letter page at 196 lpi, got ${p.height} rows`);
    }
  }
  const renders = view.timeline.filter((e: { event: string }) => e.event === 'rendered');
  assert.equal(renders.length, 1, 'one render for both recipients');
});

test('a mail sent with swaks reaches the simulated remote; the received page equals, pixel for pixel, the page faxgate rendered', async () => {
  const { stdout } = await run('swaks', ['--server', `127.0.0.1:${g.smtpPort}`, '--from', 'carol@example.com', '--to', '12125550199@fax.test', '--header', 'Subject: swaks fax', '--body', 'Sent by swaks.']);
  const faxId = faxIdOf(stdout);
  await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  // libtiff decodes both: what the remote received and what the render worker wrote.
  const received = await decodeTiffWithLibtiff(simReceived(g.dataDir, faxId, 0, 1), g.dir.path, `${faxId}-received`);
  const rendered = await decodeTiffWithLibtiff(renderedTiff(g.dataDir, faxId, 0), g.dir.path, `${faxId}-rendered`);
  assert.equal(received.length, 1);
  assert.equal(rendered.length, 1);
  assert.ok(blackPixels(rendered[0]) > 2000, 'the rendered page carries the cover and the text, not a blank page');
  assert.equal(differingPixels(received[0], rendered[0]), 0, 'the received page is the rendered page');
});

test('busy, then success: two attempts and one result mail', async () => {
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'dave@example.com', to: '12125550110@fax.test', subject: 'busy first', text: 'x' });
  const faxId = faxIdOf(info.response);
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /sent/);
  assert.match(mail.parsed.text ?? '', /Attempts: +2 \(1 reached the fax machine\)/);
  assert.match(mail.parsed.text ?? '', /1\. .* busy/);
  const view = await getFax(g.gw, faxId);
  assert.deepEqual(view.recipients[0].attemptsDetail.map((a: { result: string }) => a.result), ['busy', 'success']);
  await assertNothingFor('a second result mail for the same fax', () => {
    const n = g.sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId).length;
    return n > 1 && `${n} mails`;
  }, 1000);
});

test('a permanent failure is not retried and the sender gets a failure mail with the reason', async () => {
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'erin@example.com', to: '12125550120@fax.test', subject: 'to nowhere', text: 'x' });
  const faxId = faxIdOf(info.response);
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /FAILED: the number does not exist or cannot be reached/);
  assert.equal(mail.parsed.headers.get('x-faxgate-result'), 'failed');
  const view = await getFax(g.gw, faxId);
  assert.equal(view.state, 'failed');
  assert.equal(view.recipients[0].attempts, 1);
  assert.equal(view.recipients[0].errorCode, 'NUMBER_REJECTED');
});

test('a line driver that keeps failing ends in a failure mail, not a fax stuck in "calling"', async () => {
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'ivy@example.com', to: '12125550160@fax.test', subject: 'broken line', text: 'x' });
  const faxId = faxIdOf(info.response);
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
  assert.match(mail.parsed.subject ?? '', /FAILED/);
  assert.match(mail.parsed.text ?? '', /simulated line fault/);
  const view = await getFax(g.gw, faxId);
  assert.equal(view.recipients[0].state, 'failed');
  assert.equal(view.recipients[0].attempts, 3, 'dispatch retried the failed transmission up to FAXGATE_RETRY_MAX_TRIES');
});

test('a call lost after page 1 is retried from page 2 only', async () => {
  const pdf = await makePdf(g.dir.path, 2, 'Resume');
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'frank@example.com', to: '12125550130@fax.test', subject: 'resume', text: 'x', attachments: [{ filename: 'r.pdf', content: pdf }] });
  const faxId = faxIdOf(info.response);
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /sent: 3 pages/);
  const source = await decodeTiffWithLibtiff(renderedTiff(g.dataDir, faxId, 0), g.dir.path, `${faxId}-source`);
  const first = await decodeTiffWithLibtiff(simReceived(g.dataDir, faxId, 0, 1), g.dir.path, `${faxId}-a1`);
  const second = await decodeTiffWithLibtiff(simReceived(g.dataDir, faxId, 0, 2), g.dir.path, `${faxId}-a2`);
  assert.equal(source.length, 3, 'cover and two document pages');
  assert.equal(first.length, 1);
  assert.equal(differingPixels(first[0], source[0]), 0, 'the first call carried page 1');
  assert.equal(second.length, 2);
  for (let i = 0; i < 2; i++) assert.equal(differingPixels(second[i], source[i + 1]), 0, `page ${i + 1} of the second call is page ${i + 2} of the fax`);
  assert.ok(differingPixels(source[1], source[2]) > 0, 'pages 2 and 3 differ, so a repeated page would be seen');
});

test('a result mail the smarthost refuses is retried with backoff until it is delivered', async () => {
  g.sink.failWith = { code: 451, message: '4.3.2 try again later' };
  const refusedBefore = g.sink.mails.length;
  try {
    const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'hank@example.com', to: '12125550150@fax.test', subject: 'retry the mail', text: 'x' });
    const faxId = faxIdOf(info.response);
    await waitUntil('the notify job to fail at least twice', async () => {
      const job = await g.gw.ctx.queues.queue('notify').getJob(`result-${faxId}-r0`);
      return (job?.attemptsMade ?? 0) >= 2;
    }, 30_000);
    assert.equal(g.sink.mails.length, refusedBefore);
    g.sink.failWith = undefined;
    const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
    assert.match(mail.parsed.subject ?? '', /sent/);
  } finally {
    g.sink.failWith = undefined;
  }
});

test('the console: /readyz, /metrics with queue depths and outcomes, auth on the API and Bull Board', async () => {
  // A fax of its own, so that the counters below have something to count when this test runs alone.
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'kim@example.com', to: '12125550170@fax.test', subject: 'metrics', text: 'x' });
  const faxId = faxIdOf(info.response);
  await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.equal((await fetch(`${g.gw.httpUrl}/readyz`)).status, 200);
  const metrics = await (await fetch(`${g.gw.httpUrl}/metrics`)).text();
  assert.match(metrics, /faxgate_queue_jobs\{queue="render",state="completed"\} [1-9]/);
  assert.match(metrics, /faxgate_smtp_replies_total\{code="250"\} [1-9]/);
  assert.match(metrics, /faxgate_fax_results_total\{result="sent"[^}]*\} [1-9]/);
  assert.equal((await fetch(`${g.gw.httpUrl}/api/v1/faxes/fx0000000000000000`)).status, 401);
  assert.equal((await fetch(`${g.gw.httpUrl}/queues`)).status, 401);
  const basic = `Basic ${Buffer.from('admin:console-pass').toString('base64')}`;
  const board = await fetch(`${g.gw.httpUrl}/queues`, { headers: { authorization: basic } });
  assert.equal(board.status, 200);
  assert.match(await board.text(), /<html/i);
  const api = await fetch(`${g.gw.httpUrl}/queues/api/queues`, { headers: { authorization: basic } });
  const names = ((await api.json()) as { queues: Array<{ name: string }> }).queues.map((q) => q.name);
  for (const q of ['render', 'dispatch', 'notify', 'calls-sim']) assert.ok(names.includes(q), `${q} in ${names.join(',')}`);
  assert.equal((await fetch(`${g.gw.httpUrl}/api/v1/faxes/fx0000000000000000`, { headers: { authorization: 'Bearer test-token' } })).status, 404);
});

test('a fax queued while no line is up waits, survives a restart of every role, and is sent after', async () => {
  await g.stopGateway();
  await g.restart(['ingest', 'render', 'dispatch', 'notifier', 'console']);
  const info = await nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, ignoreTLS: true }).sendMail({ from: 'gina@example.com', to: '12125550140@fax.test', subject: 'waits for a line', text: 'x' });
  const faxId = faxIdOf(info.response);
  await waitUntil('the call to be queued', async () => (await getFax(g.gw, faxId)).timeline.some((e: { event: string }) => e.event === 'queued for a line'), 20_000);
  await g.stopGateway();
  await g.redis.stop();
  await g.redis.start();
  await g.restart(['all']);
  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 30_000);
  assert.match(mail.parsed.subject ?? '', /sent/);
  assert.equal((await getFax(g.gw, faxId)).recipients[0].attempts, 1);
});
