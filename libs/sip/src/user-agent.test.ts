import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserAgent, type UaEvent, type UserAgentConfig } from './user-agent.ts';
import { header, headers, type SipRequest, type SipResponse, type Header } from './message.ts';
import { parseNameAddr, parseVia, parseCSeq } from './fields.ts';
import { parseSdp, t38Stream } from './sdp.ts';
import { authorize, parseAuthParams, parseChallenge } from './digest.ts';
import type { Peer } from './actions.ts';
import { FakeClock } from '../test/fake-clock.ts';

const far: Peer = { host: '127.0.0.1', port: 5080, transport: 'UDP' };
const media = { address: '127.0.0.1', audioPort: 7000, imagePort: 7002 };
const T38_SDP = (port: number, version = 1) => `v=0\r\no=far 1 ${version} IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=image ${port} udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n`;
const AUDIO_SDP = `v=0\r\no=far 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9000 RTP/AVP 0 101\r\n`;

function ua(cfg: Partial<UserAgentConfig> = {}) {
  const agent = new UserAgent({ advertised: { host: '127.0.0.1', port: 5070 }, transport: 'UDP', user: 'fax', domain: 'trunk.test', outboundProxy: { host: far.host, port: far.port }, random: () => 0.5, ...cfg });
  const clock = new FakeClock<UaEvent>((id) => agent.tick(id));
  return { agent, clock, events: () => clock.events.map((e) => e.event) };
}

/** A response of the far end to one of our requests. */
function reply(req: SipRequest, status: number, o: { tag?: string; body?: string; extra?: Header[] } = {}): SipResponse {
  const hs: Header[] = req.headers.filter(([n]) => ['Via', 'From', 'Call-ID', 'CSeq'].includes(n)).map(([n, v]) => [n, v] as Header);
  const to = header(req, 'To')!;
  hs.push(['To', o.tag && status > 100 && !parseNameAddr(to).params.tag ? `${to};tag=${o.tag}` : to], ['Contact', '<sip:far@127.0.0.1:5080>'], ...(o.extra ?? []));
  if (o.body) hs.push(['Content-Type', 'application/sdp']);
  return { kind: 'response', status, reason: 'R', headers: hs, body: o.body ?? '' };
}

/** A request of the far end inside the dialog our INVITE made. */
function farRequest(method: string, invite: SipRequest, o: { cseq: number; body?: string; branch?: string; farTag?: string; extra?: Header[] }): SipRequest {
  const ourFrom = header(invite, 'From')!;
  return {
    kind: 'request', method, uri: 'sip:fax@127.0.0.1:5070', body: o.body ?? '',
    headers: [['Via', `SIP/2.0/UDP 127.0.0.1:5080;branch=${o.branch ?? 'z9hG4bK' + method + o.cseq};rport`], ['From', `${header(invite, 'To')!.split(';tag')[0]};tag=${o.farTag ?? 'far1'}`], ['To', ourFrom], ['Call-ID', header(invite, 'Call-ID')!], ['CSeq', `${o.cseq} ${method}`], ['Contact', '<sip:far@127.0.0.1:5080>'], ...(o.extra ?? []), ...(o.body ? [['Content-Type', 'application/sdp'] as Header] : [])],
  };
}

const last = (c: FakeClock<UaEvent>, what: string | number) => {
  const s = c.sends(what);
  assert.ok(s.length, `nothing sent for ${what}: ${c.sent.map((x) => (x.message.kind === 'request' ? x.message.method : x.message.status)).join(' ')}`);
  return s[s.length - 1].message;
};

/** Places a call and takes it to the answered, audio state. */
function answeredCall(u = ua()) {
  const { agent, clock } = u;
  const { callId, actions } = agent.invite('sip:+12125550100@trunk.test', media);
  clock.apply(actions);
  const invite = last(clock, 'INVITE') as SipRequest;
  clock.apply(agent.receive(reply(invite, 180, { tag: 'far1' }), far));
  clock.apply(agent.receive(reply(invite, 200, { tag: 'far1', body: AUDIO_SDP }), far));
  return { ...u, callId, invite };
}

