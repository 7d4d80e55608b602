import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, type Peer } from './actions.ts';
import { TransactionLayer, type ClientTransaction, type ServerTransaction } from './transaction.ts';
import { header, type SipRequest, type SipResponse } from './message.ts';
import { FakeClock } from '../test/fake-clock.ts';

const udp: Peer = { host: '127.0.0.1', port: 5060, transport: 'UDP' };
const tcp: Peer = { ...udp, transport: 'TCP' };

function req(method: string, branch = 'z9hG4bKb1', cseq = 1): SipRequest {
  return {
    kind: 'request', method, uri: 'sip:fax@127.0.0.1', body: '',
    headers: [['Via', `SIP/2.0/UDP 127.0.0.1:5070;branch=${branch};rport`], ['From', '<sip:a@x>;tag=f1'], ['To', '<sip:b@y>'], ['Call-ID', 'c1'], ['CSeq', `${cseq} ${method}`]],
  };
}
function res(r: SipRequest, status: number, toTag = 't1'): SipResponse {
  return { kind: 'response', status, reason: 'X', body: '', headers: r.headers.map(([n, v]) => [n, n === 'To' ? `${v};tag=${toTag}` : v] as [string, string]) };
}

function layer() {
  const out = new Outbox<never>();
  const got: { responses: number[]; timeouts: number; serverTimeouts: number } = { responses: [], timeouts: 0, serverTimeouts: 0 };
  const tl = new TransactionLayer(out as Outbox<unknown>, {
    response: (_tx: ClientTransaction, r: SipResponse) => got.responses.push(r.status),
    timeout: () => got.timeouts++,
    serverTimeout: () => got.serverTimeouts++,
  });
  const clock = new FakeClock<never>((id) => {
    tl.tick(id);
    return out.take();
  });
  const run = <T>(f: () => T): T => {
    const v = f();
    clock.apply(out.take());
    return v;
  };
  return { tl, clock, run, got };
}

