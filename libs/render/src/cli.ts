import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FaxPage } from '@faxgate/fax-image';
import type { ComposeSettings } from './compose-fax.ts';
import { DEFAULT_TAGLINE } from './tagline.ts';
import type { PaperSize, VerticalResolution } from './page-geometry.ts';

const USAGE = `usage: faxgate render <file-or-.eml>... -o out.tif [options]

  Renders mails (.eml) and documents (PDF, images, TIFF, text, HTML, Office when enabled)
  into one fax TIFF (Class F, G4), exactly as the gateway would: the preview before faxing.

  -o, --output <file>        the TIFF to write (required)
      --png <dir>            also write each page as page-NNN.png to look at
  -r, --resolution fine|standard   vertical resolution (default fine)
      --paper a4|letter      paper size (default a4)
      --long-pages scale|split     pages longer than the paper (default scale)
      --to <number>          recipient number on the cover of a mail (default from the To: address)
      --no-cover             no cover page for mails
      --tagline <format>     header line format, or off (default: ${DEFAULT_TAGLINE})
      --office               convert Office documents with LibreOffice
`;

/** `faxgate render`: mails and documents to a fax TIFF and PNG previews. Returns the exit code. */
export async function renderCli(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        png: { type: 'string' },
        resolution: { type: 'string', short: 'r', default: 'fine' },
        paper: { type: 'string', default: 'a4' },
        'long-pages': { type: 'string', default: 'scale' },
        to: { type: 'string' },
        'no-cover': { type: 'boolean', default: false },
        tagline: { type: 'string', default: DEFAULT_TAGLINE },
        office: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`faxgate render: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const v = args.values;
  if (v.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const bad = (what: string) => {
    process.stderr.write(`faxgate render: ${what}\n${USAGE}`);
    return 2;
  };
  if (args.positionals.length === 0) return bad('no input files');
  if (!v.output) return bad('-o <out.tif> is required');
  if (v.resolution !== 'fine' && v.resolution !== 'standard') return bad(`--resolution must be fine or standard, not ${v.resolution}`);
  if (v.paper !== 'a4' && v.paper !== 'letter') return bad(`--paper must be a4 or letter, not ${v.paper}`);
  if (v['long-pages'] !== 'scale' && v['long-pages'] !== 'split') return bad('--long-pages must be scale or split');

  // The renderers (MuPDF, sharp, mailparser) load only once the arguments are good: --help stays quick.
  const [{ writeTiff }, { contentTypeOf }, { prepareFax, recipientPages }, { renderDocuments }, { RenderSandbox }, { pageToPng }] = await Promise.all([
    import('@faxgate/fax-image'), import('./document-types.ts'), import('./compose-fax.ts'), import('./render-fax.ts'), import('./render-sandbox.ts'), import('./png-preview.ts'),
  ]);
  const sandbox = new RenderSandbox({ timeoutMs: 120_000, memoryMb: 2048 });
  const settings: ComposeSettings = {
    resolution: v.resolution as VerticalResolution,
    paper: v.paper as PaperSize,
    longPages: v['long-pages'] as 'scale' | 'split',
    office: v.office,
    sandbox,
    preferHtml: true,
    cover: !v['no-cover'],
    coverKeyword: 'cover',
    tagline: v.tagline,
    stationId: '',
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
  try {
    const pages: FaxPage[] = [];
    for (const file of args.positionals) {
      const data = new Uint8Array(await readFile(file));
      const name = basename(file);
      if (name.toLowerCase().endsWith('.eml')) {
        const prep = await prepareFax(data, { faxId: 'preview', sender: 'preview@localhost', date: new Date() }, settings);
        const to = prep.content.parsed.to;
        const first = (Array.isArray(to) ? to[0] : to)?.value[0];
        const number = v.to ?? first?.address?.split('@')[0] ?? 'preview';
        // The envelope sender is the From: address here; the gateway uses MAIL FROM.
        const from = prep.content.parsed.from?.value[0]?.address;
        if (from) prep.envelope.sender = from;
        pages.push(...(await recipientPages(prep, { name: first?.name || undefined, number }, settings)));
        for (const n of prep.notices) process.stderr.write(`faxgate render: ${name}: ${n}\n`);
      } else {
        const type = contentTypeOf(undefined, name);
        const doc = await renderDocuments({ parts: [{ kind: 'document', label: name, mimeType: type, data }] } as never, settings);
        pages.push(...doc.pages);
        for (const n of doc.notices) process.stderr.write(`faxgate render: ${n}\n`);
      }
    }
    if (pages.length === 0) {
      process.stderr.write('faxgate render: nothing to fax\n');
      return 1;
    }
    await mkdir(dirname(v.output), { recursive: true });
    await writeFile(v.output, writeTiff(pages, { compression: 'mmr' }));
    if (v.png) {
      await mkdir(v.png, { recursive: true });
      for (const [i, p] of pages.entries()) await writeFile(join(v.png, `page-${String(i + 1).padStart(3, '0')}.png`), await pageToPng(p));
    }
    process.stdout.write(`${v.output}: ${pages.length} page(s), ${pages.map((p) => `${p.bitmap.width}x${p.bitmap.height}@${p.xDpi}x${p.yDpi}`).join(' ')}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`faxgate render: ${(err as Error).message}\n`);
    return 1;
  } finally {
    await sandbox.close();
  }
}