test('outgoing call: audio offer, 407 answered with Proxy-Authorization, 180, 200, ACK; our T.38 re-INVITE after the wait', () => {
  const { agent, clock, events } = ua({ credentials: { username: 'fax', password: 'secret' }, t38WaitMs: 3000 });
  const { callId, actions } = agent.invite('sip:+12125550100@trunk.test', media);
  clock.apply(actions);
  const inv1 = last(clock, 'INVITE') as SipRequest;
  assert.match(inv1.body, /m=audio 7000 RTP\/AVP 0 8 101/);
  clock.apply(agent.receive(reply(inv1, 407, { tag: 'p1', extra: [['Proxy-Authenticate', 'Digest realm="trunk", nonce="abc", qop="auth", algorithm=SHA-256']] }), far));
  assert.equal(clock.sends('ACK').length, 1, 'the 407 is ACKed by the transaction');
  const inv2 = last(clock, 'INVITE') as SipRequest;
  assert.notEqual(parseVia(header(inv2, 'Via')!).params.branch, parseVia(header(inv1, 'Via')!).params.branch);
  assert.equal(parseCSeq(header(inv2, 'CSeq')!).seq, 2);
  assert.equal(header(inv2, 'Call-ID'), header(inv1, 'Call-ID'));
  const auth = parseAuthParams(header(inv2, 'Proxy-Authorization')!.replace(/^Digest /, ''));
  const expected = parseAuthParams(authorize(parseChallenge('Digest realm="trunk", nonce="abc", qop="auth", algorithm=SHA-256'), { username: 'fax', password: 'secret' }, { method: 'INVITE', uri: inv2.uri, cnonce: auth.cnonce, nc: 1 }).slice(7));
  assert.equal(auth.response, expected.response);

  clock.apply(agent.receive(reply(inv2, 183, { tag: 'far1' }), far));
  clock.apply(agent.receive(reply(inv2, 200, { tag: 'far1', body: AUDIO_SDP }), far));
  const ack = last(clock, 'ACK') as SipRequest;
  assert.equal(ack.uri, 'sip:far@127.0.0.1:5080', 'the 2xx ACK goes to the remote target (§13.2.2.4)');
  assert.equal(header(ack, 'CSeq'), '2 ACK');
  assert.match(header(ack, 'To')!, /tag=far1/);
  // A retransmitted 200 gets the same ACK again.
  clock.apply(agent.receive(reply(inv2, 200, { tag: 'far1', body: AUDIO_SDP }), far));
  assert.equal(clock.sends('ACK').length, 3);

  clock.advance(2900);
  assert.equal(clock.sends('INVITE').length, 2, 'no re-INVITE before the wait is over');
  clock.advance(200);
  const re = last(clock, 'INVITE') as SipRequest;
  assert.match(re.body, /m=image 7002 udptl t38/);
  assert.match(re.body, /o=faxgate \d+ 2 IN IP4/, 'a new offer raises the o= version');
  assert.equal(header(re, 'CSeq'), '3 INVITE');
  clock.apply(agent.receive(reply(re, 200, { tag: 'far1', body: T38_SDP(40000) }), far));
  assert.equal(header(last(clock, 'ACK'), 'CSeq'), '3 ACK');
  const t38 = events().find((e) => e.type === 't38');
  assert.deepEqual(t38 && t38.type === 't38' && t38.remote, { host: '127.0.0.1', port: 40000 });
  assert.deepEqual(events().map((e) => e.type), ['progress', 'answered', 't38']);

  clock.apply(agent.hangup(callId));
  assert.equal(clock.sends('BYE').length, 1);
  assert.deepEqual(events().at(-1), { type: 'ended', callId, result: 'completed', reason: 'hung up', by: 'local' });
});

