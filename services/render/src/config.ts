import { z, bool, duration, int, optionalString, sharedFields, stationIdField, timeZone } from '@faxgate/config';
import { DEFAULT_COVER_NOTICE, DEFAULT_PHOTO_DITHER, DEFAULT_TAGLINE, PHOTO_DITHERS, coverTemplatesField } from '@faxgate/render/config';
import { directoryFields } from '@faxgate/directory/config';

export const renderSchema = z.object({
  FAXGATE_DEFAULT_COUNTRY: sharedFields.FAXGATE_DEFAULT_COUNTRY,
  FAXGATE_RESOLUTION: z.enum(['fine', 'standard']).default('fine').describe('Vertical resolution of rendered faxes: fine (196 lpi) or standard (98 lpi).'),
  FAXGATE_PAPER: z.enum(['auto', 'a4', 'letter']).default('auto').describe('Page size documents are laid out on; auto picks Letter or A4 by the sender\'s country (sender directory), else FAXGATE_DEFAULT_COUNTRY.'),
  FAXGATE_LONG_PAGES: z.enum(['scale', 'split']).default('scale').describe('Pages longer than the paper (legal, receipts, long web pages): scale them down to fit, or split them into paper-high pages.'),
  FAXGATE_RENDER_PHOTO_DITHER: z.enum(PHOTO_DITHERS).default(DEFAULT_PHOTO_DITHER).describe('How photos and grey areas become black and white (text is always thresholded): `halftone`, a 45° clustered-dot screen of 36 lines per inch as fax machines use, whose regular dots code to about a quarter of the MMR bytes and line time; or `diffusion`, Floyd–Steinberg error diffusion, finer detail but scattered dots that code poorly.'),
  FAXGATE_RENDER_PREFER: z.enum(['html', 'text']).default('html').describe('Which side of a multipart/alternative mail is faxed (never both).'),
  FAXGATE_COVER_PAGE: bool(true).describe('Put a cover page in front of every fax (a sender can still ask for none or a named one).'),
  FAXGATE_COVER_TIMEZONE: timeZone('UTC').describe('Time zone of the date on cover pages and header lines (IANA name, e.g. America/New_York).'),
  FAXGATE_COVER_TEMPLATE_DIR: optionalString().describe('Directory of cover templates: `<name>.html` (asked for by `X-Fax-Cover: <name>` or the subject keyword), `senders/<address>.html`, `domains/<domain>.html`, `default.html`. Unset: the built-in cover.'),
  FAXGATE_COVER_TEMPLATES: coverTemplatesField().describe('Cover templates by name as JSON (`{"urgent": "<html>…"}`; names as in FAXGATE_COVER_TEMPLATE_DIR without `.html`: `<name>`, `senders/<address>`, `domains/<domain>`, `default`); each wins over the file of the same name. Usually set with `faxgate config set FAXGATE_COVER_TEMPLATES.<name> --file <name>.html`. At most 64 KiB each, 512 KiB together; no external references (scripts, links, non-data: URLs).'),
  FAXGATE_COVER_KEYWORD: z.string().regex(/^[A-Za-z0-9_-]*$/).default('cover').describe('Subject keyword to choose or skip the cover: `cover:none` or `cover:<name>` in the subject (empty turns the keyword off).'),
  FAXGATE_SENDER_DIRECTORY: optionalString().describe('JSON file with sender details for cover pages (name, company, address, phone, fax by mail address or @domain) and recipient names and companies by number.'),
  FAXGATE_TAGLINE: z.string().default(DEFAULT_TAGLINE).describe('Header line on every page, HylaFAX TagLineFormat style (`%%n` sender fax, `%%s` sender, `%%P`/`%%T` page and pages, strftime `%` codes, `|` between fields); `off` for none.'),
  FAXGATE_STATION_ID: stationIdField.FAXGATE_STATION_ID,
  FAXGATE_COVER_NOTICE: z.string().max(1000).default(DEFAULT_COVER_NOTICE).describe('Confidentiality notice at the foot of the built-in cover (`{{notice}}` in cover templates); `off` for none.'),
  FAXGATE_DIRECTORY: directoryFields.FAXGATE_DIRECTORY,
  FAXGATE_RENDER_MAX_PAGES: int(200, 1, 10_000).describe('Most pages one fax may have; a document that would pass it is replaced by a notice page.'),
  FAXGATE_RENDER_MAX_PIXELS: int(100_000_000, 1_000_000, 2_000_000_000).describe('Most pixels of one image before it is decoded (decompression bombs).'),
  FAXGATE_RENDER_TIMEOUT: duration('60s').describe('Time one document may take to render before it is given up with a notice page.'),
  FAXGATE_RENDER_MEMORY_MB: int(1536, 128, 65_536).describe('Memory (resident MB) the isolated renderer may use for one document before it is killed.'),
  FAXGATE_RENDER_OFFICE: bool(false).describe('Convert Office documents (DOCX, XLSX, PPTX, ODT, RTF) with LibreOffice headless (soffice must be installed).'),
  FAXGATE_RENDER_CONCURRENCY: int(1, 1, 64).describe('Messages one render process works on at once (rendering is CPU-bound: about one per core).'),
});
export type RenderConfig = z.output<typeof renderSchema>;
