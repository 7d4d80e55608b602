import { test } from 'node:test';
import assert from 'node:assert/strict';
import { finalResult, unsolicited } from './result-codes.ts';

test('final result codes, verbose form', () => {
  for (const [line, want] of [
    ['OK', 'OK'], ['CONNECT', 'CONNECT'], ['CONNECT 9600', 'CONNECT'], ['ERROR', 'ERROR'], ['NO CARRIER', 'NO CARRIER'],
    ['BUSY', 'BUSY'], ['NO DIALTONE', 'NO DIALTONE'], ['NO DIAL TONE', 'NO DIALTONE'], ['NO ANSWER', 'NO ANSWER'],
    ['+FCERROR', '+FCERROR'], [' ok ', 'OK'],
  ] as const) assert.equal(finalResult(line), want, line);
  for (const line of ['0,1,1.0', 'CONNECTED', 'spandsp', 'RING', '+FRH:3', 'OKAY']) assert.equal(finalResult(line), undefined, line);
});

test('RING and caller ID lines are unsolicited, with their fields', () => {
  assert.deepEqual(unsolicited('RING'), { kind: 'ring', line: 'RING' });
  assert.deepEqual(unsolicited('NMBR = 5550110'), { kind: 'caller-id', field: 'NMBR', value: '5550110', line: 'NMBR = 5550110' });
  assert.deepEqual(unsolicited('NAME=Modem A'), { kind: 'caller-id', field: 'NAME', value: 'Modem A', line: 'NAME=Modem A' });
  assert.equal(unsolicited('NDID = 5550120')?.kind, 'caller-id');
  // As iaxmodem sends them before RING.
  for (const line of ['DATE=1206', 'TIME=0350', 'ANID=<NONE>', 'USER=faxgateA', 'PASS=<NONE>', 'CDID=<NONE>']) assert.equal(unsolicited(line)?.kind, 'caller-id', line);
  assert.equal(unsolicited('OK'), undefined);
  assert.equal(unsolicited('RINGING'), undefined);
});
