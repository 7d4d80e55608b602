// An incoming SIP call in the console's line view: a node whose driver is `sip` answers a call
// SIPp places as the carrier (spandsp sends the pages on the UDPTL port SIPp's SDP names); while
// the fax runs, /api/v1/lines and the Lines page (Debian's Chromium) show the call as a line of
// its own, incoming, faxing on T.38, with its Call-ID, caller and called number; the pool's line
// count stays that of its slots; once the call is over the line is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { freePort, startRedis, startSmtpSink, tempDir, testGatewayEnv, waitUntil, type SmtpSink, type TempDir, type TestRedis } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';
import { chromium, type Browser } from 'playwright-core';
import { nodeRole } from '../src/index.ts';
import { buildSpandspPeer, makeTiff, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { sipp, type Sipp } from '../../../libs/sip/test/sipp.ts';

const TOKEN = 'sip-gateway-in-token';
let redis: TestRedis;
let sink: SmtpSink;
let dir: TempDir;
let peer: string;

before(async () => {
  redis = await startRedis();
  sink = await startSmtpSink();
  dir = await tempDir('faxgate-sip-gw-in');
  peer = buildSpandspPeer();
});
after(async () => {
  await sink.close();
  await redis.dispose();
  await dir.remove();
});

type Line = { line: string; state: string; callId?: string; since: string; sip?: { state: string; callId: string; remote: string; direction?: string; did?: string; media?: string } };
type Lines = { nodes: Array<{ lines: Line[] }>; pools: Record<string, { lines: number; calling: number }> };

test('an incoming SIP call shows in /api/v1/lines and on the Lines page while it runs (incoming, faxing on T.38, Call-ID, caller, DID), and is gone after', { timeout: 180_000 }, async () => {
  // Three pages: the call lasts long enough for the page to be read during it.
  const pages = makeTiff(dir.path, 'three', 3, 196);
  const sp: Proc = start(peer, ['send', '--file', pages, '--ecm', '1', '--timeout', '150']);
  let gw: RunningGateway | undefined;
  let far: Sipp | undefined;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 60_000 });
    const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
    const sipPort = await freePort();
    gw = await runRoles([consoleRole, nodeRole], {
      env: testGatewayEnv(
        { redisUrl: redis.url, dataDir: join(dir.path, 'data'), smarthost: sink.url },
        {
          FAXGATE_NODE_DRIVER: 'sip', FAXGATE_NODE_POOL: 'trunk', FAXGATE_NODE_LINES: '1', FAXGATE_T38_LOCAL_ID: '+1 212 555 0188',
          FAXGATE_SIP_BIND_HOST: '127.0.0.1', FAXGATE_SIP_PORT: String(sipPort),
          FAXGATE_CONSOLE_PASSWORD: 'pw', FAXGATE_CONSOLE_TOKEN: TOKEN,
        },
      ),
    });
    const httpUrl = gw.httpUrl;
    const lines = async (): Promise<Lines> => {
      const res = await fetch(`${httpUrl}/api/v1/lines`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 200);
      return (await res.json()) as Lines;
    };
    const page = await (await browser.newContext({ httpCredentials: { username: 'admin', password: 'pw' } })).newPage();
    await page.goto(`${httpUrl}/ui/lines`);

    far = await sipp(dir.path, 'uac-audio-refresh-fax.xml', { remote: `127.0.0.1:${sipPort}`, service: '2125550188', keys: { udptl_port: udptl }, pauseMs: 4000, timeoutS: 150 });
    const seen: string[] = [];
    const found = await waitUntil('an incoming SIP call faxing over T.38 in the line API', async () => {
      const body = await lines();
      const all = body.nodes.flatMap((n) => n.lines);
      seen.push(JSON.stringify(all));
      const l = all.find((x) => x.sip?.direction === 'incoming' && x.sip.state === 'faxing');
      return l ? { l, body } : undefined;
    }, 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nline states seen: ${[...new Set(seen)].join('\n')}\n${far?.logs()}\n${sp.stdout()}${sp.stderr()}`);
    });
    const { l: call, body } = found;
    assert.equal(call.state, 'calling');
    assert.equal(call.sip?.media, 't38');
    assert.equal(call.sip?.remote, '+4930123456', 'the caller, from From as E.164');
    assert.equal(call.sip?.did, '+12125550188', 'the number called, from the Request-URI');
    assert.match(call.sip?.callId ?? '', /^\S{8,}$/, 'the SIP Call-ID');
    assert.equal(call.callId, `sip-${call.sip?.callId}`, 'the call id the received fax will carry');
    assert.match(call.line, /^trunk\/.+\/sip\//);
    assert.equal(body.pools.trunk?.lines, 1, 'the incoming call is not counted as one of the pool\'s lines');
    assert.equal(body.pools.trunk?.calling, 1);

    // The page reloads its lines every 5 s: it may still show the call as answered, from before
    // the T.38 re-INVITE the API already reports; wait for its next reloads, not its first look.
    const row = page.locator('tr', { hasText: call.callId! });
    await row.waitFor({ timeout: 30_000 });
    const faxingRow = row.filter({ hasText: 'SIP incoming faxing on T.38' });
    await faxingRow.waitFor({ timeout: 20_000 }).catch(async (err) => {
      throw new Error(`${(err as Error).message}\nthe row as last shown: ${await row.innerText().catch(() => '(gone)')}`);
    });
    const callId = call.sip!.callId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(await faxingRow.innerText(), new RegExp(`calling\\s+${call.callId!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(SIP incoming faxing on T\\.38, from \\+4930123456 to \\+12125550188, Call-ID ${callId}\\) since `), 'the Lines page shows the incoming call');

    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(await far.done(), 0, far.logs());
    let last = '';
    await waitUntil('the incoming call gone from the line API', async () => {
      const after = (await lines()).nodes.flatMap((n) => n.lines);
      last = JSON.stringify(after);
      return !after.some((x) => x.sip?.direction === 'incoming') || undefined;
    }, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nlines: ${last}`);
    });
  } finally {
    sp.kill();
    far?.proc.kill();
    await browser?.close();
    await gw?.stop();
  }
});
