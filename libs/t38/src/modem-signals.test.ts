import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FALLBACK } from '@faxgate/t30';
import { dataTypeOf, modulationOfDataType, modulationOfTraining, trainingIndicatorOf, trainingMs } from './modem-signals.ts';
import { DATA_TYPES, INDICATORS } from './ifp.ts';

test('every fallback rate has a T.38 data type and training indicators that map back', () => {
  for (const m of FALLBACK) {
    const dt = dataTypeOf(m);
    assert.ok((DATA_TYPES as readonly string[]).includes(dt), dt);
    assert.deepEqual(modulationOfDataType(dt), m);
    for (const long of [true, false]) {
      const ind = trainingIndicatorOf(m, long);
      assert.ok((INDICATORS as readonly string[]).includes(ind), ind);
      assert.deepEqual(modulationOfTraining(ind), m);
    }
  }
  assert.equal(trainingIndicatorOf({ modem: 'v17', bps: 14400 }, true), 'v17-14400-long-training');
  assert.equal(modulationOfTraining('v21-preamble'), undefined);
  assert.equal(modulationOfDataType('v21'), undefined);
});

test('training times: V.17 long (TCF) outlasts short (pages)', () => {
  const v17 = { modem: 'v17', bps: 14400 } as const;
  assert.equal(trainingMs(v17, true), 1393);
  assert.equal(trainingMs(v17, false), 142);
  assert.equal(trainingMs({ modem: 'v29', bps: 9600 }, true), 253);
});
