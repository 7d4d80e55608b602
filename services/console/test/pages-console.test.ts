import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { assertNothingFor, waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, startApiGateway } from './api-harness.ts';

// Issue 15: the console pages, driven in Debian's Chromium as the front desk would: find a fax
// by number, open it, see its pages, cancel another, edit a directory user; axe-core checks
// each page for serious accessibility violations. Screenshots go to the test's temp directory.

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
// Flags from the machine notes: no sandbox as root, and no background networking (the
// closed network refuses it).
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let g: TestGateway<RunningGateway>;
let browser: Browser;
let page: Page;
let shots: string;
let sentId: string;
let laterId: string;
/** What faxgate rendered for the first fax: the page a simulated remote sends to the gateway. */
let sentTiff: Buffer;

before(async () => {
  g = await startApiGateway('faxgate-pages', {}, `unaddressed: faxadmin@example.com
users:
  - id: jdoe
    name: John Doe
    emails: [jdoe@example.com]
    dids: ['+12125550150']
routes: []
`);
  // Outside the gateway's temp directory, which dispose() removes: the screenshots are the
  // test's artefacts, to be looked at after it.
  shots = mkdtempSync(join(tmpdir(), 'faxgate-pages-screenshots-'));
  console.log(`screenshots: ${shots}`);
  const alice = await makeToken(g.gw, 'alice', ['send', 'read-own'], 'alice@example.com');
  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['+1 212 555 0100'], to_name: 'Dr. Smith', subject: 'Lab results', message: 'Two lines.\nFor the console test.' } });
  assert.equal(sent.status, 202, JSON.stringify(sent.body));
  sentId = sent.body.id;
  // Not dialled before tomorrow: open until the test cancels it.
  const later = await api(g.gw, 'POST', '/api/v1/faxes', { token: alice, body: { numbers: ['+1 212 555 0177'], subject: 'Tomorrow', message: 'Later.', send_at: new Date(Date.now() + 86_400_000).toISOString() } });
  assert.equal(later.status, 202, JSON.stringify(later.body));
  laterId = later.body.id;
  await waitUntil(`fax ${sentId} sent and ${laterId} waiting`, async () => {
    const a = (await api(g.gw, 'GET', `/api/v1/faxes/${sentId}`, { token: ADMIN_TOKEN })).body;
    const b = (await api(g.gw, 'GET', `/api/v1/faxes/${laterId}`, { token: ADMIN_TOKEN })).body;
    return a.state === 'done' && b.recipients?.[0]?.state === 'waiting' && b.recipients[0].pagesTotal > 0;
  }, 90_000, 250).catch(async (err) => {
    const a = (await api(g.gw, 'GET', `/api/v1/faxes/${sentId}`, { token: ADMIN_TOKEN })).body;
    const b = (await api(g.gw, 'GET', `/api/v1/faxes/${laterId}`, { token: ADMIN_TOKEN })).body;
    throw new Error(`${(err as Error).message}: ${JSON.stringify({ a: [a.state, a.recipients], b: [b.state, b.recipients] })}`);
  });
  // A received fax for jdoe's DID: what faxgate rendered for the first fax, offered on the simulated line.
  sentTiff = (await api(g.gw, 'GET', `/api/v1/faxes/${sentId}/document?format=tiff`, { token: ADMIN_TOKEN })).body as Buffer;
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?did=%2B12125550150&from=%2B14155550123&csid=ACME`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: sentTiff });
  assert.equal(offer.status, 202, await offer.clone().text());
  const { inboundId } = (await offer.json()) as { inboundId: string };
  await waitUntil(`received fax ${inboundId} routed`, async () => (await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: ADMIN_TOKEN })).body.route, 60_000, 250);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS, timeout: 60_000 });
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'pw' }, viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('pageerror', (err) => console.log(`page error: ${err.message}`));
});
after(async () => {
  await browser?.close();
  await g?.dispose();
});

/** On a wait that expired: what the page showed, in the error. */
async function dumpPage(err: Error): Promise<never> {
  throw new Error(`${err.message}\npage ${page.url()}:\n${await page.locator('main').innerText().catch(() => '?')}`);
}

/** axe-core's violations of impact serious or critical on the current page. */
async function seriousViolations(p: Page): Promise<string[]> {
  // Browser-side code is given as text: the test's TypeScript has no DOM types (the whole
  // program is checked with one lib setting).
  if (!(await p.evaluate<boolean>(`'axe' in window`))) await p.addScriptTag({ content: AXE });
  const result = await p.evaluate<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>(`axe.run({ resultTypes: ['violations'] })`);
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

test('the fax list finds a fax by number; its page shows the timeline, attempts and page thumbnails; no serious accessibility violation', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/`);
  await waitUntil('both faxes listed', async () => (await page.locator('#faxes tbody tr').count()) >= 2, 20_000);
  // Keyboard: the first Tab reaches the skip link, the next the navigation.
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Skip to content');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate<string>('document.activeElement.textContent'), 'Sent faxes');
  assert.deepEqual(await seriousViolations(page), [], 'list page');
  await page.screenshot({ path: join(shots, '1-list.png'), fullPage: true });

  await page.getByLabel('Fax number').fill('2125550100');
  await page.getByLabel('Fax number').press('Enter');
  await page.waitForURL(/number=2125550100/);
  await waitUntil('the search to show one fax', async () => {
    const rows = await page.locator('#faxes tbody tr').allTextContents();
    return rows.length === 1 && rows[0].includes(sentId) ? rows : undefined;
  }, 20_000).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify(await page.locator('#faxes tbody tr').allTextContents())}; status ${await page.locator('#status').textContent()}`);
  });
  assert.equal(await page.getByLabel('Fax number').inputValue(), '2125550100', 'the search stays in the form');

  await page.getByRole('link', { name: sentId }).click();
  await page.waitForURL(`**/ui/faxes/${sentId}`);
  await page.getByRole('heading', { name: '+12125550100 — Dr. Smith' }).waitFor().catch(dumpPage);
  const thumbs = page.locator('.thumbs img');
  await waitUntil('every thumbnail loaded', async () => {
    const n = await thumbs.count();
    if (n === 0) return false;
    return page.evaluate<boolean>(`[...document.querySelectorAll('.thumbs img')].every((i) => i.complete && i.naturalWidth > 0)`);
  }, 30_000);
  const sizes = await page.evaluate<Array<[string, number, number]>>(`[...document.querySelectorAll('.thumbs img')].map((i) => [i.alt, i.naturalWidth, i.naturalHeight])`);
  assert.ok(sizes.length >= 1, JSON.stringify(sizes));
  for (const [alt, w, h] of sizes) assert.ok(w > 20 && h > w, `${alt}: a portrait page, ${w}x${h}`);
  const text = await page.locator('main').innerText();
  assert.match(text, /Timeline/);
  assert.match(text, /accepted/);
  assert.match(text, /sent \(recipient 0\)/);
  assert.match(text, /Attempts to \+12125550100/);
  assert.ok(await page.getByRole('button', { name: 'Cancel' }).isDisabled(), 'a sent fax cannot be cancelled');
  assert.deepEqual(await seriousViolations(page), [], 'fax page');
  await page.screenshot({ path: join(shots, '2-fax.png'), fullPage: true });

  // A phone screen: one column, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.locator('.thumbs img').first().waitFor();
  assert.ok(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth + 1'), 'no sideways scrolling on a phone');
  await page.screenshot({ path: join(shots, '3-fax-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 900 });
});

test('Cancel on a waiting fax cancels it through the API (a same-origin POST the cross-site guard lets through)', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/faxes/${laterId}`);
  const cancel = page.getByRole('button', { name: 'Cancel' });
  await cancel.waitFor();
  assert.equal(await cancel.isEnabled(), true);
  await cancel.click();
  await page.locator('#status', { hasText: 'Cancelled.' }).waitFor().catch(dumpPage);
  const fax = (await api(g.gw, 'GET', `/api/v1/faxes/${laterId}`, { token: ADMIN_TOKEN })).body;
  assert.equal(fax.recipients[0].state, 'cancelled');
  assert.match(fax.recipients[0].cancelledBy, /admin/);
  assert.match(await page.locator('.recipient').innerText(), /cancelled/);
  await page.screenshot({ path: join(shots, '4-cancelled.png'), fullPage: true });
});

