import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { SIP_UDP_RECEIVE_BUFFER, SipEndpoint } from './sip-endpoint.ts';
import { header, parseMessage, serialise, type SipMessage } from './message.ts';

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

// After the process was paused past timer E (a loaded host, a long GC), the far end's answer is
// already in the socket; Node runs the expired timer before it reads the socket in that turn, so
// the request went out again although it had been answered (seen as a retransmitted INVITE after
// SIPp's 200 at load 20, which SIPp took for a new call). The far end answers at once and the
// process is then blocked for 700 ms, past timer E's 500 ms: the request must go out once.
test('a request answered while the process was paused is not retransmitted when its timer fires late', async () => {
  const far = createSocket('udp4');
  far.bind(0, '127.0.0.1');
  await once(far, 'listening');
  const farPort = far.address().port;
  const received: string[] = [];
  far.on('message', (data) => received.push(parseMessage(data).kind === 'request' ? (parseMessage(data) as { method: string }).method : 'response'));
  let epPort = 0;
  const answer = (req: SipMessage): Buffer => {
    const copy = (n: string) => [n, header(req, n) ?? ''] as [string, string];
    return serialise({ kind: 'response', status: 200, reason: 'OK', headers: [copy('Via'), copy('From'), [ 'To', `${header(req, 'To')};tag=far`], copy('Call-ID'), copy('CSeq')], body: '' });
  };
  const ep = new SipEndpoint({
    bindHost: '127.0.0.1', bindPort: 0, user: 'fax', domain: '127.0.0.1',
    // The far end's 200 is queued as the request leaves, so it lands while the loop is blocked.
    trace: (dir, _peer, msg) => {
      if (dir === 'out' && typeof msg !== 'string' && msg.kind === 'request' && msg.method === 'OPTIONS') far.send(answer(msg), epPort, '127.0.0.1');
    },
  });
  await ep.start();
  epPort = ep.port;
  const results: unknown[] = [];
  ep.on('event', (e) => results.push(e));
  try {
    ep.do((ua) => ua.options(`sip:far@127.0.0.1:${farPort}`));
    const until = Date.now() + 700;
    while (Date.now() < until) { /* the process is paused past timer E */ }
    const deadline = Date.now() + 5_000;
    while (!results.some((e) => (e as { type?: string }).type === 'options-result') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // Timer E's next retransmission would come 1 s after the first: wait past it.
    await new Promise((r) => setTimeout(r, 1_200));
    assert.ok(results.some((e) => (e as { type?: string }).type === 'options-result'), `no options-result; events: ${JSON.stringify(results)}`);
    assert.deepEqual(received, ['OPTIONS'], `the far end received ${JSON.stringify(received)}`);
  } finally {
    await ep.close();
    far.close();
  }
});
