// efax's efix (an independent T.4 implementation, the one our efax peers run) reads our MH
// TIFF-F, and our reader reads the TIFF-F it writes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { firstDifference, readTiff, writeTiff, type Bitmap } from '../src/index.ts';
import { adversarialRasters, textPage } from '@faxgate/testkit';
import { readPbmPages, Scratch } from './judges.ts';

const scratch = new Scratch();
after(() => scratch.dispose());

function efix(args: string[], input: string, output: string): void {
  execFileSync('sh', ['-c', `efix ${args.join(' ')} "$1" > "$2"`, 'efix', input, output], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function pbm(b: Bitmap): Uint8Array {
  const header = new TextEncoder().encode(`P4\n${b.width} ${b.height}\n`);
  const out = new Uint8Array(header.length + b.data.length);
  out.set(header);
  out.set(b.data, header.length);
  return out;
}

describe('efax efix', () => {
  const pages = [textPage(1728, 800, 51), adversarialRasters(1728, 40).edges, textPage(1728, 300, 52)];
  it('decodes our MH TIFF-F to our pixels', () => {
    const tif = scratch.write('ours.tif', writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mh' }));
    const out = scratch.path('efix.pbm');
    efix(['-o', 'pbm'], tif, out);
    const theirs = readPbmPages(readFileSync(out));
    assert.equal(theirs.length, pages.length);
    theirs.forEach((b, i) => assert.equal(firstDifference(b, pages[i]), null, `page ${i}`));
  });
  it('writes TIFF-F that our reader decodes to the same pixels', () => {
    const input = scratch.write('in.pbm', pbm(pages[0]));
    const out = scratch.path('efix.tif');
    efix(['-i', 'pbm', '-o', 'tiffg3'], input, out);
    const got = readTiff(readFileSync(out));
    assert.equal(got[0].compression, 'mh');
    assert.equal(firstDifference(got[0].decode(), pages[0]), null);
  });
});