test('Resend on a sent fax opens the new fax, which is sent; the list searches by state, sender and date', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/faxes/${sentId}`);
  await page.getByRole('button', { name: 'Resend' }).click();
  await page.waitForURL((u) => /\/ui\/faxes\/fx[0-9a-z]+$/.test(u.pathname) && !u.pathname.endsWith(sentId)).catch(dumpPage);
  const newId = new URL(page.url()).pathname.split('/').pop() as string;
  const resent = await waitUntil(`the resent fax ${newId} to be sent`, async () => {
    const f = (await api(g.gw, 'GET', `/api/v1/faxes/${newId}`, { token: ADMIN_TOKEN })).body;
    return f.state === 'done' ? f : undefined;
  }, 60_000, 250).catch(async (err) => {
    throw new Error(`${(err as Error).message}: ${JSON.stringify((await api(g.gw, 'GET', `/api/v1/faxes/${newId}`, { token: ADMIN_TOKEN })).body)}`);
  });
  assert.deepEqual(resent.numbers, ['+12125550100']);
  assert.equal(resent.authUser, 'alice', 'the resend keeps the first fax\'s owner');
  assert.ok(resent.timeline.some((e: { event: string; detail?: string }) => e.event === 'resend' && e.detail?.includes(sentId)), JSON.stringify(resent.timeline));
  // The page, reloaded, shows the new fax sent.
  await page.reload();
  await page.locator('.recipient', { hasText: 'sent' }).waitFor().catch(dumpPage);

  const search = async (fields: Record<string, string>) => {
    await page.goto(`${g.gw.httpUrl}/ui/`);
    for (const [label, value] of Object.entries(fields)) {
      const field = page.getByLabel(label);
      if (label === 'State') await field.selectOption(value);
      else await field.fill(value);
    }
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\?/);
    await waitUntil('the search to answer', async () => /fax\(es\)|No fax matches/.test((await page.locator('#status').textContent()) ?? ''), 20_000);
    return (await page.locator('#faxes tbody tr a').allTextContents()).sort();
  };
  assert.deepEqual(await search({ State: 'done' }), [sentId, newId].sort(), 'the sent faxes, not the cancelled one');
  assert.deepEqual(await search({ State: 'cancelled', Sender: 'alice' }), [laterId]);
  assert.deepEqual(await search({ Sender: 'nobody-sends-this' }), []);
  assert.match((await page.locator('#status').textContent()) ?? '', /No fax matches/);
  const today = await page.evaluate<string>(`new Date().toLocaleDateString('en-CA')`);
  const tomorrow = await page.evaluate<string>(`new Date(Date.now() + 86400000).toLocaleDateString('en-CA')`);
  assert.deepEqual(await search({ 'From date': today, 'To date': today }), [sentId, newId, laterId].sort());
  assert.deepEqual(await search({ 'From date': tomorrow }), []);
  await page.screenshot({ path: join(shots, '4b-search.png'), fullPage: true });
});

test('every page fits a phone screen: nothing wider than the screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const path of ['/ui/', `/ui/faxes/${sentId}`, '/ui/inbound', '/ui/lines', '/ui/directory', '/ui/settings']) {
      await page.goto(`${g.gw.httpUrl}${path}`);
      await waitUntil(`${path} to load its data`, async () => ((await page.locator('#status').textContent()) ?? '') !== 'Loading…' && (await page.locator('main').innerText()).length > 40, 20_000);
      const widths = await page.evaluate<[number, number]>('[document.documentElement.scrollWidth, window.innerWidth]');
      if (widths[0] > widths[1] + 1) {
        // The evidence: the outermost elements that reach past the screen's right edge.
        const wide = await page.evaluate<string[]>(`[...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1)).slice(0, 5).map((e) => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px: ' + (e.textContent || '').slice(0, 60))`);
        assert.fail(`${path}: ${widths[0]} px wide on a ${widths[1]} px screen; past the edge: ${wide.join(' | ')}`);
      }
      await page.screenshot({ path: join(shots, `9-phone${path.replace(/\//g, '-')}.png`), fullPage: true });
    }
  } finally {
    await page.setViewportSize({ width: 1200, height: 900 });
  }
});

