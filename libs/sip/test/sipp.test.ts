// faxgate's SIP user agent against SIPp, an independent SIP implementation, on 127.0.0.1:
// signalling only (the fax itself through a SIP call is proven with spandsp in services/node).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir, type TempDir } from '@faxgate/testkit';
import { endpoint, sipp } from './sipp.ts';

let dir: TempDir;
before(async () => {
  dir = await tempDir('faxgate-sipp');
});
after(async () => {
  if (!process.env.KEEP) await dir.remove();
  else console.log(dir.path);
});

const media = { address: '127.0.0.1', audioPort: 40000, imagePort: 40002 };

test('far end stays on audio: faxgate re-INVITEs to T.38, learns the UDPTL port from the answer, hangs up with BYE', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: 45678 } });
  const { ep, waitEvent } = await endpoint({ t38WaitMs: 300 });
  try {
    const { callId } = ep.do((ua) => ua.invite(`sip:+12125550100@127.0.0.1:${far.port}`, media));
    await waitEvent('answered', () => true, 20_000, far);
    const t38 = await waitEvent('t38', () => true, 20_000, far);
    assert.deepEqual(t38.remote, { host: '127.0.0.1', port: 45678 });
    assert.equal(t38.params.rateManagement, 'transferredTCF');
    ep.do((ua) => ua.hangup(callId));
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    await ep.close();
  }
});