test('INVITE client on UDP: timer A doubles (0.5, 1, 2, 4, 8, 16 s), timer B gives up after 64*T1 = 32 s', () => {
  const { tl, clock, run, got } = layer();
  run(() => tl.request(req('INVITE'), udp));
  clock.advance(40_000);
  assert.deepEqual(clock.sends('INVITE').map((s) => s.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(got.timeouts, 1);
  assert.equal(tl.size, 0);
});

test('INVITE client: a provisional stops retransmission; a non-2xx final is ACKed inside the transaction, and again for each retransmission', () => {
  const { tl, clock, run, got } = layer();
  const r = req('INVITE');
  run(() => tl.request(r, udp));
  clock.advance(600);
  run(() => tl.receiveResponse(res(r, 180)));
  clock.advance(10_000);
  assert.equal(clock.sends('INVITE').length, 2);
  run(() => tl.receiveResponse(res(r, 486)));
  const ack = clock.sends('ACK');
  assert.equal(ack.length, 1);
  // §17.1.1.3: same branch and Request-URI, To with the response's tag, CSeq method ACK.
  assert.equal(header(ack[0].message, 'Via'), header(r, 'Via'));
  assert.equal(header(ack[0].message, 'To'), '<sip:b@y>;tag=t1');
  assert.equal(header(ack[0].message, 'CSeq'), '1 ACK');
  run(() => tl.receiveResponse(res(r, 486)));
  assert.equal(clock.sends('ACK').length, 2);
  assert.deepEqual(got.responses, [180, 486]);
  clock.advance(32_000);
  assert.equal(tl.size, 0, 'timer D ended the transaction');
});

test('INVITE client: a 2xx ends the transaction and is passed to the TU without an ACK (the TU ACKs 2xx, §13.2.2.4)', () => {
  const { tl, clock, run, got } = layer();
  const r = req('INVITE');
  run(() => tl.request(r, udp));
  run(() => tl.receiveResponse(res(r, 200)));
  assert.equal(clock.sends('ACK').length, 0);
  assert.deepEqual(got.responses, [200]);
  assert.equal(run(() => tl.receiveResponse(res(r, 200))), false, 'a retransmitted 2xx matches no transaction');
  clock.advance(40_000);
  assert.equal(clock.sends('INVITE').length, 1);
});

test('no retransmissions on TCP; timer B still bounds the INVITE', () => {
  const { tl, clock, run, got } = layer();
  run(() => tl.request(req('INVITE'), tcp));
  clock.advance(33_000);
  assert.equal(clock.sends('INVITE').length, 1);
  assert.equal(got.timeouts, 1);
});

test('non-INVITE client: timer E doubles to T2 = 4 s, stays at T2 after a provisional; timer F times out at 32 s', () => {
  const { tl, clock, run, got } = layer();
  run(() => tl.request(req('REGISTER'), udp));
  clock.advance(40_000);
  assert.deepEqual(clock.sends('REGISTER').map((s) => s.at), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  assert.equal(got.timeouts, 1);

  const b = layer();
  const r = req('OPTIONS');
  b.run(() => b.tl.request(r, udp));
  b.clock.advance(600);
  b.run(() => b.tl.receiveResponse(res(r, 100)));
  b.clock.advance(9_000);
  assert.deepEqual(b.clock.sends('OPTIONS').map((s) => s.at), [0, 500, 1500, 5500, 9500]);
  b.run(() => b.tl.receiveResponse(res(r, 200)));
  b.run(() => b.tl.receiveResponse(res(r, 200)));
  assert.deepEqual(b.got.responses, [100, 200], 'the retransmitted final is absorbed in Completed');
  b.clock.advance(5_000);
  assert.equal(b.tl.size, 0, 'timer K (T4) ended it');
});

test('INVITE server: a retransmitted INVITE gets the last provisional again; a non-2xx final is retransmitted (timer G) until the ACK', () => {
  const { tl, clock, run, got } = layer();
  const r = req('INVITE', 'z9hG4bKsrv');
  const tx = run(() => tl.receiveRequest(r, udp)) as ServerTransaction;
  assert.equal(tx.kind, 'server');
  run(() => tl.respond(tx, res(r, 100)));
  assert.equal(run(() => tl.receiveRequest(r, udp)), 'absorbed');
  assert.equal(clock.sends(100).length, 2);
  run(() => tl.respond(tx, res(r, 488)));
  clock.advance(2_000);
  assert.deepEqual(clock.sends(488).map((s) => s.at), [0, 500, 1500]);
  const ack: SipRequest = { ...r, method: 'ACK', headers: r.headers.map(([n, v]) => [n, n === 'CSeq' ? '1 ACK' : v] as [string, string]) };
  assert.equal(run(() => tl.receiveRequest(ack, udp)), 'absorbed');
  clock.advance(20_000);
  assert.equal(clock.sends(488).length, 3, 'no retransmission after the ACK');
  assert.equal(tl.size, 0, 'timer I ended it');
  assert.equal(got.serverTimeouts, 0);
});

test('INVITE server: timer H fires when no ACK comes; a 2xx leaves retransmission to the TU', () => {
  const { tl, clock, run, got } = layer();
  const r = req('INVITE', 'z9hG4bKh');
  const tx = run(() => tl.receiveRequest(r, udp)) as ServerTransaction;
  run(() => tl.respond(tx, res(r, 603)));
  clock.advance(33_000);
  assert.equal(got.serverTimeouts, 1);
  assert.deepEqual(clock.sends(603).map((s) => s.at), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);

  const b = layer();
  const r2 = req('INVITE', 'z9hG4bKok');
  const tx2 = b.run(() => b.tl.receiveRequest(r2, udp)) as ServerTransaction;
  b.run(() => b.tl.respond(tx2, res(r2, 200)));
  b.clock.advance(10_000);
  assert.equal(b.clock.sends(200).length, 1);
  assert.equal(b.tl.size, 0);
  const ack: SipRequest = { ...r2, method: 'ACK', headers: [['Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKnew'], ['CSeq', '1 ACK']] };
  assert.equal(b.run(() => b.tl.receiveRequest(ack, udp)), 'ack', 'the 2xx ACK is for the TU');
});

test('non-INVITE server: retransmitted requests get the final again until timer J (32 s on UDP)', () => {
  const { tl, clock, run } = layer();
  const r = req('BYE', 'z9hG4bKbye', 2);
  const tx = run(() => tl.receiveRequest(r, udp)) as ServerTransaction;
  run(() => tl.respond(tx, res(r, 200)));
  clock.advance(10_000);
  assert.equal(run(() => tl.receiveRequest(r, udp)), 'absorbed');
  assert.equal(clock.sends(200).length, 2);
  clock.advance(30_000);
  assert.equal(tl.size, 0);
  assert.notEqual(run(() => tl.receiveRequest(r, udp)), 'absorbed', 'after timer J the same branch is a new transaction');
});

test('CANCEL finds its INVITE by branch and sent-by; matching distinguishes methods', () => {
  const { tl, run } = layer();
  const inv = req('INVITE', 'z9hG4bKcan');
  const itx = run(() => tl.receiveRequest(inv, udp)) as ServerTransaction;
  const cancel = { ...req('CANCEL', 'z9hG4bKcan') };
  const ctx = run(() => tl.receiveRequest(cancel, udp)) as ServerTransaction;
  assert.notEqual(ctx, 'absorbed');
  assert.equal(tl.findInvite(cancel), itx);
  assert.equal(tl.findInvite(req('CANCEL', 'z9hG4bKother')), undefined);
});
