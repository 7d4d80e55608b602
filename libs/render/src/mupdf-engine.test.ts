import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MuPdfEngine } from './mupdf-engine.ts';

test('pages are drawn without anti-aliasing: text and a slanted shape give black and white pels only', () => {
  const html = `<html><body style="font: 11pt serif"><h1>Quarterly statement</h1><p>${'the quick brown fox jumps over the lazy dog '.repeat(20)}</p>
    <svg width="300" height="200"><polygon points="5,5 290,60 120,190" fill="black"/><line x1="0" y1="199" x2="299" y2="0" stroke="black" stroke-width="0.25"/></svg></body></html>`;
  const [counts] = new MuPdfEngine().renderDocument(new TextEncoder().encode(html), 'text/html', 196, {}, (g) => {
    const c = { black: 0, white: 0, mid: 0 };
    for (let y = 0; y < g.height; y++) {
      for (let x = 0; x < g.width; x++) {
        const v = g.pixels[y * g.stride + x];
        if (v === 0) c.black++;
        else if (v === 255) c.white++;
        else c.mid++;
      }
    }
    return c;
  });
  assert.ok(counts.black > 20_000, `${counts.black} black pels`);
  assert.equal(counts.mid, 0, `${counts.mid} grey pels at edges`);
});
