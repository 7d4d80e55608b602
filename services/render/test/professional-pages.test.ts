// What a recipient reads on a business fax: the header line with the sending station's number
// in the configured time zone, and a cover with the sender from the message's From: (not the
// envelope sender of a local `sendmail -t`), their phone and fax from the directory, and a
// confidentiality notice. Checked on the text the renderer lays out (MuPDF's text layer of the
// cover HTML, and the header line's fields compared pel for pel with the top rows of the page
// sent), so no OCR is involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mupdf from 'mupdf';
import { FAX_WIDTH_PT, MuPdfEngine, prepareFax, recipientPages, toBilevel, type GrayPage, type RenderEngine, type EngineOptions } from '@faxgate/render';
import { renderSchema } from '../src/config.ts';
import { composeSettings } from '../src/compose-settings.ts';

/** The real engine, also keeping the text of every HTML page it lays out and every header line. */
class TextRecordingEngine implements RenderEngine {
  readonly inner = new MuPdfEngine();
  readonly htmlPages: string[] = [];
  readonly headerLines: string[][] = [];

  renderDocument(data: Uint8Array, mimeType: string, yDpi: number, opts?: EngineOptions): GrayPage[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts: EngineOptions | undefined, convert: (page: GrayPage) => T): T[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts?: EngineOptions, convert?: (page: GrayPage) => T): Array<T | GrayPage> {
    if (mimeType === 'text/html') {
      const doc = mupdf.Document.openDocument(data, mimeType);
      try {
        doc.layout(FAX_WIDTH_PT, opts?.pageHeightPt ?? 792, 11);
        for (let i = 0; i < doc.countPages(); i++) this.htmlPages.push(doc.loadPage(i).toStructuredText("preserve-whitespace").asText());
      } finally {
        doc.destroy();
      }
    }
    return convert ? this.inner.renderDocument(data, mimeType, yDpi, opts, convert) : this.inner.renderDocument(data, mimeType, yDpi, opts);
  }

  renderTextLine(fields: string[], sizePt: number, yDpi: number): GrayPage {
    this.headerLines.push(fields);
    return this.inner.renderTextLine(fields, sizePt, yDpi);
  }
}

