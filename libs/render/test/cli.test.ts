// `faxgate render` as a user runs it: the real CLI entry point in a child process.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as C from './corpus.ts';

const run = promisify(execFile);
const faxgate = resolve(import.meta.dirname, '../../../services/cli/src/main.ts');
const work = mkdtempSync(join(tmpdir(), 'faxgate-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('faxgate render: a mail and a PDF into one TIFF and PNG previews, judged by tiffinfo', async () => {
  writeFileSync(join(work, 'mail.eml'), (await C.outlookHtml()).raw);
  writeFileSync(join(work, 'doc.pdf'), C.psToPdf(C.letterPs([{ ...C.A4, title: 'Attached' }])));
  const out = join(work, 'out.tif');
  const r = await run(process.execPath, [faxgate, 'render', join(work, 'mail.eml'), join(work, 'doc.pdf'), '-o', out, '--png', join(work, 'png'), '--resolution', 'standard']);
  assert.match(r.stdout, /3 page\(s\)/);
  const info = (await run('tiffinfo', [out])).stdout;
  assert.equal(info.match(/Image Width: 1728/g)?.length, 3);
  assert.equal(info.match(/Resolution: 204, 98/g)?.length, 3);
  assert.deepEqual(readdirSync(join(work, 'png')), ['page-001.png', 'page-002.png', 'page-003.png']);
});

test('faxgate render: usage errors exit 2', async () => {
  await assert.rejects(run(process.execPath, [faxgate, 'render', 'x.pdf']), (e: { code: number; stderr: string }) => e.code === 2 && /-o <out.tif> is required/.test(e.stderr));
  await assert.rejects(run(process.execPath, [faxgate, 'render', 'x.pdf', '-o', 'y.tif', '--resolution', 'super']), (e: { code: number }) => e.code === 2);
});