test('a directory user is edited with validation: a bad DID is refused with the reason, a good edit is saved', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/directory`);
  await page.getByRole('button', { name: 'Edit jdoe' }).click();
  assert.equal(await page.evaluate<string>('document.activeElement.id'), 'u-name', 'focus moves into the form');
  await page.getByLabel('Name').fill('Jane Doe');
  await page.getByLabel('DIDs').fill('+12125550150, not-a-number');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#user-errors', { hasText: /phone number/ }).waitFor();
  assert.equal((await api(g.gw, 'GET', '/api/v1/users', { token: ADMIN_TOKEN })).body.users[0].name, 'John Doe', 'nothing saved');
  await page.screenshot({ path: join(shots, '5-directory-error.png'), fullPage: true });
  await page.getByLabel('DIDs').fill('+12125550150, +12125550151');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#status', { hasText: 'Saved jdoe.' }).waitFor();
  const users = (await api(g.gw, 'GET', '/api/v1/users', { token: ADMIN_TOKEN })).body.users;
  assert.equal(users[0].name, 'Jane Doe');
  assert.deepEqual(users[0].dids, ['+12125550150', '+12125550151']);
  assert.match(await page.locator('#users tbody').innerText(), /Jane Doe/);
  assert.deepEqual(await seriousViolations(page), [], 'directory page');
});

test('routes are edited on the directory page: a bad CSID pattern is refused with the reason, an added route routes the next received fax, a user a route names is kept until the route is removed', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/directory`);
  await page.locator('#routes tbody tr').first().waitFor().catch(dumpPage);
  assert.match(await page.locator('#routes tbody').innerText(), /No route/);
  // The forms stay out of the way until asked for.
  assert.deepEqual([await page.locator('#user-form').isVisible(), await page.locator('#route-form').isVisible()], [false, false], 'both forms hidden');

  // A user to route to, added on the page.
  await page.getByRole('button', { name: 'Add a user' }).click();
  await page.getByLabel('User id').fill('night');
  await page.getByLabel('E-mail addresses').fill('night@example.com');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#status', { hasText: 'Saved night.' }).waitFor().catch(dumpPage);

  // By keyboard: Enter on the button opens the form with the focus in its first field.
  await page.getByRole('button', { name: 'Add a route' }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate<string>('document.activeElement.id'), 'r-csid', 'focus moves into the route form');
  await page.getByLabel('Sender CSID').fill('^NIGHT(');
  await page.getByLabel('Route to user').selectOption('night');
  await page.getByRole('button', { name: 'Add route' }).click();
  await page.locator('#route-errors', { hasText: /match\.csid: not a regular expression/ }).waitFor().catch(dumpPage);
  assert.deepEqual((await api(g.gw, 'GET', '/api/v1/routes', { token: ADMIN_TOKEN })).body.routes, [], 'nothing saved');
  await page.screenshot({ path: join(shots, '5b-route-error.png'), fullPage: true });
  await page.getByLabel('Sender CSID').fill('^NIGHT');
  await page.getByLabel('Position').fill('0');
  await page.getByRole('button', { name: 'Add route' }).click();
  await page.locator('#status', { hasText: 'Added the route to night.' }).waitFor().catch(dumpPage);
  assert.equal(await page.locator('#route-form').isVisible(), false, 'the form closes once the route is added');
  assert.deepEqual((await api(g.gw, 'GET', '/api/v1/routes', { token: ADMIN_TOKEN })).body.routes, [{ index: 0, match: { csid: '^NIGHT' }, user: 'night' }]);
  assert.match(await page.locator('#routes tbody').innerText(), /0\s+csid=\^NIGHT\s+night/);
  assert.deepEqual(await seriousViolations(page), [], 'directory page with routes');
  await page.screenshot({ path: join(shots, '5c-route-added.png'), fullPage: true });

  // The route applies to the next fax: one from a NIGHT station to a DID nobody owns goes to night.
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?did=%2B12125550199&from=%2B14155550999&csid=NIGHT%20DESK`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: sentTiff });
  assert.equal(offer.status, 202, await offer.clone().text());
  const { inboundId } = (await offer.json()) as { inboundId: string };
  const routed = await waitUntil(`received fax ${inboundId} routed`, async () => (await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: ADMIN_TOKEN })).body.route, 60_000, 250);
  assert.deepEqual([routed.user, routed.rule, routed.detail], ['night', 'csid', 'routes[0]: csid ^NIGHT']);

  // A user a route names cannot be removed; once the route is gone, the user can.
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Remove night' }).click();
  await page.locator('#status.error', { hasText: /Could not remove night/ }).waitFor().catch(dumpPage);
  assert.ok((await api(g.gw, 'GET', '/api/v1/users', { token: ADMIN_TOKEN })).body.users.some((u: { id: string }) => u.id === 'night'), 'night is kept');
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Remove route 0' }).click();
  await page.locator('#status', { hasText: 'Removed route 0.' }).waitFor().catch(dumpPage);
  assert.deepEqual((await api(g.gw, 'GET', '/api/v1/routes', { token: ADMIN_TOKEN })).body.routes, []);
  // Dismissing the question removes nothing.
  page.once('dialog', (d) => void d.dismiss());
  await page.getByRole('button', { name: 'Remove night' }).click();
  await assertNothingFor('night removed after the question was dismissed', async () => !(await api(g.gw, 'GET', '/api/v1/users', { token: ADMIN_TOKEN })).body.users.some((u: { id: string }) => u.id === 'night'), 1_000, 200);
  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Remove night' }).click();
  await page.locator('#status', { hasText: 'Removed night.' }).waitFor().catch(dumpPage);
  assert.deepEqual((await api(g.gw, 'GET', '/api/v1/users', { token: ADMIN_TOKEN })).body.users.map((u: { id: string }) => u.id), ['jdoe']);
});

test('received faxes, lines and settings pages load their data without error or serious violations', async () => {
  for (const [path, expect] of [['/ui/inbound', /\+14155550123 "ACME"\s+\+12125550150\s+1\s+jdoe — /], ['/ui/lines', /sim/], ['/ui/settings', /FAXGATE_DIAL_DENY[\s\S]*Processes and the settings version they run[\s\S]*console/]] as const) {
    await page.goto(`${g.gw.httpUrl}${path}`);
    await waitUntil(`${path} to show its data`, async () => expect.test(await page.locator('main').innerText()) && !(await page.locator('#status.error').count()), 20_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${await page.locator('main').innerText()}`);
    });
    assert.deepEqual(await seriousViolations(page), [], path);
    await page.screenshot({ path: join(shots, `6${path.replace(/\//g, '-')}.png`), fullPage: true });
  }
  // Without credentials the pages ask for them.
  assert.equal((await fetch(`${g.gw.httpUrl}/ui/`)).status, 401);
});