test('the far end re-INVITEs to T.38: answered with our image stream, no re-INVITE of ours; a refresh re-INVITE leaves the media alone', () => {
  const { agent, clock, events, invite } = answeredCall();
  clock.advance(1000);
  const reinv = farRequest('INVITE', invite, { cseq: 10, body: T38_SDP(41000) });
  clock.apply(agent.receive(reinv, far));
  const ok = last(clock, 200) as SipResponse;
  const answer = t38Stream(parseSdp(ok.body))!;
  assert.equal(answer.port, 7002);
  assert.equal(answer.params.rateManagement, 'transferredTCF');
  assert.equal(parseVia(header(ok, 'Via')!).params.rport, '5080', 'RFC 3581 rport filled in');
  clock.advance(1500);
  assert.equal(clock.sends(200).length, 3, 'the 2xx is retransmitted until the ACK (0.5 s, 1 s)');
  clock.apply(agent.receive(farRequest('ACK', invite, { cseq: 10 }), far));
  clock.advance(10_000);
  assert.equal(clock.sends(200).length, 3);
  assert.equal(clock.sends('INVITE').length, 1, 'no T.38 re-INVITE of ours');
  const version = /o=\S+ \S+ (\d+)/.exec(ok.body)![1];

  // RFC 4028 session refresh: the same T.38 offer again.
  clock.apply(agent.receive(farRequest('INVITE', invite, { cseq: 11, body: T38_SDP(41000, 2), extra: [['Session-Expires', '90;refresher=uac'], ['Supported', 'timer']] }), far));
  const ok2 = last(clock, 200) as SipResponse;
  assert.equal(/o=\S+ \S+ (\d+)/.exec(ok2.body)![1], version, 'unchanged answer keeps its o= version');
  assert.equal(header(ok2, 'Session-Expires'), '90;refresher=uac');
  assert.equal(header(ok2, 'Require'), 'timer');
  clock.apply(agent.receive(farRequest('ACK', invite, { cseq: 11 }), far));
  // And as UPDATE (RFC 3311) too.
  clock.apply(agent.receive(farRequest('UPDATE', invite, { cseq: 12, body: T38_SDP(41000, 3) }), far));
  assert.match((last(clock, 200) as SipResponse).body, /m=image 7002 udptl t38/);
  assert.deepEqual(events().map((e) => e.type), ['progress', 'answered', 't38', 'refreshed', 'refreshed']);

  clock.apply(agent.receive(farRequest('BYE', invite, { cseq: 13 }), far));
  assert.equal(header(last(clock, 200), 'CSeq'), '13 BYE');
  assert.equal(events().at(-1)!.type, 'ended');
});

test('488 to our T.38 re-INVITE: the call fails with that reason and is hung up', () => {
  const { agent, clock, events, callId } = answeredCall(ua({ t38WaitMs: 100 }));
  clock.advance(100);
  const re = last(clock, 'INVITE') as SipRequest;
  clock.apply(agent.receive(reply(re, 488, { tag: 'far1' }), far));
  assert.equal(clock.sends('BYE').length, 1);
  assert.deepEqual(events().at(-1), { type: 'ended', callId, result: 'failed', reason: 'the far end refused T.38 (488 R)', status: 488, by: 'local' });
});

test('491 glare (§14.1): the Call-ID owner retries after 2.1–4 s; a far-end offer during our re-INVITE gets 491', () => {
  const { agent, clock, invite } = answeredCall(ua({ t38WaitMs: 100, random: () => 0.999 }));
  clock.advance(100);
  const re = last(clock, 'INVITE') as SipRequest;
  clock.apply(agent.receive(farRequest('INVITE', invite, { cseq: 5, body: T38_SDP(41000) }), far));
  assert.equal(clock.sends(491).length, 1);
  const at = clock.now;
  clock.apply(agent.receive(reply(re, 491, { tag: 'far1' }), far));
  clock.advance(3990);
  assert.equal(clock.sends('INVITE').length, 2);
  clock.advance(10);
  assert.equal(clock.sends('INVITE').length, 3, 'retried after 2100 + 190*10 ms');
  assert.equal(clock.now - at, 4000);
});

test('500 with Retry-After to our T.38 re-INVITE (§14.2: the far end was still answering): sent again after that many seconds, once', () => {
  const { agent, clock, events, callId } = answeredCall(ua({ t38WaitMs: 100 }));
  clock.advance(100);
  const re = last(clock, 'INVITE') as SipRequest;
  clock.apply(agent.receive(reply(re, 500, { tag: 'far1', extra: [['Retry-After', '3']] }), far));
  assert.equal(clock.sends('BYE').length, 0, 'the call stays up');
  clock.advance(2990);
  assert.equal(clock.sends('INVITE').length, 2);
  clock.advance(10);
  assert.equal(clock.sends('INVITE').length, 3, 'the re-INVITE again after Retry-After: 3');
  const again = last(clock, 'INVITE') as SipRequest;
  assert.equal(parseSdp(again.body).origin.version, parseSdp(re.body).origin.version, 'the same offer: its o= version unchanged (RFC 3264 §8)');
  clock.apply(agent.receive(reply(again, 500, { tag: 'far1', extra: [['Retry-After', '3']] }), far));
  assert.equal(clock.sends('BYE').length, 1, 'a second 500 ends the call');
  assert.deepEqual(events().at(-1), { type: 'ended', callId, result: 'failed', reason: 'our T.38 re-INVITE failed (500 R)', status: 500, by: 'local' });
});

