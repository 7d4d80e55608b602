import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { makePdf, startRedis, startSmtpSink, tempDir, testGatewayEnv, waitUntil, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import { consoleRole } from '@faxgate/console';
import { chromium, type Browser } from 'playwright-core';
import { nodeRole } from '../src/index.ts';
import { buildSpandspPeer, comparePages, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { sipp, type Sipp } from '../../../libs/sip/test/sipp.ts';

const run = promisify(execFile);
const TOKEN = 'sip-gateway-token';
let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
let peer: string;

before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-sip-gw');
  peer = buildSpandspPeer();
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

/**
 * The whole outbound path over a SIP trunk: a mail in over SMTP, rendered, dispatched to a node
 * whose line driver is `sip`; SIPp plays the carrier (answers with audio, accepts faxgate's
 * T.38 re-INVITE) and its SDP names spandsp's UDPTL port, so spandsp is the receiving fax
 * machine. spandsp must report success and hold, pixel for pixel, the TIFF faxgate rendered.
 * During the call the console's line API shows the line's SIP state (faxing on T.38, the SIP
 * Call-ID and the dialled URI), and so does its Lines page in Debian's Chromium; afterwards
 * /metrics counts the call under its final code, 200.
 */
test('mail → render → SIP call with T.38 → spandsp → result mail; spandsp received exactly the rendered pages; the line shows the SIP state, metrics the final code', { timeout: 180_000 }, async () => {
  const received = join(dir.path, 'spandsp-received.tif');
  const sp: Proc = start(peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '150']);
  let gw: RunningGateway | undefined;
  let far: Sipp | undefined;
  let browser: Browser | undefined;
  try {
    // Started before the call, so the page is read while the call is still on the line.
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 60_000 });
    const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
    far = await sipp(dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: port }, timeoutS: 150 });
    gw = await runRoles([consoleRole, notifierRole, nodeRole, dispatchRole, renderRole, ingestRole], {
      env: testGatewayEnv(
        { redisUrl: redis.url, dataDir: join(dir.path, 'data'), smarthost: sink.url },
        {
          FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_NODE_DRIVER: 'sip', FAXGATE_NODE_LINES: '1', FAXGATE_T38_LOCAL_ID: '+1 212 555 0188',
          FAXGATE_SIP_BIND_HOST: '127.0.0.1', FAXGATE_SIP_PORT: '0', FAXGATE_SIP_DIAL_FORMAT: `sip:{e164}@127.0.0.1:${far.port}`, FAXGATE_SIP_T38_WAIT: '500ms',
          FAXGATE_CONSOLE_PASSWORD: 'pw', FAXGATE_CONSOLE_TOKEN: TOKEN,
        },
      ),
    });
    const smtpPort = gw.instanceOf(ingestRole).smtpPort();
    const pdf = join(dir.path, 'letter.pdf');
    await import('node:fs/promises').then(async (fs) => fs.writeFile(pdf, await makePdf(dir.path, 1, 'Over SIP')));
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', 'alice@example.com', '--to', '12125550100@fax.test', '--header', 'To: "Lab receiver" <12125550100@fax.test>', '--header', 'Subject: SIP test', '--body', 'Sent over a SIP call with T.38 to spandsp.', '--attach', `@${pdf}`]);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(stdout)?.[1];
    assert.ok(faxId, stdout);

    const httpUrl = gw.httpUrl;
    const get = async (path: string) => {
      const res = await fetch(`${httpUrl}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200, path);
      return res;
    };
    type Line = { state: string; callId?: string; sip?: { state: string; callId: string; remote: string; media?: string } };
    const seen: string[] = [];
    const faxing = await waitUntil('a line of the console\'s line API faxing over T.38 on the SIP call', async () => {
      const body = (await (await get('/api/v1/lines')).json()) as { nodes: Array<{ lines: Line[] }> };
      const lines = body.nodes.flatMap((n) => n.lines);
      seen.push(JSON.stringify(lines));
      return lines.find((l) => l.sip?.state === 'faxing');
    }, 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nline states seen: ${[...new Set(seen)].join('\n')}\n${far?.logs()}`);
    });
    assert.equal(faxing.state, 'calling');
    assert.equal(faxing.sip?.media, 't38');
    assert.equal(faxing.sip?.remote, `sip:+12125550100@127.0.0.1:${far.port}`);
    assert.match(faxing.sip?.callId ?? '', /^\w{8,}/, 'the SIP Call-ID');
    assert.ok(faxing.callId?.startsWith(faxId), `the line's call is the fax's (${faxing.callId})`);
    const page = await (await browser.newContext({ httpCredentials: { username: 'admin', password: 'pw' } })).newPage();
    await page.goto(`${httpUrl}/ui/lines`);
    const row = page.locator('tr', { hasText: faxing.callId! });
    await row.waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), new RegExp(`calling\\s+${faxing.callId} \\(SIP faxing on T\\.38, sip:\\+12125550100@127\\.0\\.0\\.1:${far.port}\\) since `), 'the Lines page shows the SIP state');

    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 150_000);
    const spCode = await sp.exit;
    assert.equal(spCode, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(await far.done(), 0, far.logs());
    assert.match(mail.parsed.subject ?? '', /sent: 2 pages/);
    assert.match(mail.parsed.text ?? '', /Pages: +2 of 2 sent/);

    const metrics = await (await get('/metrics')).text();
    assert.match(metrics, /^faxgate_sip_calls_total\{pool="sim",direction="outgoing",code="200"\} 1$/m, metrics.split('\n').filter((l) => l.includes('sip_calls')).join('\n'));

    const sent = join(dir.path, 'data', 'faxes', faxId, 'r0.tif');
    const diff = comparePages(dir.path, sent, received);
    assert.equal(diff, null, `spandsp's pages differ from what faxgate rendered: ${diff}`);
  } finally {
    sp.kill();
    far?.proc.kill();
    await browser?.close();
    await gw?.stop();
  }
});