test('the lines page follows a call live: a line shows the call while a fax is sent, then is idle again, without a reload', async () => {
  // Its own gateway, whose simulated calls last long enough (about 9 s a page) to be seen by the
  // page's 5 s refresh; this file's gateway runs its calls in a few milliseconds.
  const slow = await startApiGateway('faxgate-pages-lines', { FAXGATE_SIM_TIME_SCALE: '0.5' });
  const lines = await page.context().newPage();
  try {
    await lines.goto(`${slow.gw.httpUrl}/ui/lines`);
    await lines.locator('#lines table').first().waitFor();
    // Marks this document: a reload or a navigation would lose it.
    await lines.evaluate('window.__sameDocument = true');
    const sent = await api(slow.gw, 'POST', '/api/v1/faxes', { token: ADMIN_TOKEN, body: { numbers: ['+1 212 555 0133'], cover: 'none', message: 'Watched on the lines page.' } });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    const fax = async () => (await api(slow.gw, 'GET', `/api/v1/faxes/${sent.body.id}`, { token: ADMIN_TOKEN })).body;
    const callingRows = async () => (await lines.locator('#lines tr', { hasText: 'calling' }).allInnerTexts()).filter((t) => !/^\s*Pool/.test(t));
    const seen = await waitUntil('the lines page to show a line calling', async () => {
      const rows = await callingRows();
      return rows.length ? rows : undefined;
    }, 60_000, 250).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${await lines.locator('#lines').innerText()}; fax ${JSON.stringify((await fax()).recipients)}`);
    });
    await lines.screenshot({ path: join(shots, '6b-lines-calling.png'), fullPage: true });
    const done = await waitUntil(`fax ${sent.body.id} sent`, async () => {
      const f = await fax();
      return f.state === 'done' ? f : undefined;
    }, 90_000, 250);
    const line: string = done.recipients[0].attemptsDetail[0].line;
    assert.ok(seen.some((row) => row.includes(line)), `the line that carried the call (${line}) was shown calling: ${JSON.stringify(seen)}`);
    await waitUntil('the lines page to show no call', async () => (await callingRows()).length === 0, 20_000, 250).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${await lines.locator('#lines').innerText()}`);
    });
    assert.equal(await lines.evaluate<boolean>('window.__sameDocument === true'), true, 'the page updated itself: no reload');
  } finally {
    await lines.close();
    await slow.dispose();
  }
});