/** A mail as a web application's `sendmail -t` sends it: the person in From:, the server's account as envelope sender. */
const mail = (from: string) =>
  new TextEncoder().encode(
    [`From: ${from}`, 'To: 12125550100@fax.test', 'Subject: Purchase order 4711', 'Date: Sun, 06 Dec 2026 03:30:00 +0000', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Please confirm the order by fax.', ''].join('\r\n'),
  );

async function withDirectory(yaml: string, run: (path: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-pages-'));
  try {
    const path = join(dir, 'directory.yaml');
    await writeFile(path, yaml);
    await run(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const DIRECTORY = `unaddressed: faxdesk@example.com
users:
  - id: alice
    name: Alice Directory-Name
    emails: [alice@example.com]
    dids: ["+1 212 555 0142"]
    phone: "+1 212 555 0101"
`;

async function render(env: Record<string, string>, from: string) {
  const config = renderSchema.parse({ FAXGATE_COVER_TIMEZONE: 'America/New_York', FAXGATE_STATION_ID: '+1 212 555 0188', ...env });
  const engine = new TextRecordingEngine();
  const settings = { ...composeSettings(config), engine };
  const prep = await prepareFax(mail(from), { faxId: 'fxpages', sender: 'www-data@web01.example.com', subject: 'Purchase order 4711', date: new Date('2026-12-06T03:30:00Z') }, settings);
  const pages = await recipientPages(prep, { number: '+12125550100' }, settings);
  return { pages, cover: engine.htmlPages.join('\n'), headers: engine.headerLines };
}

test('the cover names the From: sender with the directory\'s phone and fax, and carries the confidentiality notice', async () => {
  await withDirectory(DIRECTORY, async (path) => {
    const { pages, cover } = await render({ FAXGATE_DIRECTORY: path }, 'Alice Example <alice@example.com>');
    assert.equal(pages.length, 1, 'the cover is the only page (a short text body goes on it)');
    assert.match(cover, /Alice Example/, cover);
    assert.match(cover, /alice@example\.com/);
    assert.doesNotMatch(cover, /www-data/, 'the envelope sender of sendmail -t is not the sender');
    assert.match(cover, /Phone\s+\+12125550101/);
    assert.match(cover, /Reply fax\s+\+12125550142/, 'the user\'s first DID is their fax number');
    assert.match(cover, /CONFIDENTIALITY NOTICE: This facsimile may contain confidential/);
    // 03:30 UTC on the 6th is 22:30 on the 5th in New York.
    assert.match(cover, /5 December 2026 at 22:30/);
  });
});

test('the header line carries the station id and the time in the configured zone on every page', async () => {
  const { headers, pages } = await render({}, 'Alice Example <alice@example.com>');
  assert.equal(headers.length, 1);
  const [left, sender, when, page] = headers[0];
  assert.equal(left, 'From +1 212 555 0188');
  assert.equal(sender, 'Alice Example');
  // 03:30 UTC on the 6th is 22:30 on the 5th in New York.
  assert.equal(when, 'Sat Dec 05 22:30 2026');
  assert.equal(page, 'Page 1 of 1');

  // Those fields are what is on the page sent: the top rows of the fax page are, pel for pel,
  // the line drawn from them (8 pt, as the gateway draws it), and not the line of another
  // station id, so the comparison can tell them apart.
  const bitmap = pages[0].bitmap;
  const rowsOf = (fields: string[]) => toBilevel(new MuPdfEngine().renderTextLine(fields, 8, pages[0].yDpi));
  const band = rowsOf(headers[0]);
  const bytes = Math.min(band.stride, bitmap.stride);
  const same = (b: typeof band) => Array.from({ length: b.height }, (_, y) => y).every((y) => Buffer.compare(Buffer.from(b.data.subarray(y * b.stride, y * b.stride + bytes)), Buffer.from(bitmap.data.subarray(y * bitmap.stride, y * bitmap.stride + bytes))) === 0);
  assert.ok(band.data.some((b) => b !== 0), 'the header line has ink');
  assert.ok(same(band), 'the page\'s top rows are the header line drawn from these fields');
  assert.ok(!same(rowsOf(['From +1 212 555 0199', sender, when, page])), 'another station id would draw other pels');
});

test('the notice can be replaced or turned off; a sender the directory does not know gets no phone line', async () => {
  const custom = await render({ FAXGATE_COVER_NOTICE: 'Privileged and confidential: for the addressee only.' }, 'bob@example.org');
  assert.match(custom.cover, /Privileged and confidential: for the addressee only\./);
  assert.doesNotMatch(custom.cover, /CONFIDENTIALITY NOTICE/);
  assert.doesNotMatch(custom.cover, /Phone/);
  assert.match(custom.cover, /bob@example\.org/);
  const off = await render({ FAXGATE_COVER_NOTICE: 'off' }, 'bob@example.org');
  assert.doesNotMatch(off.cover, /NOTICE|confidential/i);
});

test('the sender directory file still wins over the users directory, field by field', async () => {
  await withDirectory(DIRECTORY, async (path) => {
    const json = join(path, '..', 'senders.json');
    await writeFile(json, JSON.stringify({ senders: { 'alice@example.com': { fax: '+1 212 555 0199', company: 'Example Ltd' } } }));
    const { cover } = await render({ FAXGATE_DIRECTORY: path, FAXGATE_SENDER_DIRECTORY: json }, 'Alice Example <alice@example.com>');
    assert.match(cover, /Reply fax\s+\+1 212 555 0199/);
    assert.match(cover, /Phone\s+\+12125550101/);
    assert.match(cover, /Example Ltd/);
  });
});
