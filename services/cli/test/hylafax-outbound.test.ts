import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { makePdf, waitUntil } from '@faxgate/testkit';
import { HylafaxClient } from '@faxgate/hylafax';
import { startHylafaxTestbed, type HylafaxTestbed } from '../../../libs/hylafax/test/hylafax-testbed.ts';
import { startTestGateway, getFax, type TestGateway } from './gateway-harness.ts';

// Mail in, fax out through a real HylaFAX: the node daemon's line driver is `hylafax`, the
// server's modem A calls modem B over IAX2, and the sender's result mail reports it.
let bed: HylafaxTestbed;
let g: TestGateway;

before(async () => {
  bed = await startHylafaxTestbed();
  g = await startTestGateway({
    FAXGATE_NODE_DRIVER: 'hylafax',
    FAXGATE_NODE_LINES: '1',
    FAXGATE_HYLAFAX_HOST: bed.host,
    FAXGATE_HYLAFAX_PORT: String(bed.port),
    FAXGATE_HYLAFAX_USER: bed.user,
    FAXGATE_HYLAFAX_PASSWORD: bed.password,
    FAXGATE_HYLAFAX_MODEM: bed.modemA!.deviceId,
  });
});
after(async () => {
  await g?.dispose();
  await bed?.stop();
});

test('a mail to a fax number goes out through HylaFAX and the result mail says so', async (t) => {
  const started = Date.now();
  const pdf = await makePdf(g.dir.path, 1, 'Through HylaFAX');
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: g.smtpPort, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({
    from: 'Alice Sender <alice@example.com>',
    to: '12125550100@fax.test',
    subject: 'Via HylaFAX',
    text: 'One page through a real fax server.',
    attachments: [{ filename: 'page.pdf', content: pdf }],
  });
  const faxId = /queued as (fx[0-9a-z]+)/.exec(info.response)?.[1];
  assert.ok(faxId, info.response);

  const mail = await g.sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 300_000).catch(async (err: Error) => {
    err.message += `\n${await bed.diagnostics()}`;
    throw err;
  });
  t.diagnostic(`result mail after ${((Date.now() - started) / 1000).toFixed(1)} s: ${mail.parsed.subject}`);
  const pages = Number(/ sent: (\d+) pages?$/.exec(mail.parsed.subject ?? '')?.[1]);
  assert.ok(pages >= 1, `subject "${mail.parsed.subject}"`);
  assert.match(mail.parsed.text ?? '', new RegExp(`Pages: +${pages} of ${pages} sent`));
  assert.match(mail.parsed.text ?? '', new RegExp(`Remote id: +${bed.modemB!.localId}`));

  const view = await getFax(g.gw, faxId);
  assert.equal(view.state, 'done');
  assert.equal(view.recipients[0].state, 'sent');
  assert.equal(view.recipients[0].attempts, 1);
  assert.equal(view.recipients[0].pagesSent, pages);

  // HylaFAX's own account of it: one job tagged with the call id, and the fax at modem B.
  const c = await HylafaxClient.connect({ host: bed.host, port: bed.port, user: bed.user, password: bed.password });
  const jobs = (await c.listJobs('doneq')).filter((j) => j.tag.startsWith(`${faxId}-`));
  assert.equal(jobs.length, 1, JSON.stringify(jobs));
  assert.equal(jobs[0].state, 'done');
  const job = await c.getJob(jobs[0].jobId);
  assert.equal(job?.pagesSent, pages);
  assert.equal(job?.remoteCsi, bed.modemB!.localId);
  const received = await waitUntil('the fax at modem B', async () => (await c.listReceived()).find((f) => !f.inProgress && f.senderTsi === bed.modemA!.localId), 60_000, 500);
  assert.equal(received.pages, pages);
  await c.quit();
});
