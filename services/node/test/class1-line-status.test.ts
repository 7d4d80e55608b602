import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { startTestGateway, waitUntil, type TestGateway } from '@faxgate/testkit';
import { consoleRole } from '@faxgate/console';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { nodeRole } from '../src/index.ts';

// A class1 node with two modem lines, one whose device does not exist and one a real iaxmodem:
// the console's line API and its Lines page (in Chromium) show the first down with the reason
// and the second idle, and faxgate_modem_line_up agrees; when the iaxmodem is killed (an unplugged USB modem), its line
// goes down too, with its own reason, through the same API.

const TOKEN = 'class1-line-status-token';
const NODE_ID = 'class1-status-node';
let pair: IaxmodemPair;
let g: TestGateway<RunningGateway>;
let missing = '';

type Line = { line: string; state: string; device?: string; reason?: string; since: string; callId?: string };
type Lines = { nodes: Array<{ nodeId: string; pool: string; lines: Line[] }>; pools: Record<string, { nodes: number; lines: number; calling: number; down: number }> };

before(async () => {
  pair = await startIaxmodemPair();
  g = await startTestGateway((env) => runRoles([consoleRole, nodeRole], { env }), {
    label: 'faxgate-class1-line-status',
    env: (dir) => {
      missing = join(dir, 'ttyNoSuchModem');
      return {
        FAXGATE_NODE_ID: NODE_ID,
        FAXGATE_NODE_POOL: 'modems',
        FAXGATE_NODE_DRIVER: 'class1',
        FAXGATE_MODEM_DEVICES: `${missing},${pair.a.device}`,
        FAXGATE_NODE_LINES: '1',
        FAXGATE_STATION_ID: '+1 212 555 0188',
        // The idle check notices a vanished pty serialport did not report (docs/modems.md).
        FAXGATE_MODEM_CHECK_INTERVAL: '1s',
        FAXGATE_CONSOLE_PASSWORD: 'pw',
        FAXGATE_CONSOLE_TOKEN: TOKEN,
      };
    },
  });
}, { timeout: 60_000 });

after(async () => {
  await g?.dispose();
  await pair?.stop();
});

async function lines(): Promise<Lines> {
  const res = await fetch(`${g.gw.httpUrl}/api/v1/lines`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  return (await res.json()) as Lines;
}

async function lineUp(): Promise<string> {
  const res = await fetch(`${g.gw.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.text()).split('\n').filter((l) => l.startsWith('faxgate_modem_line_up{')).join('\n');
}

test('a modem line whose device does not exist is down with the reason in the console API, its Lines page and metrics; a killed iaxmodem\'s line goes down too', { timeout: 90_000 }, async () => {
  let last: Lines | undefined;
  try {
    const first = await waitUntil('the node to publish one line down and one idle', async () => {
      last = await lines();
      const node = last.nodes.find((n) => n.nodeId === NODE_ID);
      return node && node.lines.length === 2 && node.lines[0].state === 'down' && node.lines[1].state === 'idle' ? node : undefined;
    }, 30_000);
    const [gone, good] = first.lines;
    assert.equal(gone.line, `modems/${NODE_ID}/modem-1`);
    assert.equal(gone.device, missing);
    assert.match(gone.reason ?? '', new RegExp(`cannot open ${missing}: .*no such file`, 'i'));
    assert.ok(!Number.isNaN(Date.parse(gone.since)));
    assert.equal(good.line, `modems/${NODE_ID}/modem-2`);
    assert.equal(good.device, pair.a.device);
    assert.equal(good.reason, undefined, 'an idle line has no reason');
    assert.deepEqual(last!.pools.modems, { nodes: 1, lines: 2, calling: 0, down: 1 });
    const metric = await lineUp();
    assert.match(metric, new RegExp(`faxgate_modem_line_up\\{line="modems/${NODE_ID}/modem-1",device="${missing}"\\} 0`), metric);
    assert.match(metric, new RegExp(`faxgate_modem_line_up\\{line="modems/${NODE_ID}/modem-2",device="${pair.a.device}"\\} 1`), metric);

    // The console's Lines page, in Debian's Chromium: the down modem with its device and reason.
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'], timeout: 60_000 });
    try {
      const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'pw' } });
      const page = await context.newPage();
      await page.goto(`${g.gw.httpUrl}/ui/lines`);
      const row = (n: number) => page.locator('tr', { hasText: `modems/${NODE_ID}/modem-${n}` });
      await row(1).waitFor({ timeout: 20_000 });
      const downRow = await row(1).innerText();
      assert.match(downRow, new RegExp(`\\(${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\s+down\\s+cannot open .*no such file.* since `, 'i'), downRow);
      assert.match(await row(2).innerText(), /\sidle\s/);
      const rows = await page.locator('tr').allInnerTexts();
      assert.ok(rows.some((t) => /^modems\s+1\s+2\s+0\s+1$/.test(t.trim())), `the pool row counts one line down: ${JSON.stringify(rows)}`);
    } finally {
      await browser.close();
    }

    // The down line is retried with backoff; it stays down (not flickering to starting) with
    // the time it went down, not the time of the last retry.
    const wentDown = gone.since;
    await waitUntil('a retry of the missing device (1 s, then 2 s backoff) to have happened', async () => {
      last = await lines();
      return Date.now() - Date.parse(wentDown) > 3_500;
    }, 10_000, 500);
    const again = last!.nodes[0].lines[0];
    assert.equal(again.state, 'down');
    assert.equal(again.since, wentDown);

    await pair.kill('a');
    const killed = await waitUntil('the killed iaxmodem\'s line to show down', async () => {
      last = await lines();
      const l = last.nodes.find((n) => n.nodeId === NODE_ID)?.lines[1];
      return l?.state === 'down' ? l : undefined;
    }, 30_000);
    assert.equal(killed.device, pair.a.device);
    // Whichever noticed first (the closed device, the idle check, or the reopen) names it.
    assert.match(killed.reason ?? '', /device closed|idle check|cannot open|timed out/i);
    assert.deepEqual(last!.pools.modems, { nodes: 1, lines: 2, calling: 0, down: 2 });
    await waitUntil('faxgate_modem_line_up to be 0 for the killed modem', async () => {
      const m = await lineUp();
      return new RegExp(`modem-2",device="${pair.a.device}"\\} 0`).test(m);
    }, 10_000);
  } catch (err) {
    // The runner prints the stack, which was made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- last /api/v1/lines\n${JSON.stringify(last, null, 2)}\n--- metrics\n${await lineUp().catch(() => '')}\n${await pair.logs()}`, { cause: err });
  }
});