test('rejections map to line results: 486 busy, 480 no answer, 404 rejected, 503 congestion', () => {
  for (const [status, result] of [[486, 'busy'], [480, 'no-answer'], [404, 'rejected'], [503, 'congestion'], [500, 'failed']] as const) {
    const { agent, clock, events } = ua();
    const { callId, actions } = agent.invite('sip:1@trunk.test', media);
    clock.apply(actions);
    clock.apply(agent.receive(reply(last(clock, 'INVITE') as SipRequest, status, { tag: 'x' }), far));
    assert.deepEqual(events().at(-1), { type: 'ended', callId, result, reason: `${status} R`, status, by: 'remote' });
  }
});

test('ring timeout: CANCEL after the provisional, 487 ends the call as no-answer', () => {
  const { agent, clock, events } = ua({ ringTimeoutMs: 20_000 });
  const { callId, actions } = agent.invite('sip:1@trunk.test', media);
  clock.apply(actions);
  const inv = last(clock, 'INVITE') as SipRequest;
  clock.apply(agent.receive(reply(inv, 180, { tag: 'x' }), far));
  clock.advance(20_000);
  const cancel = last(clock, 'CANCEL') as SipRequest;
  assert.equal(header(cancel, 'Via'), header(inv, 'Via'), '§9.1: the CANCEL has the INVITE\'s branch');
  assert.equal(header(cancel, 'CSeq'), '1 CANCEL');
  clock.apply(agent.receive(reply(cancel, 200), far));
  clock.apply(agent.receive(reply(inv, 487, { tag: 'x' }), far));
  assert.equal(clock.sends('ACK').length, 1);
  assert.deepEqual(events().at(-1), { type: 'ended', callId, result: 'no-answer', reason: 'no answer within 20 s', status: 487, by: 'local' });
});

