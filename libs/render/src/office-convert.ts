import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let found: Promise<string | null> | undefined;

/** The LibreOffice binary on PATH (soffice or libreoffice), or null when not installed. */
export function findSoffice(): Promise<string | null> {
  found ??= (async () => {
    for (const name of ['soffice', 'libreoffice']) {
      for (const dir of (process.env.PATH ?? '').split(':')) {
        try {
          await access(join(dir, name), constants.X_OK);
          return join(dir, name);
        } catch {
          // not in this directory
        }
      }
    }
    return null;
  })();
  return found;
}

/**
 * Converts an Office document to PDF with LibreOffice headless, in a private profile and
 * directory so conversions do not share state; killed after `timeoutMs`.
 */
export async function officeToPdf(data: Uint8Array, filename: string, timeoutMs: number): Promise<Uint8Array> {
  const soffice = await findSoffice();
  if (!soffice) throw new Error('LibreOffice is not installed on the gateway');
  const dir = await mkdtemp(join(tmpdir(), 'faxgate-office-'));
  try {
    const safe = filename.replace(/[^A-Za-z0-9._-]/g, '_') || 'document';
    const input = join(dir, safe);
    await writeFile(input, data);
    await new Promise<void>((resolve, reject) => {
      execFile(
        soffice,
        [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--norestore', '--convert-to', 'pdf', '--outdir', join(dir, 'out'), input],
        { timeout: timeoutMs, killSignal: 'SIGKILL' },
        (err) => (err ? reject(new Error(err.killed ? `LibreOffice took longer than ${timeoutMs / 1000} s` : `LibreOffice failed: ${err.message.split('\n')[0]}`)) : resolve()),
      );
    });
    // soffice exits 0 without output for files it cannot read.
    const out = (await readdir(join(dir, 'out')).catch(() => [] as string[])).find((f) => f.endsWith('.pdf'));
    if (!out) throw new Error('LibreOffice could not read it (damaged, or not the Office format its name says)');
    return new Uint8Array(await readFile(join(dir, 'out', out)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
