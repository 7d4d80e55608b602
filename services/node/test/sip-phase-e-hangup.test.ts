// Issue 17, "a call that failed after the receiver confirmed the last page is a success, not a
// retry", on a real T.38 call with the node alive (t38-killed-in-phase-e.test.ts kills the node
// instead, which takes the interrupted-attempt path). The far end (SIPp, spandsp on its UDPTL port)
// hangs up with BYE as soon as the node has recorded spandsp's MCF to the last page (EOP), while
// faxgate still sends DCN (T.30 §5.3.3, phase E: the V.21 preamble and frame take about a second
// on T.38). Two rules keep that page from going out again, and either one alone is enough: the
// `sip` driver lets the T.30 result stand when the BYE follows the engine's end (T.30 §5.3.6.1.9),
// and dispatch finishes as sent a call that failed with every page confirmed (retry-policy.ts).
// Without both, the call is retried and page 3 reaches paper twice. spandsp's page count is the
// judge of what reached paper.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { assertNothingFor, makePdf, startRedis, startSmtpSink, tempDir, testGatewayEnv, waitUntil, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import { consoleRole } from '@faxgate/console';
import { nodeRole } from '../src/index.ts';
import { buildSpandspPeer, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { sipp, type Sipp } from '../../../libs/sip/test/sipp.ts';
import { mailFax } from '../../cli/test/mail-fax.ts';

const TOKEN = 'sip-phase-e-token';
let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
let peer: string;

before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-sip-phase-e');
  peer = buildSpandspPeer();
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

/** The highest page count spandsp reported as received (one "PAGE received" line per page). */
const pagesRx = (p: Proc) => Math.max(0, ...[...p.stdout().matchAll(/PAGE received pages_tx=\d+ pages_rx=(\d+)/g)].map((m) => Number(m[1])));

/** An INFO in the SIPp call with this Call-ID: uas-t38-bye-on-info.xml answers it and hangs up. */
async function tellFarEndToHangUp(farPort: number, sipCallId: string): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const msg = [
    `INFO sip:sipp@127.0.0.1:${farPort} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${s.address().port};branch=z9hG4bKphasee${Date.now()}`,
    'From: <sip:test@127.0.0.1>;tag=t1', 'To: <sip:sipp@127.0.0.1>', `Call-ID: ${sipCallId}`, 'CSeq: 1 INFO', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n');
  await new Promise<void>((r, j) => s.send(msg, farPort, '127.0.0.1', (err) => (err ? j(err) : r())));
  s.close();
}

test('the far end hangs up on T.38 after confirming the last page, before DCN: the fax is sent, nothing is dialled again, spandsp printed each page once', { timeout: 240_000 }, async () => {
  const sp: Proc = start(peer, ['receive', '--file', join(dir.path, 'spandsp-received.tif'), '--ecm', '1', '--timeout', '150']);
  let gw: RunningGateway | undefined;
  let far: Sipp | undefined;
  const evidence = () => `--- spandsp ---\n${sp.stdout()}${sp.stderr()}\n--- SIPp ---\n${far?.logs() ?? ''}`;
  try {
    const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
    far = await sipp(dir.path, 'uas-t38-bye-on-info.xml', { keys: { udptl_port: udptl }, timeoutS: 180 });
    gw = await runRoles([consoleRole, notifierRole, nodeRole, dispatchRole, renderRole, ingestRole], {
      env: testGatewayEnv(
        { redisUrl: redis.url, dataDir: join(dir.path, 'data'), smarthost: sink.url },
        {
          FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_NODE_DRIVER: 'sip', FAXGATE_NODE_LINES: '1', FAXGATE_T38_LOCAL_ID: '+1 212 555 0188',
          FAXGATE_SIP_BIND_HOST: '127.0.0.1', FAXGATE_SIP_PORT: '0', FAXGATE_SIP_DIAL_FORMAT: `sip:{e164}@127.0.0.1:${far.port}`, FAXGATE_SIP_T38_WAIT: '500ms',
          FAXGATE_CONSOLE_PASSWORD: 'pw', FAXGATE_CONSOLE_TOKEN: TOKEN,
          // A wrong retry would come at once, not in minutes, so the test sees it.
          FAXGATE_RETRY_FAILED_DELAY: '200ms',
        },
      ),
    });
    const records = gw.ctx.records;
    const smtpPort = gw.instanceOf(ingestRole).smtpPort();
    const faxId = await mailFax(smtpPort, { to: '12125550100@fax.test', subject: 'hung up in phase E', pdf: await makePdf(dir.path, 2, 'phase E') });
    const total = 3; // cover page and two document pages

    // The SIP Call-ID, from the console's line API while the call is on T.38.
    type Line = { sip?: { state: string; callId: string } };
    const sipCallId = await waitUntil('the line faxing over T.38 on the SIP call', async () => {
      const res = await fetch(`${gw!.httpUrl}/api/v1/lines`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const body = (await res.json()) as { nodes: Array<{ lines: Line[] }> };
      return body.nodes.flatMap((n) => n.lines).find((l) => l.sip?.state === 'faxing')?.sip?.callId;
    }, 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${evidence()}`);
    });

    // The node records each page as its MCF arrives: the moment the last one is recorded, the far
    // end is told to hang up, while faxgate is still in phase E.
    await waitUntil('the node to record the last page as confirmed', async () => ((await records.getAttempt(faxId, 0, 1))?.pagesSent ?? 0) >= total, 120_000, 5).catch((err) => {
      throw new Error(`${(err as Error).message}\n${evidence()}`);
    });
    const hangUpAt = Date.now();
    await tellFarEndToHangUp(far.port, sipCallId);

    const r = await waitUntil('the recipient to end, or a second call', async () => {
      const rec = await records.getRecipient(faxId, 0);
      if (await records.getAttempt(faxId, 0, 2)) return rec ?? { state: 'second call' };
      return rec?.state === 'sent' || rec?.state === 'failed' ? rec : undefined;
    }, 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${evidence()}`);
    });
    const a1 = await records.getAttempt(faxId, 0, 1);
    // The case under test is a call still in phase E when the far end hung up: had the call ended
    // before the test told SIPp to hang up, this test would prove nothing.
    assert.ok(a1?.endedAt && Date.parse(a1.endedAt) >= hangUpAt, `the call ended at ${a1?.endedAt}, before the hang-up at ${new Date(hangUpAt).toISOString()}: the test missed phase E\n${evidence()}`);
    // spandsp prints COMPLETION when our DCN reaches it: cut off by the BYE, it never did.
    await assertNothingFor('spandsp to get the DCN the BYE cut off', () => /COMPLETION/.test(sp.stdout()), 2_000).catch((err) => {
      throw new Error(`${(err as Error).message}: the call finished phase E before the far end hung up\n${evidence()}`);
    });
    // Either rule's verdict: T.30's success, or a cut call with every page confirmed.
    assert.ok(a1?.result === 'success' || (a1?.result === 'no-carrier' && /far end hung up/.test(a1.reason ?? '')), `attempt 1 ${JSON.stringify(a1)}`);
    assert.equal(a1?.pagesSent, total);
    process.stdout.write(`# attempt 1: ${a1?.result}${a1?.reason ? ` (${a1.reason})` : ''}, ${a1?.pagesSent} pages confirmed\n`);
    assert.equal(await records.getAttempt(faxId, 0, 2), undefined, `a second call was placed\n${evidence()}`);
    assert.equal(r.state, 'sent', JSON.stringify(r));

    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 60_000);
    assert.match(mail.parsed.subject ?? '', /sent: 3 pages/);
    assert.equal(await far.done(), 0, far.logs());
    sp.kill();
    await sp.exit;
    assert.equal(pagesRx(sp), total, `spandsp printed ${pagesRx(sp)} page(s)\n${evidence()}`);
    assert.equal([...sp.stdout().matchAll(/PAGE received/g)].length, total, `each page once\n${evidence()}`);
  } catch (err) {
    // Written now: a gateway still in a wrong second call can outlast its shutdown deadline in
    // the finally below, which then ends this process before the runner reports the failure.
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    throw err;
  } finally {
    sp.kill();
    far?.proc.kill();
    await gw?.stop();
  }
});
