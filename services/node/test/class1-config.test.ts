import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@faxgate/testkit';
import { expandDevices, parseCodings } from '../src/class1-config.ts';

// FAXGATE_MODEM_DEVICES (issue 12): one line per modem device, globs allowed. Real files stand in
// for the devices: the glob is expanded by the file system, as on a host with USB modems.

test('FAXGATE_MODEM_DEVICES: globs expand to the devices present, sorted; plain paths stay even when absent; no device twice', async () => {
  const dir = await tempDir('faxgate-class1-devices');
  try {
    await mkdir(join(dir.path, 'dev'));
    for (const name of ['ttyACM1', 'ttyACM0', 'ttyACM10', 'ttyUSB0', 'ttyS0']) await writeFile(join(dir.path, 'dev', name), '');
    const d = (name: string) => join(dir.path, 'dev', name);
    assert.deepEqual(expandDevices([d('ttyACM*'), d('ttyUSB0'), d('ttyACM1'), d('ttyUSB9')]), [
      d('ttyACM0'), d('ttyACM1'), d('ttyACM10'), d('ttyUSB0'), d('ttyUSB9'),
    ]);
    // A glob that matches nothing adds no line (the driver then refuses an empty pool).
    assert.deepEqual(expandDevices([d('ttyXRUSB*')]), []);
  } finally {
    await dir.remove();
  }
});

test('FAXGATE_MODEM_CODINGS: the codings listed, in MH, MR, MMR order; MH cannot be left out; unknown names are refused', () => {
  assert.deepEqual(parseCodings(['mmr', 'mh']), ['mh', 'mmr']);
  assert.deepEqual(parseCodings(['mh']), ['mh']);
  assert.deepEqual(parseCodings(['mh', 'mr', 'mmr']), ['mh', 'mr', 'mmr']);
  assert.throws(() => parseCodings(['mr', 'mmr']), /must include mh/);
  assert.throws(() => parseCodings(['mh', 'jbig']), /FAXGATE_MODEM_CODINGS: jbig: use mh, mr, mmr/);
});
