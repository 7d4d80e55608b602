import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, readFile } from 'node:fs/promises';
import { readTiff } from '@faxgate/fax-image';
import { join, resolve } from 'node:path';
import * as mupdf from 'mupdf';
import type { RunningGateway } from '@faxgate/runtime';
import { blackPixels, decodeTiffWithLibtiff, differingPixels, differingRows, renderPdfPages, waitUntil, type SmtpSink, type TempDir } from '@faxgate/testkit';
import { inboundRole } from '../src/index.ts';
import { TOKEN, api, finished, makeFaxTiff, offerCall, run, startInboundGateway } from './helpers.ts';

const DIRECTORY = `# test directory
unaddressed: faxadmin@example.com
users:
  - id: jdoe
    emails: [jdoe@example.com, frontdesk@example.com]
    format: both
    dids: ["+12125550100"]
  - id: sales
    emails: [sales@example.com]
    mailbox: "1234"
  - id: acme
    emails: [acme-desk@example.com]
  - id: legal
    emails: [legal@example.com]
    format: tiff
routes:
  - match: { csid: "^ACME" }
    user: acme
  - match: { calling: "+1415*" }
    user: legal
`;

let g: Awaited<ReturnType<typeof startInboundGateway>>;
let sink: SmtpSink;
let dir: TempDir;
let gw: RunningGateway;
let twoPages: Buffer;
let onePage: Buffer;
let directoryPath: string;

before(async () => {
  g = await startInboundGateway('faxgate-inbound', DIRECTORY, {
    FAXGATE_NODE_LINES: '4',
    FAXGATE_MAIL_FROM: 'faxgate@fax.example.com',
    FAXGATE_DIRECTORY_POLL: '200ms',
    FAXGATE_JOB_BACKOFF: '20ms',
  });
  ({ gw, sink, dir, directoryPath } = g);
  twoPages = await makeFaxTiff(dir.path, 2, 'Inbound test');
  onePage = await makeFaxTiff(dir.path, 1, 'Short one');
});

after(async () => {
  await g?.dispose();
});

const mailFor = (id: string) => sink.waitFor((m) => m.parsed.headers.get('x-faxgate-inbound-id') === id, 30_000);
const directorySource = () => gw.instanceOf(inboundRole).directory;

