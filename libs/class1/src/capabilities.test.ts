import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fastest, identityText, modulationsOf, parseNumberList, parseServiceClasses, testAnswer } from './capabilities.ts';

test('+FCLASS=? lists', () => {
  assert.deepEqual(parseServiceClasses('0,1,1.0'), { raw: ['0', '1', '1.0'], class1: true, class10: true, class2: false, class20: false, voice: false });
  const usr = parseServiceClasses('(0,1,2,2.0,8)');
  assert.ok(usr.class1 && usr.class2 && usr.class20 && usr.voice && !usr.class10);
  assert.throws(() => parseServiceClasses(''), /not a \+FCLASS list/);
  assert.throws(() => parseServiceClasses('ERROR'), /not a \+FCLASS list/);
});

test('numeric range lists expand ranges', () => {
  assert.deepEqual(parseNumberList('24,48,72,73,74,96,97,98,121,122,145,146'), [24, 48, 72, 73, 74, 96, 97, 98, 121, 122, 145, 146]);
  assert.deepEqual(parseNumberList('(3)'), [3]);
  assert.deepEqual(parseNumberList('0-3, 7'), [0, 1, 2, 3, 7]);
  assert.throws(() => parseNumberList('24,x'), /not a numeric range list item/);
  assert.throws(() => parseNumberList('5-2'), /bad range/);
});

test('<MOD> codes map to T.31 modulations; unknown codes are kept apart', () => {
  const unknown: number[] = [];
  const mods = modulationsOf([24, 48, 72, 96, 73, 74, 145, 146, 3, 200], unknown);
  assert.deepEqual(unknown, [200]);
  assert.deepEqual(mods.map((m) => `${m.standard}/${m.bitRate}${m.training ? `/${m.training}` : ''}`), [
    'V.27ter/2400', 'V.27ter/4800', 'V.29/7200', 'V.29/9600', 'V.17/7200/long', 'V.17/7200/short', 'V.17/14400/long', 'V.17/14400/short', 'V.21/300',
  ]);
  assert.equal(fastest(mods, 'V.17', 'short')?.code, 146);
  assert.equal(fastest(mods, 'V.29')?.code, 96);
});

test('answers with a +CMD: prefix or quotes are unwrapped', () => {
  assert.equal(testAnswer(['+FTM: 24,48,72,96'], 'FTM'), '24,48,72,96');
  assert.equal(identityText(['+FMI: "U.S. Robotics"'], 'FMI'), 'U.S. Robotics');
  assert.equal(identityText(['www.soft-switch.org'], 'FMI'), 'www.soft-switch.org');
  assert.equal(identityText([], 'FMI'), undefined);
});