test('incoming INVITE with audio: 100, answer with PCMU, then at once our T.38 re-INVITE after the ACK', () => {
  const { agent, clock, events } = ua();
  const inv: SipRequest = {
    kind: 'request', method: 'INVITE', uri: 'sip:+12125550188@127.0.0.1:5070', body: AUDIO_SDP,
    headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKin1'], ['From', '<sip:+4930123@carrier>;tag=c1'], ['To', '<sip:+12125550188@trunk.test>'], ['Call-ID', 'in-1'], ['CSeq', '7 INVITE'], ['Contact', '<sip:c@127.0.0.1:5080>'], ['P-Asserted-Identity', '<tel:+4930123>'], ['Content-Type', 'application/sdp']],
  };
  clock.apply(agent.receive(inv, far));
  assert.equal(clock.sends(100).length, 1);
  assert.equal(clock.sent[0].to.port, 5080, 'without rport the Via port');
  const inc = events()[0];
  assert.equal(inc.type, 'incoming');
  assert.equal(inc.type === 'incoming' && inc.assertedIdentity, 'tel:+4930123');
  clock.apply(agent.answer('in-1', media));
  const ok = last(clock, 200) as SipResponse;
  assert.match(ok.body, /m=audio 7000 RTP\/AVP 0 101/);
  const localTag = parseNameAddr(header(ok, 'To')!).params.tag;
  assert.ok(localTag);
  // A retransmitted INVITE gets the 200 again.
  clock.apply(agent.receive(inv, far));
  assert.equal(clock.sends(200).length, 2);
  clock.apply(agent.receive({ ...inv, method: 'ACK', body: '', headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKack'], ['From', '<sip:+4930123@carrier>;tag=c1'], ['To', `<sip:+12125550188@trunk.test>;tag=${localTag}`], ['Call-ID', 'in-1'], ['CSeq', '7 ACK']] }, far));
  const re = last(clock, 'INVITE') as SipRequest;
  assert.match(re.body, /m=image 7002 udptl t38/);
  assert.equal(re.uri, 'sip:c@127.0.0.1:5080');
  assert.equal(header(re, 'To'), '<sip:+4930123@carrier>;tag=c1');
  assert.equal(header(re, 'From'), `<sip:+12125550188@trunk.test>;tag=${localTag}`);
});

test('incoming INVITE with T.38 is answered with T.38 at once; CANCEL before answer gives 200 + 487', () => {
  const { agent, clock, events } = ua();
  const base = (id: string, branch: string): SipRequest => ({
    kind: 'request', method: 'INVITE', uri: 'sip:100@127.0.0.1:5070', body: T38_SDP(42000),
    headers: [['Via', `SIP/2.0/UDP 127.0.0.1:5080;branch=${branch};rport`], ['From', '<sip:200@carrier>;tag=c1'], ['To', '<sip:100@trunk.test>'], ['Call-ID', id], ['CSeq', '1 INVITE'], ['Contact', '<sip:c@127.0.0.1:5080>']],
  });
  clock.apply(agent.receive(base('a', 'z9hG4bKa'), far));
  clock.apply(agent.answer('a', media));
  assert.match((last(clock, 200) as SipResponse).body, /m=image 7002 udptl t38/);
  assert.deepEqual(events().map((e) => e.type), ['incoming', 'answered', 't38']);

  const b = base('b', 'z9hG4bKb');
  clock.apply(agent.receive(b, far));
  clock.apply(agent.receive({ ...b, method: 'CANCEL', body: '', headers: b.headers.map(([n, v]) => [n, n === 'CSeq' ? '1 CANCEL' : v] as Header) }, far));
  assert.equal(header(last(clock, 487), 'CSeq'), '1 INVITE');
  assert.equal(header(last(clock, 200), 'CSeq'), '1 CANCEL');
  assert.deepEqual(events().at(-1), { type: 'ended', callId: 'b', result: 'cancelled', reason: 'the caller cancelled before answer', status: 487, by: 'remote' });
});

test('REGISTER: 401 answered, binding refreshed before it expires; OPTIONS answered', () => {
  const { agent, clock, events } = ua({ credentials: { username: 'fax', password: 'pw' }, registerExpires: 300 });
  clock.apply(agent.register());
  const r1 = last(clock, 'REGISTER') as SipRequest;
  assert.equal(r1.uri, 'sip:trunk.test');
  clock.apply(agent.receive(reply(r1, 401, { tag: 'r', extra: [['WWW-Authenticate', 'Digest realm="trunk.test", nonce="n1", qop="auth"']] }), far));
  const r2 = last(clock, 'REGISTER') as SipRequest;
  assert.match(header(r2, 'Authorization')!, /username="fax", realm="trunk.test", nonce="n1"/);
  assert.equal(parseCSeq(header(r2, 'CSeq')!).seq, 2);
  clock.apply(agent.receive(reply(r2, 200, { tag: 'r', extra: [['Contact', '<sip:fax@127.0.0.1:5070>;expires=120']] }), far));
  assert.deepEqual(events(), [{ type: 'registered', expires: 120 }]);
  clock.advance(59_000);
  assert.equal(clock.sends('REGISTER').length, 2);
  clock.advance(1_000);
  assert.equal(clock.sends('REGISTER').length, 3, 'refreshed half-way through a 120 s binding');

  clock.apply(agent.receive({ kind: 'request', method: 'OPTIONS', uri: 'sip:fax@127.0.0.1', body: '', headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKo'], ['From', '<sip:p@x>;tag=1'], ['To', '<sip:fax@x>'], ['Call-ID', 'o1'], ['CSeq', '1 OPTIONS']] }, far));
  const ok = last(clock, 200) as SipResponse;
  assert.match(headers(ok, 'Allow').join(','), /INVITE/);
});

test('OPTIONS gets the code an INVITE would get now (RFC 3261 §11.2): 486 while the node is busy, 200 once it is free', () => {
  let busy = true;
  const { agent, clock } = ua({ callAvailability: () => (busy ? { status: 486, reason: 'Busy Here' } : { status: 200, reason: 'OK' }) });
  const options = (branch: string) => agent.receive({ kind: 'request', method: 'OPTIONS', uri: 'sip:fax@127.0.0.1', body: '', headers: [['Via', `SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK${branch}`], ['From', '<sip:p@x>;tag=1'], ['To', '<sip:fax@x>'], ['Call-ID', branch], ['CSeq', '1 OPTIONS']] }, far);
  clock.apply(options('o1'));
  const refused = last(clock, 486) as SipResponse;
  assert.equal(refused.reason, 'Busy Here');
  assert.match(headers(refused, 'Allow').join(','), /INVITE/, 'capabilities are still listed');
  assert.equal(clock.sends(200).length, 0);
  busy = false;
  clock.apply(options('o2'));
  assert.equal(clock.sends(200).length, 1);
});

test('a BYE for an unknown dialog gets 481; a lost 200 to our INVITE is recovered by retransmission', () => {
  const { agent, clock } = ua();
  clock.apply(agent.receive({ kind: 'request', method: 'BYE', uri: 'sip:fax@127.0.0.1', body: '', headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKbye'], ['From', '<sip:p@x>;tag=1'], ['To', '<sip:fax@x>;tag=zz'], ['Call-ID', 'nope'], ['CSeq', '1 BYE']] }, far));
  assert.equal(clock.sends(481).length, 1);
  const { actions } = agent.invite('sip:1@trunk.test', media);
  clock.apply(actions);
  clock.advance(1600);
  assert.equal(clock.sends('INVITE').length, 3, 'INVITE retransmitted at 0.5 s and 1.5 s while no response arrives');
});

test('a 3xx is followed once to its first Contact (§8.1.3.4), a second one ends the call', () => {
  const { agent, clock, events } = ua();
  const { callId, actions } = agent.invite('sip:+12125550100@trunk.test', media);
  clock.apply(actions);
  const moved = (r: SipRequest) => {
    const res = reply(r, 302, { tag: 'r1' });
    res.headers = res.headers.map(([n, v]) => [n, n === 'Contact' ? '<sip:+12125550100@other.test:5090>' : v] as Header);
    return res;
  };
  clock.apply(agent.receive(moved(last(clock, 'INVITE') as SipRequest), far));
  const second = last(clock, 'INVITE') as SipRequest;
  assert.equal(second.uri, 'sip:+12125550100@other.test:5090');
  assert.equal(header(second, 'CSeq'), '2 INVITE');
  assert.equal(header(second, 'To'), '<sip:+12125550100@other.test:5090>');
  clock.apply(agent.receive(moved(second), far));
  assert.equal(clock.sends('INVITE').length, 2);
  assert.deepEqual(events().at(-1), { type: 'ended', callId, result: 'failed', reason: '302 R', status: 302, by: 'remote' });
});

test('requests go to the outbound proxy; the 2xx Record-Route becomes the route set in reverse (§12.1.2), sent as Route', () => {
  const { agent, clock } = ua({ outboundProxy: { host: '192.0.2.50', port: 5062 } });
  const { actions } = agent.invite('sip:+12125550100@trunk.test', media);
  clock.apply(actions);
  assert.deepEqual(clock.sent[0].to, { host: '192.0.2.50', port: 5062, transport: 'UDP' });
  const inv = last(clock, 'INVITE') as SipRequest;
  const ok = reply(inv, 200, { tag: 'far1', body: AUDIO_SDP, extra: [['Record-Route', '<sip:p2.test;lr>'], ['Record-Route', '<sip:p1.test;lr>']] });
  clock.apply(agent.receive(ok, far));
  const ack = clock.sent.at(-1)!;
  assert.equal(ack.message.kind === 'request' && ack.message.method, 'ACK');
  assert.deepEqual(headers(ack.message, 'Route'), ['<sip:p1.test;lr>', '<sip:p2.test;lr>']);
  assert.equal(ack.to.host, '192.0.2.50');

  // Without an outbound proxy, an in-dialog request goes to the first route's host (§8.1.2).
  const b = ua({ outboundProxy: undefined });
  const call = b.agent.invite('sip:+12125550100@192.0.2.60:5070', media);
  b.clock.apply(call.actions);
  assert.deepEqual(b.clock.sent[0].to, { host: '192.0.2.60', port: 5070, transport: 'UDP' });
  b.clock.apply(b.agent.receive(reply(last(b.clock, 'INVITE') as SipRequest, 200, { tag: 'x', body: AUDIO_SDP, extra: [['Record-Route', '<sip:192.0.2.61:5099;lr>']] }), far));
  assert.deepEqual(b.clock.sent.at(-1)!.to, { host: '192.0.2.61', port: 5099, transport: 'UDP' });
});

test('an INVITE without an offer gets our T.38 offer in the 200, and the answer in the ACK starts T.38; Require: 100rel gets 420', () => {
  const { agent, clock, events } = ua();
  const inv: SipRequest = {
    kind: 'request', method: 'INVITE', uri: 'sip:100@127.0.0.1:5070', body: '',
    headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKnoofr;rport'], ['From', '<sip:200@carrier>;tag=c1'], ['To', '<sip:100@trunk.test>'], ['Call-ID', 'no-offer'], ['CSeq', '1 INVITE'], ['Contact', '<sip:c@127.0.0.1:5080>']],
  };
  clock.apply(agent.receive(inv, far));
  clock.apply(agent.answer('no-offer', media));
  const ok = last(clock, 200) as SipResponse;
  assert.match(ok.body, /m=image 7002 udptl t38/);
  const tag = parseNameAddr(header(ok, 'To')!).params.tag;
  clock.apply(agent.receive({ kind: 'request', method: 'ACK', uri: 'sip:fax@127.0.0.1:5070', body: T38_SDP(43000), headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKack2'], ['From', '<sip:200@carrier>;tag=c1'], ['To', `<sip:100@trunk.test>;tag=${tag}`], ['Call-ID', 'no-offer'], ['CSeq', '1 ACK'], ['Content-Type', 'application/sdp']] }, far));
  const t38 = events().find((e) => e.type === 't38');
  assert.deepEqual(t38 && t38.type === 't38' && t38.remote, { host: '127.0.0.1', port: 43000 });

  clock.apply(agent.receive({ ...inv, headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK100rel'], ['From', '<sip:200@carrier>;tag=c2'], ['To', '<sip:100@trunk.test>'], ['Call-ID', 'rel'], ['CSeq', '1 INVITE'], ['Require', '100rel']] }, far));
  const bad = last(clock, 420) as SipResponse;
  assert.equal(header(bad, 'Unsupported'), '100rel');
});

// ---- audio fax (issue 13): the media policy ----

test('t38-then-audio, outgoing: a 488 to our T.38 re-INVITE leaves the call up and faxing over the G.711 stream of the answer', () => {
  const u = ua({ media: 't38-then-audio', t38WaitMs: 1000 });
  const { agent, clock, events, callId, invite } = answeredCall(u);
  clock.advance(1000);
  const re = last(clock, 'INVITE') as SipRequest;
  assert.match(re.body, /m=image 7002 udptl t38/);
  clock.apply(agent.receive(reply(re, 488, { tag: 'far1' }), far));
  assert.equal(clock.sends('BYE').length, 0, 'no BYE: the call goes on over audio');
  const audio = events().at(-1);
  assert.deepEqual(audio, { type: 'audio', callId, remote: { host: '127.0.0.1', port: 9000, law: 'ulaw' }, why: 'the far end refused T.38 (488 R)' });
  // The far end switches to T.38 after all (its own re-INVITE): T.38 wins.
  clock.apply(agent.receive(farRequest('INVITE', invite, { cseq: 5, body: T38_SDP(41000) }), far));
  assert.equal(events().at(-1)?.type, 't38');
});

test('t38 (the default): a 488 to our T.38 re-INVITE ends the call', () => {
  const { agent, clock, events } = answeredCall(ua({ t38WaitMs: 1000 }));
  clock.advance(1000);
  clock.apply(agent.receive(reply(last(clock, 'INVITE') as SipRequest, 488, { tag: 'far1' }), far));
  assert.equal(clock.sends('BYE').length, 1);
  assert.equal(events().some((e) => e.type === 'audio'), false);
});

test('audio pool, outgoing: faxes over G.711 at answer, never offers T.38, and a session refresh with the same audio stream changes nothing', () => {
  const u = ua({ media: 'audio', t38WaitMs: 1000 });
  const { agent, clock, events, callId, invite } = answeredCall(u);
  assert.deepEqual(events().map((e) => e.type), ['progress', 'answered', 'audio']);
  clock.advance(5000);
  assert.equal(clock.sends('INVITE').length, 1, 'no T.38 re-INVITE from an audio pool');
  clock.apply(agent.receive(farRequest('INVITE', invite, { cseq: 2, body: AUDIO_SDP }), far));
  assert.deepEqual(events().at(-1), { type: 'refreshed', callId, method: 'INVITE' });
  clock.apply(agent.receive(farRequest('ACK', invite, { cseq: 2 }), far));
  // A far end that re-INVITEs to T.38 is declined: the pool's T.38 is off.
  clock.apply(agent.receive(farRequest('INVITE', invite, { cseq: 3, body: T38_SDP(41000) }), far));
  assert.equal(clock.sends(488).length, 1);
  assert.equal(events().some((e) => e.type === 't38'), false);
});

test('audio pool, incoming: an INVITE offering T.38 and audio is answered with audio only; a T.38-only INVITE gets 488', () => {
  const { agent, clock, events } = ua({ media: 'audio' });
  const both = `${AUDIO_SDP}m=image 42000 udptl t38\r\na=T38FaxVersion:0\r\na=T38FaxRateManagement:transferredTCF\r\n`;
  const inv = (id: string, body: string): SipRequest => ({
    kind: 'request', method: 'INVITE', uri: 'sip:100@127.0.0.1:5070', body,
    headers: [['Via', `SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bK${id};rport`], ['From', '<sip:200@carrier>;tag=c1'], ['To', '<sip:100@trunk.test>'], ['Call-ID', id], ['CSeq', '1 INVITE'], ['Contact', '<sip:c@127.0.0.1:5080>'], ['Content-Type', 'application/sdp']],
  });
  clock.apply(agent.receive(inv('a', both), far));
  clock.apply(agent.answer('a', media));
  const ok = last(clock, 200) as SipResponse;
  assert.match(ok.body, /m=audio 7000 RTP\/AVP 0 101/);
  assert.match(ok.body, /m=image 0 udptl t38/, 'the image line declined with port 0 (RFC 3264 §6)');
  assert.deepEqual(events().map((e) => e.type), ['incoming', 'answered', 'audio']);
  clock.apply(agent.receive(inv('b', T38_SDP(42000)), far));
  clock.apply(agent.answer('b', media));
  assert.equal(clock.sends(488).length, 1);
});

test('t38-then-audio, incoming audio INVITE: our at-once T.38 re-INVITE refused with 488, the call faxes over audio', () => {
  const { agent, clock, events } = ua({ media: 't38-then-audio' });
  const inv: SipRequest = {
    kind: 'request', method: 'INVITE', uri: 'sip:100@127.0.0.1:5070', body: AUDIO_SDP.replace('RTP/AVP 0 101', 'RTP/AVP 8 0'),
    headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKin9'], ['From', '<sip:200@carrier>;tag=c1'], ['To', '<sip:100@trunk.test>'], ['Call-ID', 'in-9'], ['CSeq', '1 INVITE'], ['Contact', '<sip:c@127.0.0.1:5080>'], ['Content-Type', 'application/sdp']],
  };
  clock.apply(agent.receive(inv, far));
  clock.apply(agent.answer('in-9', media));
  const ok = last(clock, 200) as SipResponse;
  assert.match(ok.body, /m=audio 7000 RTP\/AVP 8\r\n/, 'PCMA, the first law the caller listed');
  const tag = parseNameAddr(header(ok, 'To')!).params.tag;
  clock.apply(agent.receive({ ...inv, method: 'ACK', body: '', headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5080;branch=z9hG4bKack9'], ['From', '<sip:200@carrier>;tag=c1'], ['To', `<sip:100@trunk.test>;tag=${tag}`], ['Call-ID', 'in-9'], ['CSeq', '1 ACK']] }, far));
  const re = last(clock, 'INVITE') as SipRequest;
  assert.equal(events().some((e) => e.type === 'audio'), false, 'no audio fax while T.38 is being asked for');
  clock.apply(agent.receive(reply(re, 488), far));
  assert.deepEqual(events().at(-1), { type: 'audio', callId: 'in-9', remote: { host: '127.0.0.1', port: 9000, law: 'alaw' }, why: 'the far end refused T.38 (488 R)' });
  assert.equal(clock.sends('BYE').length, 0);
});
