// faxgate calling faxgate over UDPTL on 127.0.0.1, for what spandsp 0.0.6 cannot judge: its
// T.38 terminal always transfers TCF, so data rate management method 1 (local TCF) is tried
// here between two faxgate terminals. libtiff still judges the pages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bothExit, comparePages, faxgate, makeTiff, tempDir } from './fax-peers.ts';

let dir = '';
let cleanup = () => {};
let doc = '';

before(() => {
  ({ dir, cleanup } = tempDir());
  doc = makeTiff(dir, 'std2', 2, 98);
});
after(() => cleanup());

test('method 1: no TCF on the wire, the receiver stands in for it; MH pages intact', { timeout: 150_000 }, async () => {
  const out = join(dir, 'rx.tif');
  const rx = faxgate(['receive', '--listen', '0', '--peer', '127.0.0.1:0', '-o', out, '--ecm', 'off', '--rate-method', '1', '--encodings', 'mh', '--verbose']);
  try {
    const port = (await rx.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1];
    const tx = faxgate(['send', `127.0.0.1:${port}`, doc, '--ecm', 'off', '--rate-method', '1', '--encodings', 'mh', '--id', '+1 555 0100']);
    const [txCode, rxCode] = await bothExit(tx, rx);
    const log = tx.stdout() + tx.stderr() + rx.stdout() + rx.stderr();
    assert.equal(txCode, 0, log);
    assert.equal(rxCode, 0, log);
    assert.match(rx.stderr(), /TCF: \d+ octets, longest zero run \d+, need 1800: CFR/);
    assert.match(rx.stdout(), /remote station: "\+1 555 0100"/);
    assert.match(tx.stdout(), /page 2: MH standard A4/);
    assert.equal(comparePages(dir, doc, out), null);
  } finally {
    rx.kill();
  }
});
