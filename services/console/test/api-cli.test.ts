import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import { makePdf, waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, simCalls, startApiGateway } from './api-harness.ts';

// Issue 15: the faxgate CLI on the API, run as its own process against a running gateway, as
// a user runs it: tokens add, send, status, list, cancel, resend, received --download.

const MAIN = join(import.meta.dirname, '../../cli/src/main.ts');
let g: TestGateway<RunningGateway>;
before(async () => {
  g = await startApiGateway('faxgate-api-cli', { FAXGATE_SIM_TIME_SCALE: '0.05' }, 'unaddressed: faxadmin@example.com\nusers:\n  - id: gina\n    emails: [gina@example.com]\n    dids: ["+12125550188"]\nroutes: []\n');
});
after(async () => {
  await g?.dispose();
});

interface Run { code: number | null; stdout: string; stderr: string }

/** `faxgate <args>` as a child process with FAXGATE_URL and the given token, bounded in time. */
function faxgate(args: string[], token: string, auth: Record<string, string> = { FAXGATE_TOKEN: token }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { timeout: 60_000, env: { PATH: process.env.PATH, FAXGATE_URL: g.gw.httpUrl, ...auth } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}
const show = (r: Run) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

test('tokens add, then send with a file and a cover, status until sent, list, resend, and --json for scripts', async () => {
  const added = await faxgate(['tokens', 'add', 'gina', '--scope', 'send', '--scope', 'read-own', '--email', 'gina@example.com'], ADMIN_TOKEN);
  assert.equal(added.code, 0, show(added));
  const token = added.stdout.trim();
  assert.match(token, /^fgt_/);
  const listed = await faxgate(['tokens', 'list'], ADMIN_TOKEN);
  assert.match(listed.stdout, /gina +send,read-own/);
  assert.ok(!listed.stdout.includes(token.slice(22)), 'the list shows no secret');

  const pdf = join(g.dir.path, 'letter.pdf');
  await writeFile(pdf, await makePdf(g.dir.path, 1, 'CLI letter'));
  const sent = await faxgate(['send', '-d', '+1 212 555 0130', '--to-name', 'Dr. Smith', '--subject', 'Lab results', '--message', 'One page follows.', pdf], token);
  assert.equal(sent.code, 0, show(sent));
  const id = /^(fx[0-9a-z]+) queued for \+12125550130/.exec(sent.stdout)?.[1];
  assert.ok(id, show(sent));

  const final = await waitUntil(`faxgate status ${id} to say sent`, async () => {
    const r = await faxgate(['status', id], token);
    return r.code === 0 && /\bdone\b/.test(r.stdout.split('\n')[0]) ? r : undefined;
  }, 60_000, 500);
  assert.match(final.stdout, /\[0\] \+12125550130 \(Dr\. Smith\) +sent +pages 2\/2 +attempts 1 +CSID "\+1 555 0100 SIMFAX"/);
  assert.match(final.stdout, /rendered/);
  assert.deepEqual(await simCalls(g.dataDir, id), [`${id}-r0-a1.tif`]);

  const asJson = await faxgate(['status', id, '--json'], token);
  assert.equal(JSON.parse(asJson.stdout).recipients[0].state, 'sent');
  const list = await faxgate(['list', '--number', '2125550130'], token);
  assert.equal(list.code, 0, show(list));
  assert.match(list.stdout, new RegExp(`^${id} +done .* gina +\\+12125550130 +"Lab results"`, 'm'));

  const resent = await faxgate(['resend', id, '-d', '2125550131'], token);
  assert.equal(resent.code, 0, show(resent));
  assert.match(resent.stdout, new RegExp(`queued for \\+12125550131 \\(a resend of ${id}\\)`));

  const refused = await faxgate(['send', '-d', '+1 900 555 0100', '--message', 'x'], token);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /422: .*not allowed by the dialling rules/);
  // On the gateway's machine with the console password only (what `make run` gives): the admin.
  const asAdmin = await faxgate(['send', '-d', '2125550133', '--no-cover', pdf], '', { FAXGATE_CONSOLE_PASSWORD: 'pw' });
  assert.equal(asAdmin.code, 0, show(asAdmin));
  const unauthorised = await faxgate(['list'], 'fgt_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  assert.equal(unauthorised.code, 1);
  assert.match(unauthorised.stderr, /401/);
});

test('cancel a fax on the line; received --download saves the received faxes as PDF', async () => {
  const token = (await faxgate(['tokens', 'add', 'gina', '--scope', 'send', '--scope', 'read-own'], ADMIN_TOKEN)).stdout.trim();
  const long = await faxgate(['send', '-d', '2125550132', '--message', Array.from({ length: 300 }, (_, i) => `line ${i}`).join('\n')], token);
  const id = /^(fx[0-9a-z]+)/.exec(long.stdout)![1];
  await waitUntil('the call to be on the line', async () => (await api(g.gw, 'GET', `/api/v1/faxes/${id}`, { token })).body.recipients?.[0]?.state === 'calling', 60_000, 100);
  const cancelled = await faxgate(['cancel', id, '--reason', 'sent to the wrong number'], token);
  assert.equal(cancelled.code, 0, show(cancelled));
  assert.match(cancelled.stdout, new RegExp(`${id}: cancelled recipient\\(s\\) 0`));
  const status = await waitUntil('status to show the cancel', async () => {
    const r = await faxgate(['status', id], token);
    return /cancelled/.test(r.stdout) ? r : undefined;
  }, 30_000, 500);
  assert.match(status.stdout, /cancelled by gina \(api token [a-z0-9]+\): sent to the wrong number/);

  // A received fax for gina's DID: what faxgate rendered for the first fax, offered on a simulated line.
  const tiff = (await api(g.gw, 'GET', `/api/v1/faxes/${id}/document?format=tiff`, { token })).body as Buffer;
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?did=%2B12125550188&from=%2B14155550100`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
  const { inboundId } = (await offer.json()) as { inboundId: string };
  await waitUntil('the received fax to be routed', async () => (await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: ADMIN_TOKEN })).body.route, 60_000, 200);
  const dir = join(g.dir.path, 'inbox');
  const got = await faxgate(['received', '--download', dir], token);
  assert.equal(got.code, 0, show(got));
  assert.match(got.stdout, new RegExp(`^${inboundId} .* from \\+14155550100 to \\+12125550188 .*→ gina \\(did\\)`, 'm'));
  assert.deepEqual(await readdir(dir), [`${inboundId}.pdf`]);
  const pdf = new mupdf.PDFDocument(await readFile(join(dir, `${inboundId}.pdf`)));
  assert.ok(pdf.countPages() >= 1);
});

test('tokens revoke: the token is refused at once, gone from the list, and a second revoke says there is none', async () => {
  const token = (await faxgate(['tokens', 'add', 'hank', '--scope', 'read-own', '--name', 'old laptop'], ADMIN_TOKEN)).stdout.trim();
  assert.equal((await faxgate(['list'], token)).code, 0, 'the new token works');
  const listed = await faxgate(['tokens', 'list', '--json'], ADMIN_TOKEN);
  assert.equal(listed.code, 0, show(listed));
  const mine = (JSON.parse(listed.stdout) as Array<{ id: string; user: string; name?: string }>).find((t) => token.startsWith(`fgt_${t.id}_`));
  assert.ok(mine, `the token is listed: ${listed.stdout}`);
  assert.deepEqual([mine.user, mine.name], ['hank', 'old laptop']);

  const notAdmin = await faxgate(['tokens', 'revoke', mine.id], token);
  assert.equal(notAdmin.code, 1, show(notAdmin));
  assert.match(notAdmin.stderr, /403/);
  const revoked = await faxgate(['tokens', 'revoke', mine.id], ADMIN_TOKEN);
  assert.equal(revoked.code, 0, show(revoked));
  assert.equal(revoked.stdout.trim(), `revoked ${mine.id}`);
  const refused = await faxgate(['list'], token);
  assert.equal(refused.code, 1, show(refused));
  assert.match(refused.stderr, /401/);
  assert.doesNotMatch((await faxgate(['tokens', 'list'], ADMIN_TOKEN)).stdout, new RegExp(mine.id));
  const again = await faxgate(['tokens', 'revoke', mine.id], ADMIN_TOKEN);
  assert.equal(again.code, 1, show(again));
  assert.match(again.stderr, /404: no token/);
});