test('a simulated call to a DID reaches both addresses of its user; the PDF shows the TIFF pixel for pixel (Ghostscript vs libtiff)', async () => {
  const id = await offerCall(gw, twoPages, { did: '+12125550100', from: '+16175550123', csid: 'WIDGETS INC' });
  const mail = await mailFor(id);
  assert.deepEqual(mail.to.sort(), ['frontdesk@example.com', 'jdoe@example.com']);
  assert.equal(mail.parsed.subject, 'Fax from WIDGETS INC, 2 pages');
  assert.match(mail.parsed.text ?? '', /From number: +\+16175550123/);
  assert.match(mail.parsed.text ?? '', /To \(DID\): +\+12125550100/);
  assert.match(mail.parsed.text ?? '', /Duration: +\d+ s/);
  assert.doesNotMatch(mail.parsed.text ?? '', /Warnings/);

  const pdf = mail.parsed.attachments.find((a) => a.contentType === 'application/pdf');
  const tif = mail.parsed.attachments.find((a) => a.contentType === 'image/tiff');
  const png = mail.parsed.attachments.find((a) => a.contentType === 'image/png');
  assert.ok(pdf && tif && png, 'format both: PDF and TIFF, and the inline preview');
  assert.equal(png.contentDisposition, 'inline');
  // mailparser resolves the cid: reference into the image itself: the HTML shows page 1 inline.
  assert.equal(png.cid, 'page1@faxgate');
  assert.match(mail.parsed.html || '', /<img src="data:image\/png;base64,[^"]+" alt="page 1 of the fax"/);
  // MuPDF reads the preview: page 1 at about 100 dpi, with ink on it.
  const preview = new mupdf.Image(png.content).toPixmap();
  assert.deepEqual([preview.getWidth(), preview.getHeight()], [864, 1078]);
  assert.ok(preview.getPixels().some((v) => v < 128));

  const sent = await decodeTiffWithLibtiff(twoPages, dir.path, `${id}-sent`);
  const pdfPages = await renderPdfPages(pdf.content, dir.path, `${id}-pdf`);
  const tiffPages = await decodeTiffWithLibtiff(tif.content, dir.path, `${id}-att`);
  assert.equal(pdfPages.length, 2);
  assert.equal(tiffPages.length, 2);
  for (let p = 0; p < 2; p++) {
    assert.ok(blackPixels(sent[p]) > 5000, 'the page has ink to compare');
    assert.deepEqual([pdfPages[p].width, pdfPages[p].height], [sent[p].width, sent[p].height], `page ${p + 1} size`);
    assert.equal(differingPixels(pdfPages[p], sent[p]), 0, `page ${p + 1}: Ghostscript's rendering of the PDF equals libtiff's decoding of the TIFF`);
    assert.equal(differingPixels(tiffPages[p], sent[p]), 0, `page ${p + 1} of the attached TIFF`);
  }

  const rec = await finished(gw, id);
  assert.equal(rec.state, 'delivered');
  assert.deepEqual([rec.route?.rule, rec.route?.user, rec.pages, rec.partial, rec.csid], ['did', 'jdoe', 2, false, 'WIDGETS INC']);
  // The console serves the stored fax too, for when no mail could be delivered.
  const stored = await fetch(`${gw.httpUrl}/api/v1/inbound/${id}/document`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(stored.headers.get('content-type'), 'application/pdf');
  const storedPages = await renderPdfPages(new Uint8Array(await stored.arrayBuffer()), dir.path, `${id}-stored`);
  assert.equal(differingPixels(storedPages[1], sent[1]), 0);
  const storedTiff = await fetch(`${gw.httpUrl}/api/v1/inbound/${id}/document?format=tiff`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal((await decodeTiffWithLibtiff(new Uint8Array(await storedTiff.arrayBuffer()), dir.path, `${id}-stored`)).length, 2);
  assert.match(rec.line ?? '', /^sim\/.+\/\d$/);
  assert.equal(rec.deliveries[0].state, 'sent');
  assert.ok(rec.receivedAt && rec.deliveries[0].sentAt);
});

test('each rule kind routes end to end: sub-address, CSID, calling number, and the unaddressed fallback', async () => {
  const cases: Array<{ q: Record<string, string>; to: string; rule: string }> = [
    { q: { did: '+19995550001', from: '+16175550000', sub: '408-852-8103#1234##' }, to: 'sales@example.com', rule: 'sub-address' },
    { q: { did: '+19995550001', from: '+16175550000', csid: 'ACME Widgets' }, to: 'acme-desk@example.com', rule: 'csid' },
    { q: { did: '+19995550001', from: '+14155550123' }, to: 'legal@example.com', rule: 'calling-number' },
    { q: { did: '+19995550001', from: '+16175550000', csid: 'NOBODY' }, to: 'faxadmin@example.com', rule: 'unaddressed' },
  ];
  const ids = await Promise.all(cases.map((c) => offerCall(gw, onePage, c.q)));
  for (const [i, c] of cases.entries()) {
    const mail = await mailFor(ids[i]);
    assert.deepEqual(mail.to, [c.to], c.rule);
    const rec = await finished(gw, ids[i]);
    assert.equal(rec.route?.rule, c.rule);
    assert.match(mail.parsed.subject ?? '', /, 1 page$/);
  }
  const legal = await mailFor(ids[2]);
  assert.deepEqual(legal.parsed.attachments.map((a) => a.contentType).sort(), ['image/png', 'image/tiff'], 'format tiff: no PDF');
  const unaddressed = await mailFor(ids[3]);
  assert.match(unaddressed.parsed.text ?? '', /No directory rule matched this fax/);
});

test('a call that drops mid-way still delivers the pages received, marked partial', async () => {
  const id = await offerCall(gw, twoPages, { did: '+12125550100', from: '+16175550123', failAfter: '1' });
  const mail = await mailFor(id);
  assert.equal(mail.parsed.subject, 'Fax from +16175550123, 1 page (incomplete)');
  assert.match(mail.parsed.text ?? '', /The call ended before the sender finished/);
  const pdf = mail.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
  const pages = await renderPdfPages(pdf.content, dir.path, `${id}-pdf`);
  const sent = await decodeTiffWithLibtiff(twoPages, dir.path, `${id}-sent`);
  assert.equal(pages.length, 1);
  assert.equal(differingPixels(pages[0], sent[0]), 0);
  const rec = await finished(gw, id);
  assert.deepEqual([rec.state, rec.partial, rec.pages], ['delivered', true, 1]);
  assert.match(rec.reason ?? '', /after page 1 of 2/);
});

test('damaged rows are counted, warned about in the mail, and the repaired page still reaches the PDF; a call with no page is recorded, not mailed', async () => {
  // MH with EOLs (gs tiffg3) resynchronises at the next EOL: damage costs rows, not the page.
  const src = join(dir.path, 'damaged-src.tif');
  const mh = join(dir.path, 'damaged-mh.tif');
  await writeFile(src, onePage);
  await run('tiffcp', ['-c', 'g3', '-r', '10000', src, mh]);
  const data = new Uint8Array(await readFile(mh));
  const strip = readTiff(data)[0].strips[0];
  const at = strip.byteOffset + Math.floor(strip.length * 0.4);
  for (let i = 0; i < 40; i++) data[at + i] ^= 0x5a;
  const damaged = join(dir.path, 'damaged.tif');
  await writeFile(damaged, data);
  const libtiff = await run('tiffcp', ['-c', 'none', damaged, join(dir.path, 'damaged-none.tif')]).catch((e: { stderr: string }) => e);
  assert.notEqual(libtiff.stderr.trim(), '', 'libtiff sees the damage too');

  const id = await offerCall(gw, data, { did: '+12125550100', from: '+16175550123' });
  const mail = await mailFor(id);
  const rec = await finished(gw, id);
  assert.ok(rec.badRows > 0, `bad rows counted: ${rec.badRows}`);
  assert.match(mail.parsed.text ?? '', new RegExp(`${rec.badRows} rows were damaged on the line`));
  const pdf = mail.parsed.attachments.find((a) => a.contentType === 'application/pdf')!;
  const pages = await renderPdfPages(pdf.content, dir.path, `${id}-pdf`);
  const clean = await decodeTiffWithLibtiff(onePage, dir.path, `${id}-clean`);
  assert.equal(pages.length, 1);
  assert.deepEqual([pages[0].width, pages[0].height], [clean[0].width, clean[0].height]);
  // The damage sits 40 % into the coded data: the rows above it arrive intact, and the repair
  // keeps most of the page.
  const top = { ...clean[0], height: Math.floor(clean[0].height / 4), data: clean[0].data.subarray(0, Math.floor(clean[0].height / 4) * clean[0].stride) };
  const gotTop = { ...pages[0], height: top.height, data: pages[0].data.subarray(0, top.data.length) };
  assert.equal(differingPixels(gotTop, top), 0, 'the first quarter of the page is untouched');
  assert.ok(differingRows(pages[0], clean[0]) < clean[0].height / 2, 'most rows survive');

  const none = await offerCall(gw, twoPages, { did: '+12125550100', from: '+16175550123', failAfter: '0' });
  const nothing = await waitUntil('the empty call to end', async () => {
    const r = await api(gw, 'GET', `/api/v1/inbound/${none}`);
    return r.json.state === 'failed' ? r.json : undefined;
  }, 30_000, 50);
  assert.deepEqual([nothing.pages, nothing.deliveries.length, nothing.route], [0, 0, undefined]);
  assert.ok(nothing.timeline.some((e: { event: string }) => e.event === 'nothing received'));
});

test('users and routes edited through the CLI and the API apply to the next fax without a restart', async () => {
  const env = { ...process.env, FAXGATE_CONSOLE_URL: gw.httpUrl, FAXGATE_CONSOLE_TOKEN: TOKEN };
  const cli = (...args: string[]) => run(resolve(import.meta.dirname, '../../../faxgate'), args, { env });
  const added = await cli('users', 'add', 'newbie', '--email', 'newbie@example.com', '--email', 'newbie-copy@example.com', '--did', '+1 312 555 0199', '--phone', '+1 312 555 0100');
  assert.match(added.stdout, /user newbie added/);
  await assert.rejects(cli('users', 'add', 'newbie', '--email', 'x@example.com'), (err: { stderr: string }) => /409: user "newbie" exists/.test(err.stderr));
  await assert.rejects(cli('users', 'add', 'bad', '--email', 'not-an-address'), (err: { stderr: string }) => /400: invalid user: emails\.0: not an e-mail address/.test(err.stderr));
  const listed = await cli('users', 'list');
  assert.match(listed.stdout, /newbie +pdf +newbie@example.com, newbie-copy@example.com +dids \+13125550199/);
  await cli('routes', 'add', '--csid', '^NIGHT', '--user', 'newbie', '--at', '0');
  assert.match((await cli('routes', 'list')).stdout, /^\[0\] csid=\^NIGHT -> newbie$/m);
  // The file was rewritten in place, comments kept, and still parses.
  const text = await readFile(directoryPath, 'utf8');
  assert.match(text, /^# test directory/);
  // The phone shown on the covers of newbie's faxes (docs/rendering.md).
  assert.match(text, /phone: .*312.*555.*0100/);

  // The admin's way to try the new rule: faxgate sim receive, waiting for the outcome.
  const onePagePath = join(dir.path, 'one-page.tif');
  await writeFile(onePagePath, onePage);
  const simmed = await cli('sim', 'receive', '--did', '+13125550199', '--from', '+16175550000', '--wait', onePagePath);
  const byDid = /incoming call (in[0-9a-z]+): 1 page\(s\) offered to pool sim/.exec(simmed.stdout)?.[1];
  assert.ok(byDid, simmed.stdout);
  assert.match(simmed.stdout, /^delivered: 1 page\(s\), routed by did to newbie; newbie@example.com, newbie-copy@example.com sent$/m);
  assert.deepEqual((await mailFor(byDid)).to.sort(), ['newbie-copy@example.com', 'newbie@example.com']);
  const byCsid = await offerCall(gw, onePage, { did: '+19995550002', from: '+16175550000', csid: 'NIGHT DESK' });
  assert.equal((await finished(gw, byCsid)).route?.detail, 'routes[0]: csid ^NIGHT');
  assert.deepEqual((await mailFor(byCsid)).to.sort(), ['newbie-copy@example.com', 'newbie@example.com']);

  const refused = await api(gw, 'DELETE', '/api/v1/users/newbie');
  assert.equal(refused.status, 409, 'a user named by a route cannot be removed');
  assert.equal((await api(gw, 'DELETE', '/api/v1/routes/0')).status, 200);
  assert.equal((await api(gw, 'DELETE', '/api/v1/users/newbie')).status, 200);
  const after = await offerCall(gw, onePage, { did: '+13125550199', from: '+16175550000' });
  assert.deepEqual((await mailFor(after)).to, ['faxadmin@example.com']);
});

test('a directory rewritten while faxes arrive: every fax goes to the old or the new owner, none is lost, later ones to the new', async (t) => {
  const before = await readFile(directoryPath, 'utf8');
  // The next tests find the directory as it was.
  t.after(async () => {
    await writeFile(directoryPath, before);
    await waitUntil('the watcher to load the directory back', () => !directorySource().current.directory.users.some((u) => u.id === 'late'), 10_000, 20);
  });
  const ids = await Promise.all(Array.from({ length: 6 }, () => offerCall(gw, onePage, { did: '+13125550777', from: '+16175550000' })));
  // Written by hand (not through the API), as an admin's editor would: the watcher reloads it.
  await writeFile(directoryPath, before.replace('users:\n', 'users:\n  - id: late\n    emails: [late@example.com]\n    dids: ["+13125550777"]\n'));
  await waitUntil('the watcher to load the new directory', () => directorySource().current.directory.users.some((u) => u.id === 'late'), 10_000, 20);
  const more = await Promise.all(Array.from({ length: 3 }, () => offerCall(gw, onePage, { did: '+13125550777', from: '+16175550000' })));
  for (const id of ids) {
    const to = (await mailFor(id)).to;
    assert.ok(['faxadmin@example.com', 'late@example.com'].includes(to[0]), to.join());
    assert.equal((await finished(gw, id)).state, 'delivered');
  }
  for (const id of more) assert.deepEqual((await mailFor(id)).to, ['late@example.com']);
});

test('a bad directory file is refused with its line and reason; the old directory stays active', async () => {
  const good = await readFile(directoryPath, 'utf8');
  const activeBefore = directorySource().current.version;
  await writeFile(directoryPath, good.replace('    format: tiff\n', '    format: fax\n'));
  const rejected = await waitUntil('the bad file to be refused', () => directorySource().status().rejected, 10_000, 20);
  const line = good.split('\n').findIndex((l) => l === '    format: tiff') + 1;
  assert.equal(rejected.issues.length, 1);
  assert.equal(rejected.issues[0].line, line);
  assert.match(rejected.issues[0].path, /^users\[\d\]\.format$/);
  assert.match(rejected.message, /Invalid option: expected one of "pdf"\|"tiff"\|"both"/);
  assert.equal(directorySource().current.version, activeBefore);

  // Faxes still route by the old directory, and the API refuses to edit the broken file.
  const id = await offerCall(gw, onePage, { did: '+12125550100', from: '+16175550000' });
  assert.deepEqual((await mailFor(id)).to.sort(), ['frontdesk@example.com', 'jdoe@example.com']);
  const edit = await api(gw, 'POST', '/api/v1/users', { id: 'x', emails: ['x@example.com'] });
  assert.equal(edit.status, 409);
  assert.equal(edit.json.issues[0].line, line);

  await writeFile(directoryPath, good);
  await waitUntil('the fixed file to load', () => !directorySource().status().rejected, 10_000, 20);
});

test('the API validates what it is given and the sim endpoint refuses what is not a fax', async () => {
  const badRoute = await api(gw, 'POST', '/api/v1/routes', { match: { csid: '(' }, user: 'jdoe' });
  assert.equal(badRoute.status, 400);
  assert.match(badRoute.json.error, /routes\[\d+\]\.match\.csid: not a regular expression/);
  const unknownUser = await api(gw, 'POST', '/api/v1/routes', { match: { pool: 'sim' }, user: 'ghost' });
  assert.match(unknownUser.json.error, /no user "ghost"/);
  const noAuth = await fetch(`${gw.httpUrl}/api/v1/users`);
  assert.equal(noAuth.status, 401);
  const notTiff = await fetch(`${gw.httpUrl}/api/v1/sim/incoming?did=1&from=2`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'image/tiff' }, body: 'hello' });
  assert.equal(notTiff.status, 400);
  assert.match(((await notTiff.json()) as { error: string }).error, /not a fax TIFF/);
  const missing = await api(gw, 'GET', '/api/v1/inbound/in0000000000deadbeef');
  assert.equal(missing.status, 404);
});

