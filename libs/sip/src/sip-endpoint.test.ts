import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SIP_UDP_RECEIVE_BUFFER, SipEndpoint } from './sip-endpoint.ts';

test('the UDP socket asks for a 4 MiB receive queue; the kernel grants it up to net.core.rmem_max', async () => {
  const ep = new SipEndpoint({ bindHost: '127.0.0.1', bindPort: 0, user: 'fax', domain: '127.0.0.1' });
  assert.equal(ep.udpReceiveBuffer, undefined, 'nothing before start');
  await ep.start();
  try {
    const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));
    // socket(7): Linux doubles the value set, for its bookkeeping, and reports the doubled value.
    assert.equal(ep.udpReceiveBuffer, 2 * Math.min(SIP_UDP_RECEIVE_BUFFER, rmemMax), `rmem_max ${rmemMax}`);
  } finally {
    await ep.close();
  }
});
