import { existsSync, readFileSync } from 'node:fs';
import * as mupdf from 'mupdf';

/**
 * MuPDF's WebAssembly build carries only the base-14 style fonts (Latin, Greek, Cyrillic). For
 * other scripts it asks the host through `installLoadFontFunction`; we answer from fonts
 * installed by apt (fonts-noto-cjk, fonts-dejavu-core), so CJK, Hebrew and Arabic text renders.
 */
const FONT_DIRS = ['/usr/share/fonts/opentype/noto', '/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/noto', '/usr/share/fonts/opentype/noto-cjk'];

/** Subfont index per MuPDF script name in NotoSansCJK-*.ttc (JP, KR, SC, TC, HK order). */
const CJK_INDEX: Record<string, number> = { JP: 0, KR: 1, SC: 2, TC: 3, HK: 4 };

interface FontFile {
  file: string;
  subfont: number;
}

function find(name: string): string | undefined {
  for (const dir of FONT_DIRS) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Which file covers a script MuPDF asks for (its names: 'Hebrew', 'Arabic', 'JP', 'SC', 'TC', 'KR', ...). */
export function fontFileFor(script: string, bold: boolean): FontFile | undefined {
  if (script in CJK_INDEX) {
    const file = find(bold ? 'NotoSansCJK-Bold.ttc' : 'NotoSansCJK-Regular.ttc') ?? find('NotoSansCJK-Regular.ttc');
    return file ? { file, subfont: CJK_INDEX[script] } : undefined;
  }
  // DejaVu Sans covers Hebrew, Arabic, Armenian, Georgian and the rest of the European scripts.
  const file = find(bold ? 'DejaVuSans-Bold.ttf' : 'DejaVuSans.ttf') ?? find('DejaVuSans.ttf');
  return file ? { file, subfont: 0 } : undefined;
}

function monoFile(bold: boolean): FontFile | undefined {
  const file = find(bold ? 'DejaVuSansMono-Bold.ttf' : 'DejaVuSansMono.ttf') ?? find('DejaVuSansMono.ttf');
  return file ? { file, subfont: 0 } : undefined;
}

const cache = new Map<string, mupdf.Font | null>();
let installed = false;

/** Makes MuPDF load fallback fonts from disk; idempotent, once per process or worker. */
export function installFonts(): void {
  if (installed) return;
  installed = true;
  mupdf.installLoadFontFunction((name, script, bold, _italic) => {
    // MuPDF's own Courier is too thin to survive a fax threshold: monospace is DejaVu Sans Mono.
    // Other named families (serif, sans-serif) stay MuPDF's; per-script fallbacks come here.
    const mono = name === 'monospace' && (!script || script === 'undefined');
    if (!mono && (!script || script === 'undefined')) return null;
    const key = `${mono ? 'mono' : script}/${bold ? 'b' : 'r'}`;
    if (cache.has(key)) return cache.get(key)!;
    const f = mono ? monoFile(!!bold) : fontFileFor(script, !!bold);
    let font: mupdf.Font | null = null;
    if (f) {
      try {
        font = new mupdf.Font(`${script}`, readFileSync(f.file), f.subfont);
      } catch {
        font = null;
      }
    }
    cache.set(key, font);
    return font;
  });
}
