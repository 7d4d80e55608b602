// A trunk with every channel busy: node B (FAXGATE_SIP_MAX_CALLS reached) answers node A's
// INVITE with 486 Busy Here; A reports the attempt as busy (retried by dispatch), and both
// count the call under 486 for faxgate_sip_calls_total (A the far end's code, B its own).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sipDriver, useSipBench } from './sip-bench.ts';

const bench = useSipBench('faxgate-sip-busy');

test('every channel busy: 486 Busy Here, the attempt is busy, both ends count the call under 486', { timeout: 60_000 }, async () => {
  const finalsA: string[] = [], finalsB: string[] = [];
  const b = sipDriver({ maxCalls: 0, onFinalResponse: (direction, code) => finalsB.push(`${direction} ${code}`) });
  const stopB = await b.listen(async () => 'unused');
  const a = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${b.port}`, onFinalResponse: (direction, code) => finalsA.push(`${direction} ${code}`) });
  try {
    const outcome = await a.send({ callId: 'busy-1', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'a/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'busy', JSON.stringify(outcome));
    assert.match(outcome.reason ?? '', /486/);
    assert.deepEqual(finalsA, ['outgoing 486']);
    assert.deepEqual(finalsB, ['incoming 486']);
    assert.equal(a.sipCallStates().size, 0, 'no SIP state left for an ended call');
  } finally {
    await a.stop();
    await stopB();
  }
});
