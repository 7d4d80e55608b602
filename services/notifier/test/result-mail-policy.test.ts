import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startRedis, startSmtpSink, tempDir, testGatewayEnv, waitUntil, assertNothingFor, type SmtpSink, type TestRedis, type TempDir } from '@faxgate/testkit';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { newFaxId } from '@faxgate/queue';
import { blobKeys, type SenderTrust } from '@faxgate/store';
import { createBitmap, writeTiff } from '@faxgate/fax-image';
import { notifierRole } from '../src/index.ts';

// Result mails go to the envelope sender, which anyone can forge: only verified senders (AUTH,
// a client network) or listed domains get the fax back; the others get a plain notice or none.
let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-result-policy');
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

const SPAM_SUBJECT = 'CHEAP PILLS visit evil.example';
const SPAM_NAME = 'Totally Legit Pharmacy';

async function startNotifier(extra: Record<string, string> = {}): Promise<RunningGateway> {
  const env = testGatewayEnv({ redisUrl: redis.url, dataDir: '', smarthost: sink.url }, { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_RESULT_MAIL_TRUSTED_DOMAINS: 'partner.test', ...extra });
  env.FAXGATE_DATA_DIR = `${dir.path}/${env.FAXGATE_QUEUE_PREFIX}`;
  return runRoles([notifierRole], { env });
}

/** A sent fax (one page) from `sender`, accepted as `trust`, with its result mail queued. */
async function sentFax(gw: RunningGateway, sender: string, trust: SenderTrust | undefined): Promise<string> {
  const faxId = newFaxId();
  const documentKey = blobKeys.recipientDocument(faxId, 0);
  await gw.ctx.blobs.put(documentKey, writeTiff([{ bitmap: createBitmap(1728, 100), xDpi: 204, yDpi: 98 }]));
  await gw.ctx.records.create(
    { id: faxId, state: 'done', createdAt: new Date().toISOString(), sender, subject: SPAM_SUBJECT, messageId: '<m1@evil.example>', messageKey: 'm', messageBytes: 1, recipientCount: 1, ...(trust ? { senderTrust: trust } : {}), notices: ['attachment "click-here-evil.example.exe" is not a document'] },
    [{ index: 0, address: '12125550100@fax.test', name: SPAM_NAME, number: '+12125550100', dialString: '12125550100', state: 'sent', documentKey, pagesTotal: 1, pagesSent: 1, attempts: 1, connectedAttempts: 1, durationMs: 30_000 }],
  );
  await gw.ctx.queues.add('result-mail', { faxId, recipient: 0 });
  return faxId;
}

const mailFor = (faxId: string) => sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 20_000);

test('verified senders and listed domains get the full result mail with the fax attached', async () => {
  const gw = await startNotifier();
  try {
    for (const [sender, trust] of [['alice@clinic.test', 'authenticated'], ['bob@clinic.test', 'client-network'], ['carol@partner.test', 'unverified']] as const) {
      const faxId = await sentFax(gw, sender, trust);
      const m = await mailFor(faxId);
      assert.deepEqual(m.to, [sender]);
      assert.equal(m.parsed.attachments.length, 1, `${sender} (${trust}) gets the PDF`);
      assert.equal(m.parsed.attachments[0].contentType, 'application/pdf');
      assert.match(m.parsed.attachments[0].content.subarray(0, 5).toString(), /^%PDF-/);
      assert.match(m.parsed.text ?? '', new RegExp(SPAM_SUBJECT));
    }
  } finally {
    await gw.stop();
  }
});

test('an unverified sender gets a plain notice: no attachment, nothing the message author wrote', async () => {
  const gw = await startNotifier();
  try {
    // Also a record from before ingest recorded the trust (no senderTrust, no AUTH user).
    for (const trust of ['unverified', undefined] as const) {
      const faxId = await sentFax(gw, 'victim@elsewhere.test', trust);
      const m = await mailFor(faxId);
      assert.deepEqual(m.to, ['victim@elsewhere.test']);
      assert.equal(m.parsed.attachments.length, 0, 'no copy of the fax');
      const all = `${m.parsed.subject}\n${m.parsed.text}`;
      for (const words of [SPAM_SUBJECT, SPAM_NAME, 'click-here', 'evil.example']) assert.ok(!all.includes(words), `"${words}" reached the notice:\n${all}`);
      assert.equal(m.parsed.subject, 'Fax to +12125550100 sent');
      assert.match(m.parsed.text ?? '', /plain notice: the sender of the fax could not be verified/);
      assert.match(m.parsed.text ?? '', new RegExp(`Fax id: +${faxId}`));
      // The timeline's line is written after the smarthost's 250 and the record of the delivery:
      // the sink can hold the mail before it is there.
      const line = await waitUntil('the timeline to say the result mail was sent', async () => (await gw.ctx.records.view(faxId))?.timeline.find((e) => e.event === 'result mail sent'), 10_000);
      assert.match(line.detail ?? '', /plain notice/, 'the timeline says a plain notice went out');
    }
  } finally {
    await gw.stop();
  }
});

test('with FAXGATE_RESULT_MAIL_UNVERIFIED=none an unverified sender gets no mail; verified ones still do', async () => {
  const gw = await startNotifier({ FAXGATE_RESULT_MAIL_UNVERIFIED: 'none' });
  try {
    const quiet = await sentFax(gw, 'victim2@elsewhere.test', 'unverified');
    const loud = await sentFax(gw, 'dave@clinic.test', 'authenticated');
    await mailFor(loud);
    await waitUntil('the skipped result mail to be recorded', async () => (await gw.ctx.records.view(quiet))?.timeline.find((e) => e.event === 'no result mail'), 20_000);
    await assertNothingFor('a result mail to the unverified sender', () => sink.mails.find((m) => m.to.includes('victim2@elsewhere.test')), 500);
  } finally {
    await gw.stop();
  }
});
