// G.711 judged by spandsp's own tables: every code decodes and every 16-bit sample encodes
// exactly as spandsp's ulaw/alaw functions do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@faxgate/testkit';
import { g711Decode1, g711Encode1, type G711Law } from '../src/g711.ts';
import { buildV21Peer, runPeer } from './v21-peer.ts';

test('G.711 µ-law and A-law equal spandsp for every code and every 16-bit sample', async () => {
  const peer = buildV21Peer();
  const dir = await tempDir('modem-g711');
  try {
    const file = join(dir.path, 'tables.bin');
    await runPeer(peer, ['g711', file]);
    const b = await readFile(file);
    assert.equal(b.length, 1024 + 2 * 65536);
    const laws: G711Law[] = ['ulaw', 'alaw'];
    laws.forEach((law, k) => {
      const mismatches: string[] = [];
      for (let c = 0; c < 256; c++) {
        const theirs = b.readInt16LE(k * 512 + 2 * c);
        if (g711Decode1(law, c) !== theirs) mismatches.push(`decode ${c}: ${g711Decode1(law, c)} ≠ ${theirs}`);
      }
      for (let i = 0; i < 65536; i++) {
        const theirs = b[1024 + k * 65536 + i];
        const s = (i << 16) >> 16;
        if (g711Encode1(law, s) !== theirs) mismatches.push(`encode ${s}: ${g711Encode1(law, s)} ≠ ${theirs}`);
      }
      assert.deepEqual(mismatches.slice(0, 10), [], `${law}: ${mismatches.length} mismatches`);
    });
  } finally {
    await dir.remove();
  }
});
