// faxgate's SIP user agent against SIPp, an independent SIP implementation, on 127.0.0.1:
// signalling only (the fax itself through a SIP call is proven with spandsp in services/node).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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

test('REGISTER answered with a digest after 401 (SIPp verifies it), binding granted', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-register-401.xml');
  const { ep, waitEvent } = await endpoint({ credentials: { username: 'fax', password: 'secret' }, outboundProxy: { host: '127.0.0.1', port: far.port }, domain: 'faxgate.test' });
  try {
    ep.do((ua) => ua.register());
    const reg = await waitEvent('registered', () => true, 20_000, far);
    assert.equal(reg.expires, 60);
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('a wrong password is refused: SIPp answers 403 and faxgate reports the failed registration', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-register-401.xml');
  const { ep, waitEvent } = await endpoint({ credentials: { username: 'fax', password: 'wrong' }, outboundProxy: { host: '127.0.0.1', port: far.port }, domain: 'faxgate.test' });
  try {
    ep.do((ua) => ua.register());
    const failed = await waitEvent('registration-failed', () => true, 20_000, far);
    assert.equal(failed.status, 403);
    await far.done();
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('INVITE challenged with 407, then the far end re-INVITEs to T.38 and hangs up with BYE', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-407-far-reinvite-t38.xml', { keys: { udptl_port: 45680 }, pauseMs: 300 });
  const { ep, waitEvent, events } = await endpoint({ credentials: { username: 'fax', password: 'secret' }, t38WaitMs: 5000 });
  try {
    const { callId } = ep.do((ua) => ua.invite(`sip:+12125550100@127.0.0.1:${far.port}`, media));
    const t38 = await waitEvent('t38', () => true, 20_000, far);
    assert.deepEqual(t38.remote, { host: '127.0.0.1', port: 45680 });
    assert.equal(t38.params.udpEC, 't38UDPFEC', 'the far end\'s parameters as it offered them');
    const ended = await waitEvent('ended', () => true, 20_000, far);
    assert.deepEqual(ended, { type: 'ended', callId, result: 'completed', reason: 'the far end hung up', by: 'remote' });
    assert.deepEqual(events.map((e) => e.type), ['progress', 'answered', 't38', 'ended'], 'no T.38 re-INVITE of ours');
    assert.equal(await far.done(), 0, far.logs());
    // The digest SIPp received, recomputed here by the RFC 2617 §3.2.2.1 formula with qop=auth.
    const log = far.logs();
    const auth = /Proxy-Authorization: Digest (.*)/.exec(log)?.[1] ?? '';
    const p = (k: string) => new RegExp(`${k}="?([^",]*)"?`).exec(auth)?.[1] ?? '';
    const nonce = /nonce="([^"]+)"/.exec(/Proxy-Authenticate: .*/.exec(log)?.[0] ?? '')?.[1];
    const md5 = (x: string) => createHash('md5').update(x).digest('hex');
    assert.equal(p('nonce'), nonce);
    assert.equal(p('response'), md5(`${md5('fax:faxgate.test:secret')}:${nonce}:${p('nc')}:${p('cnonce')}:auth:${md5(`INVITE:${p('uri')}`)}`), auth);
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('488 to our T.38 re-INVITE: the call fails with that reason, faxgate ACKs and hangs up', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-488-t38.xml');
  const { ep, waitEvent } = await endpoint({ t38WaitMs: 200 });
  try {
    ep.do((ua) => ua.invite(`sip:+12125550100@127.0.0.1:${far.port}`, media));
    const ended = await waitEvent('ended', () => true, 20_000, far);
    assert.equal(ended.result, 'failed');
    assert.equal(ended.status, 488);
    assert.match(ended.reason, /refused T\.38 \(488 Not Acceptable Here\)/);
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('491 glare: both sides re-INVITE at once; faxgate answers 491, retries after 2.1–4 s (§14.1), and gets T.38', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-glare.xml', { keys: { udptl_port: 45682 } });
  const { ep, waitEvent, trace } = await endpoint({ t38WaitMs: 200 });
  try {
    const { callId } = ep.do((ua) => ua.invite(`sip:+12125550100@127.0.0.1:${far.port}`, media));
    const t0 = Date.now();
    await waitEvent('answered', () => true, 20_000, far);
    const t38 = await waitEvent('t38', () => true, 20_000, far);
    assert.equal(t38.remote.port, 45682);
    const waited = Date.now() - t0;
    assert.ok(waited >= 2100 + 200, `T.38 came ${waited} ms after answer; the retry must wait at least 2.1 s`);
    assert.equal(trace.filter((l) => l.startsWith('out') && l.includes(' 491 ')).length, 1, trace.join('\n'));
    ep.do((ua) => ua.hangup(callId));
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('CANCEL while ringing: 200 to the CANCEL, 487 to the INVITE ACKed, the call ends as no-answer', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-cancel.xml');
  const { ep, waitEvent } = await endpoint({ ringTimeoutMs: 1000 });
  try {
    const { callId } = ep.do((ua) => ua.invite(`sip:+12125550100@127.0.0.1:${far.port}`, media));
    await waitEvent('progress', (e) => e.status === 180, 20_000, far);
    const ended = await waitEvent('ended', () => true, 20_000, far);
    assert.deepEqual(ended, { type: 'ended', callId, result: 'no-answer', reason: 'no answer within 1 s', status: 487, by: 'local' });
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('incoming call with audio: answered, switched to T.38 at once; a session-refresh re-INVITE is answered with the same T.38 media; BYE from the far end', { timeout: 60_000 }, async () => {
  const { ep, waitEvent, events } = await endpoint();
  ep.on('event', (e) => {
    if (e.type === 'incoming') ep.do((ua) => ua.answer(e.callId, media));
  });
  const far = await sipp(dir.path, 'uac-audio-refresh.xml', { remote: `127.0.0.1:${ep.port}`, service: '+12125550188', keys: { udptl_port: 45684 }, pauseMs: 300 });
  try {
    const inc = await waitEvent('incoming', () => true, 20_000, far);
    assert.match(inc.requestUri, /^sip:\+12125550188@127\.0\.0\.1:/);
    assert.match(inc.from, /^sip:\+4930123456@/);
    const t38 = await waitEvent('t38', () => true, 20_000, far);
    assert.equal(t38.remote.port, 45684);
    await waitEvent('refreshed', () => true, 20_000, far);
    await waitEvent('ended', (e) => e.by === 'remote', 20_000, far);
    assert.deepEqual(events.map((e) => e.type), ['incoming', 'answered', 't38', 'refreshed', 'ended'], 'one switch to T.38 only');
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    await ep.close();
  }
});

test('a lost 200 OK: faxgate retransmits its 2xx (§13.3.1.4) until the caller ACKs; T.38 offered in the INVITE is answered at once', { timeout: 60_000 }, async () => {
  const { ep, waitEvent, trace } = await endpoint();
  ep.on('event', (e) => {
    if (e.type === 'incoming') ep.do((ua) => ua.answer(e.callId, media));
  });
  // The test's lossy path: a relay in front of faxgate's port that drops the first 200 OK.
  const relay = await lossyRelay(ep.port, (d) => d.toString('latin1').startsWith('SIP/2.0 200 OK') && /CSeq: 1 INVITE/.test(d.toString('latin1')));
  const far = await sipp(dir.path, 'uac-t38.xml', { remote: `127.0.0.1:${relay.port}`, service: '100', keys: { udptl_port: 45686 }, pauseMs: 200 });
  try {
    const t38 = await waitEvent('t38', () => true, 20_000, far);
    assert.equal(t38.remote.port, 45686);
    await waitEvent('ended', (e) => e.by === 'remote', 20_000, far);
    assert.equal(relay.dropped, 1);
    assert.ok(trace.filter((l) => l.startsWith('out') && l.includes(' 200 OK')).length >= 3, `200 to the INVITE sent again after the loss, 200 to the BYE:\n${trace.join('\n')}`);
    assert.equal(await far.done(), 0, far.logs());
  } finally {
    far.proc.kill();
    relay.close();
    await ep.close();
  }
});

/** A UDP relay to `target` that drops the first datagram `drop` picks, in either direction. */
async function lossyRelay(target: number, drop: (d: Buffer) => boolean) {
  const { createSocket } = await import('node:dgram');
  const front = createSocket('udp4');
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  const back = createSocket('udp4');
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
  let client: { address: string; port: number } | undefined;
  const state = { port: front.address().port, dropped: 0, close: () => { front.close(); back.close(); } };
  const pass = (d: Buffer) => {
    if (state.dropped === 0 && drop(d)) {
      state.dropped++;
      return false;
    }
    return true;
  };
  front.on('message', (d, r) => {
    client = { address: r.address, port: r.port };
    if (pass(d)) back.send(d, target, '127.0.0.1');
  });
  back.on('message', (d) => {
    if (client && pass(d)) front.send(d, client.port, client.address);
  });
  return state;
}

test('over TCP (RFC 3261 §18.3 framing): the same call with our T.38 re-INVITE, no retransmissions', { timeout: 60_000 }, async () => {
  const far = await sipp(dir.path, 'uas-accept-our-t38.xml', { keys: { udptl_port: 45688 }, transport: 't1' });
  const { ep, waitEvent, trace } = await endpoint({ t38WaitMs: 300, transport: 'TCP' });
  try {
    const { callId } = ep.do((ua) => ua.invite(`sip:+12125550100@127.0.0.1:${far.port};transport=tcp`, media));
    const t38 = await waitEvent('t38', () => true, 20_000, far);
    assert.equal(t38.remote.port, 45688);
    ep.do((ua) => ua.hangup(callId));
    assert.equal(await far.done(), 0, far.logs());
    assert.match(far.logs(), /TCP message received/);
    assert.equal(trace.filter((l) => l.startsWith('out') && l.includes('INVITE sip:+1212')).length, 1, trace.join('\n'));
  } finally {
    far.proc.kill();
    await ep.close();
  }
});