test('a runtime setting is changed on the settings page: a bad value is refused with the schema\'s reason, a good one becomes the next version', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/settings`);
  await page.locator('#settings-version').waitFor();
  const before = (await api(g.gw, 'GET', '/api/v1/settings', { token: ADMIN_TOKEN })).body.version as number;
  await page.getByRole('button', { name: 'Change FAXGATE_RETRY_MAX_TRIES' }).click();
  assert.equal(await page.evaluate<string>('document.activeElement.id'), 's-value', 'focus moves into the form');
  await page.getByLabel('New value').fill('many');
  await page.getByLabel('Why (kept in the history)').fill('front desk asked');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#setting-errors', { hasText: /FAXGATE_RETRY_MAX_TRIES/ }).waitFor();
  assert.equal((await api(g.gw, 'GET', '/api/v1/settings', { token: ADMIN_TOKEN })).body.version, before, 'nothing saved');
  await page.getByLabel('New value').fill('4');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('#status', { hasText: `Saved as version ${before + 1}` }).waitFor();
  const after = (await api(g.gw, 'GET', '/api/v1/settings', { token: ADMIN_TOKEN })).body;
  assert.equal(after.version, before + 1);
  assert.equal(after.reason, 'front desk asked');
  assert.deepEqual(after.settings.find((x: { name: string }) => x.name === 'FAXGATE_RETRY_MAX_TRIES'), { name: 'FAXGATE_RETRY_MAX_TRIES', group: 'Retry policy', value: '4', from: 'store' });
  assert.match(await page.locator('main').innerText(), /FAXGATE_RETRY_MAX_TRIES\s+Retry policy\s+4\s+store/);
  await page.screenshot({ path: join(shots, '7-settings-changed.png'), fullPage: true });
  assert.deepEqual(await seriousViolations(page), [], 'settings page with its form');
});

test('a cover template is changed on the settings page: one that would fetch is refused with the reason, a good one is stored by its name', async () => {
  await page.goto(`${g.gw.httpUrl}/ui/settings`);
  await page.locator('#settings-version').waitFor();
  const before = (await api(g.gw, 'GET', '/api/v1/settings', { token: ADMIN_TOKEN })).body.version as number;
  await page.getByRole('button', { name: 'Change FAXGATE_COVER_TEMPLATES' }).click();
  assert.equal(await page.evaluate<string>('document.activeElement.id'), 't-name', 'focus moves into the template form');
  await page.getByLabel('Template name').fill('urgent');
  await page.getByLabel('Template HTML').fill('<h1>URGENT</h1><img src="https://logo.example/l.png">');
  await page.getByLabel('Why the template changes (kept in the history)').fill('urgent faxes get their own cover');
  await page.getByRole('button', { name: 'Save template' }).click();
  await page.locator('#template-errors', { hasText: /template "urgent" loads src="https:\/\/logo.example\/l.png"/ }).waitFor();
  assert.equal((await api(g.gw, 'GET', '/api/v1/settings', { token: ADMIN_TOKEN })).body.version, before, 'nothing saved');
  await page.getByLabel('Template HTML').fill('<h1>URGENT</h1>\n<p>{{to_name}}</p>\n');
  await page.getByRole('button', { name: 'Save template' }).click();
  await page.locator('#status', { hasText: `Saved as version ${before + 1}` }).waitFor();
  const stored = (await api(g.gw, 'GET', '/api/v1/settings', { token: ADMIN_TOKEN })).body.settings.find((x: { name: string }) => x.name === 'FAXGATE_COVER_TEMPLATES');
  assert.deepEqual(JSON.parse(stored.value), { urgent: '<h1>URGENT</h1>\n<p>{{to_name}}</p>\n' });
  assert.match(await page.locator('main').innerText(), /FAXGATE_COVER_TEMPLATES\s+Cover page and header line\s+urgent\s+store/);
  // Opened again, the stored template's name brings its HTML back to edit.
  await page.getByRole('button', { name: 'Change FAXGATE_COVER_TEMPLATES' }).click();
  await page.getByLabel('Template name').fill('urgent');
  await page.getByLabel('Template name').dispatchEvent('change');
  assert.equal(await page.getByLabel('Template HTML').inputValue(), '<h1>URGENT</h1>\n<p>{{to_name}}</p>\n');
  await page.screenshot({ path: join(shots, '8-settings-template.png'), fullPage: true });
  assert.deepEqual(await seriousViolations(page), [], 'settings page with the template form');
});
