import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@faxgate/config';
import type { FaxPage } from '@faxgate/fax-image';
import type { RenderConfig } from './config.ts';

const USAGE = `usage: faxgate render <file-or-.eml>... -o out.tif [options]

  Renders mails (.eml) and documents (PDF, images, TIFF, text, HTML, Office when enabled)
  into one fax TIFF (Class F, G4), exactly as the gateway would: the preview before faxing.
  It reads the render role's FAXGATE_* variables (paper by country, resolution, Office
  conversion, cover, notice, directory, header line, station id, time zone); the options
  below override them for this preview.

  -o, --output <file>        the TIFF to write (required)
      --png <dir>            also write each page as page-NNN.png to look at
  -r, --resolution fine|standard   vertical resolution (FAXGATE_RESOLUTION)
      --paper auto|a4|letter paper size; auto picks it by the sender's country (FAXGATE_PAPER)
      --long-pages scale|split     pages longer than the paper (FAXGATE_LONG_PAGES)
      --photo-dither halftone|diffusion  how photos become black and white (FAXGATE_RENDER_PHOTO_DITHER)
      --to <number>          recipient number on the cover of a mail (default from the To: address)
      --from <address>       envelope sender of a mail (default its From: address)
      --no-cover             no cover page for mails (FAXGATE_COVER_PAGE=false)
      --cover-template <file.html>  the cover of this preview, checked as faxgate config set
                             checks a template (to try one before storing it)
      --tagline <format>     header line format, or off (FAXGATE_TAGLINE)
      --office / --no-office convert Office documents with LibreOffice, or not (FAXGATE_RENDER_OFFICE)
`;

/**
 * `faxgate render`: mails and documents to a fax TIFF and PNG previews, with the render role's
 * own configuration and settings (`composeSettings`), so what it shows is what the gateway
 * sends. Returns the exit code.
 */
export async function renderCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        png: { type: 'string' },
        resolution: { type: 'string', short: 'r' },
        paper: { type: 'string' },
        'long-pages': { type: 'string' },
        'photo-dither': { type: 'string' },
        to: { type: 'string' },
        from: { type: 'string' },
        'no-cover': { type: 'boolean', default: false },
        'cover-template': { type: 'string' },
        tagline: { type: 'string' },
        office: { type: 'boolean' },
        'no-office': { type: 'boolean' },
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
  // The options are the role's variables for this run, validated by the same schema.
  const overrides: Record<string, string | undefined> = {
    FAXGATE_RESOLUTION: v.resolution,
    FAXGATE_PAPER: v.paper,
    FAXGATE_LONG_PAGES: v['long-pages'],
    FAXGATE_RENDER_PHOTO_DITHER: v['photo-dither'],
    FAXGATE_TAGLINE: v.tagline,
    FAXGATE_COVER_PAGE: v['no-cover'] ? 'false' : undefined,
    FAXGATE_RENDER_OFFICE: v.office ? 'true' : v['no-office'] ? 'false' : undefined,
  };
  if (v['cover-template'] !== undefined) {
    // The only template of this preview: no directory, stored as `default` so every mail gets it.
    let html: string;
    try {
      html = await readFile(v['cover-template'], 'utf8');
    } catch (err) {
      return bad(`--cover-template: ${(err as Error).message}`);
    }
    overrides.FAXGATE_COVER_TEMPLATES = JSON.stringify({ default: html });
    overrides.FAXGATE_COVER_TEMPLATE_DIR = '';
  }
  // The schema's defaults come from the render lib: it loads only now, after --help and usage.
  const { renderSchema } = await import('./config.ts');
  let config: RenderConfig;
  try {
    config = loadConfig('render', renderSchema, { ...env, ...Object.fromEntries(Object.entries(overrides).filter(([, x]) => x !== undefined)) });
  } catch (err) {
    if (err instanceof ConfigError) return bad(err.problems.join('; '));
    throw err;
  }

  // The sandbox process loads MuPDF while this one loads the renderer's modules: started
  // first, the first page waits for the slower of the two, not for both in turn (issue 18).
  const { RenderSandbox } = await import('@faxgate/render/sandbox');
  const sandbox = new RenderSandbox({ timeoutMs: config.FAXGATE_RENDER_TIMEOUT, memoryMb: config.FAXGATE_RENDER_MEMORY_MB });
  sandbox.warm();
  // Mails need the whole renderer (mail parser, covers, directory); documents alone do not.
  const mails = args.positionals.some((f) => f.toLowerCase().endsWith('.eml'));
  const [{ writeTiff }, { contentTypeOf, renderDocuments }, mail, { composeSettings }] = await Promise.all([
    import('@faxgate/fax-image'), import('@faxgate/render/documents'), mails ? import('@faxgate/render') : undefined, import('./compose-settings.ts'),
  ]);
  const settings = composeSettings(config, sandbox, { warn: (_f, msg) => process.stderr.write(`faxgate render: ${msg}\n`) });
  try {
    const pages: FaxPage[] = [];
    for (const file of args.positionals) {
      const data = new Uint8Array(await readFile(file));
      const name = basename(file);
      if (name.toLowerCase().endsWith('.eml')) {
        // The gateway's envelope sender is MAIL FROM; a preview has none, so the From: address
        // stands in unless --from gives one (the cover shows From: either way).
        const { parseMail, prepareFax, recipientPages } = mail!;
        const parsed = await parseMail(data);
        const sender = v.from ?? parsed.from?.value.find((a) => a.address)?.address ?? 'preview@localhost';
        const prep = await prepareFax(data, { faxId: 'preview', sender, subject: parsed.subject, date: new Date() }, settings);
        const to = prep.content.parsed.to;
        const first = (Array.isArray(to) ? to[0] : to)?.value[0];
        const number = v.to ?? first?.address?.split('@')[0] ?? 'preview';
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
      const { pageToPng } = await import('@faxgate/render');
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
