// The recipient's company on the cover: `X-Fax-To-Company` (what the REST API's `to_company`
// becomes) wins over the sender directory's entry for the number. Checked on the text MuPDF
// lays out for the cover, before rasterising.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as mupdf from 'mupdf';
import { FAX_WIDTH_PT, MuPdfEngine, prepareFax, recipientPages, type GrayPage, type RenderEngine, type EngineOptions } from '@faxgate/render';
import { renderSchema } from '../src/config.ts';
import { composeSettings } from '../src/compose-settings.ts';

/** The real engine, keeping the text of every HTML page it lays out (the cover). */
class CoverTextEngine implements RenderEngine {
  readonly inner = new MuPdfEngine();
  readonly text: string[] = [];
  renderDocument(data: Uint8Array, mimeType: string, yDpi: number, opts?: EngineOptions): GrayPage[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts: EngineOptions | undefined, convert: (page: GrayPage) => T): T[];
  renderDocument<T>(data: Uint8Array, mimeType: string, yDpi: number, opts?: EngineOptions, convert?: (page: GrayPage) => T): Array<T | GrayPage> {
    if (mimeType === 'text/html') {
      const doc = mupdf.Document.openDocument(data, mimeType);
      try {
        doc.layout(FAX_WIDTH_PT, opts?.pageHeightPt ?? 792, 11);
        for (let i = 0; i < doc.countPages(); i++) this.text.push(doc.loadPage(i).toStructuredText('preserve-whitespace').asText());
      } finally {
        doc.destroy();
      }
    }
    return convert ? this.inner.renderDocument(data, mimeType, yDpi, opts, convert) : this.inner.renderDocument(data, mimeType, yDpi, opts);
  }
  renderTextLine(fields: string[], sizePt: number, yDpi: number): GrayPage {
    return this.inner.renderTextLine(fields, sizePt, yDpi);
  }
}

async function coverText(extraHeaders: string[]): Promise<string> {
  const raw = new TextEncoder().encode(
    ['From: api <api@fax.test>', 'To: "Dr. Smith" <12125550100@fax.test>', ...extraHeaders, 'Subject: Lab results', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Two pages follow.', ''].join('\r\n'),
  );
  const engine = new CoverTextEngine();
  const settings = { ...composeSettings(renderSchema.parse({ FAXGATE_STATION_ID: '+1 212 555 0188' })), engine };
  const prep = await prepareFax(raw, { faxId: 'fxcompany', sender: 'api@fax.test', subject: 'Lab results', date: new Date('2026-12-06T05:00:00Z') }, settings);
  await recipientPages(prep, { number: '+12125550100', name: 'Dr. Smith' }, settings);
  return engine.text.join('\n');
}

test('X-Fax-To-Company puts the recipient\'s company on the cover; without it there is none', async () => {
  const withCompany = await coverText(['X-Fax-To-Company: Smith Clinic']);
  assert.match(withCompany, /Dr\. Smith/);
  assert.match(withCompany, /Smith Clinic/, withCompany);
  const without = await coverText([]);
  assert.match(without, /Dr\. Smith/);
  assert.doesNotMatch(without, /Smith Clinic/);
});
