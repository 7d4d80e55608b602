import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const PAGES_PS = `%!PS
/Helvetica findfont 40 scalefont setfont
72 720 moveto (faxgate HylaFAX test, page 1) show
72 640 moveto (to modem B over IAX2) show
8 setlinewidth 72 200 moveto 520 560 lineto stroke
showpage
/Helvetica findfont 40 scalefont setfont
72 720 moveto (page 2 of 2) show
newpath 300 400 150 0 360 arc 6 setlinewidth stroke
showpage
`;

/**
 * A 2-page TIFF Class F made by Ghostscript's own G4 encoder (fine resolution, A4), so the
 * document under test comes from an independent implementation. Returns its path.
 */
export async function makeTwoPageFax(dir: string): Promise<string> {
  const ps = join(dir, 'pages.ps');
  await writeFile(ps, PAGES_PS);
  const tif = join(dir, 'sent.tif');
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-sDEVICE=tiffg4', '-r204x196', '-sPAPERSIZE=a4', `-sOutputFile=${tif}`, ps]);
  return tif;
}

/**
 * The first page of makeTwoPageFax's document at standard resolution (204 × 98 dpi, T.4 §2.3
 * 3.85 lines/mm), also by Ghostscript. Returns its path.
 */
export async function makeStandardPage(dir: string): Promise<string> {
  const ps = join(dir, 'pages.ps');
  await writeFile(ps, PAGES_PS);
  const tif = join(dir, 'standard.tif');
  await run('gs', ['-q', '-dNOPAUSE', '-dBATCH', '-dSAFER', '-dLastPage=1', '-sDEVICE=tiffg4', '-r204x98', '-sPAPERSIZE=a4', `-sOutputFile=${tif}`, ps]);
  return tif;
}
