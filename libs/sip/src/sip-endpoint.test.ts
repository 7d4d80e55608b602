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

// Issue 13: 50 audio calls starting or ending together land 50 INVITEs (200s, ACKs, BYEs) in one
// poll phase, and each starts or ends a call (its T.30 engine, modems, RTP line): turns of 35-70
// ms in bench/sip-audio-loop. Here 40 OPTIONS arrive while the loop is blocked, and handling each
// costs 1 ms (in the trace hook): no turn of the loop may handle more than a few of them, and
// every one is answered.
test('a burst of datagrams is handled a few ms per turn of the event loop, every one answered', { timeout: 60_000 }, async () => {
  const BURST = 40;
  const far = createSocket('udp4');
  far.bind(0, '127.0.0.1');
  await once(far, 'listening');
  const answers: number[] = [];
  far.on('message', (data) => {
    const m = parseMessage(data);
    if (m.kind === 'response') answers.push(m.status);
  });
  /** Requests handled in each turn of the loop. */
  const perTurn = new Map<number, number>();
  const turns = { turn: 0, running: true };
  const tick = () => {
    if (!turns.running) return;
    turns.turn++;
    setImmediate(tick);
  };
  const ep = new SipEndpoint({
    bindHost: '127.0.0.1', bindPort: 0, user: 'fax', domain: '127.0.0.1',
    trace: (dir, _peer, msg) => {
      if (dir !== 'in' || typeof msg === 'string' || msg.kind !== 'request') return;
      perTurn.set(turns.turn, (perTurn.get(turns.turn) ?? 0) + 1);
      const end = performance.now() + 1;
      while (performance.now() < end);
    },
  });
  await ep.start();
  try {
    const farPort = far.address().port;
    for (let i = 0; i < BURST; i++) {
      const options = [
        'OPTIONS sip:fax@127.0.0.1 SIP/2.0',
        `Via: SIP/2.0/UDP 127.0.0.1:${farPort};branch=z9hG4bK-burst-${i}`,
        'From: <sip:far@127.0.0.1>;tag=far', 'To: <sip:fax@127.0.0.1>', `Call-ID: burst-${i}`, 'CSeq: 1 OPTIONS', 'Max-Forwards: 70', 'Content-Length: 0', '', '',
      ].join('\r\n');
      far.send(options, ep.port, '127.0.0.1');
    }
    // All of them wait in the socket for one poll phase.
    const until = Date.now() + 200;
    while (Date.now() < until) { /* busy */ }
    setImmediate(tick);
    const deadline = Date.now() + 10_000;
    while (answers.length < BURST && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(answers.length, BURST, `answers ${JSON.stringify(answers)}; handled per turn ${JSON.stringify([...perTurn])}`);
    assert.ok(answers.every((s) => s === 200), `answers ${JSON.stringify(answers)}`);
    // 3 ms of work per turn: 3 of these and the one under way, 4 with timer slack.
    const most = Math.max(...perTurn.values());
    assert.ok(most <= 5, `requests handled per turn of the loop: ${JSON.stringify([...perTurn])}`);
  } finally {
    turns.running = false;
    await ep.close();
    far.close();
  }
});
