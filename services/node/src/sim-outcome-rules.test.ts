import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSimRules, simOutcomeFor } from './sim-outcome-rules.ts';

test('rules pick outcomes by number pattern, for the first N calls', () => {
  const rules = parseSimRules('+1212555010*=busy:1; /^\\+44/=no-carrier@2; +19999*=rejected');
  assert.deepEqual(simOutcomeFor(rules, '+12125550101', 1), { result: 'busy', afterPages: 0 });
  assert.deepEqual(simOutcomeFor(rules, '+12125550101', 2), { result: 'success', afterPages: 0 });
  assert.deepEqual(simOutcomeFor(rules, '+442079460018', 7), { result: 'no-carrier', afterPages: 2 });
  assert.equal(simOutcomeFor(rules, '+13125550100', 1).result, 'success');
});

test('a rule that cannot be read is refused with its text', () => {
  assert.throws(() => parseSimRules('+1*=explode'), /cannot read "\+1\*=explode"/);
});
