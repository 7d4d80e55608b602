import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTriggerEvent } from './trigger-watch.ts';

test('a MODEM_READY line as hfaxd 6.0.7 relays it parses into its fields', () => {
  // Captured from faxwatch against hfaxd 6.0.7 after a HELLO to faxgetty's FIFO.
  const ev = parseTriggerEvent('025012 151 MODEM _tmp_faxgate-hylafax-LnNPBz_ttyA: Marked ready');
  assert.deepEqual(ev, { time: '025012', event: 151, kind: 'MODEM', id: '_tmp_faxgate-hylafax-LnNPBz_ttyA', text: 'Marked ready', line: '025012 151 MODEM _tmp_faxgate-hylafax-LnNPBz_ttyA: Marked ready' });
});

test('a line of another shape is not an event', () => {
  assert.equal(parseTriggerEvent('150 Opening new data connection for trigger "M*".'), undefined);
});

test('a job event carries faxq\'s summary of the job', () => {
  // Captured from a bed's trigger watch (J*) while faxq scheduled a job.
  const ev = parseTriggerEvent('025914 148 JOB 1 (dest 5550120 pri 127 com 000000001): Marked dead');
  assert.equal(ev?.kind, 'JOB');
  assert.equal(ev?.id, '1');
  assert.equal(ev?.detail, 'dest 5550120 pri 127 com 000000001');
  assert.equal(ev?.text, 'Marked dead');
});
