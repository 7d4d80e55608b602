// Whole faxes through SIP calls whose signalling goes wrong on the way to T.38, judged by
// spandsp's T.38 terminal on the UDPTL port SIPp's SDP names: 491 glare (RFC 3261 §14.1) and a
// lost 200 OK to our T.38 re-INVITE (§17.1.1.2 timer A). libs/sip/test/sipp.test.ts checks the
// same signalling alone; here the fax must still arrive, once and exactly. Outgoing too, the far
// end's first 200 to our INVITE is lost and repeated (§13.3.1.4), each copy ACKed (§13.2.2.4).
// Incoming, the caller's ACK to our 200 is withheld (§13.3.1.4: we retransmit the 200) while the
// fax starts, and the caller's T.38 re-INVITE crosses ours (glare with faxgate as the answerer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';
import { sipp, sippTrace } from '../../../libs/sip/test/sipp.ts';

const bench = useSipBench('faxgate-sip-glare');

test('outgoing: 491 glare on the switch to T.38 (SIPp re-INVITEs across ours and answers ours 491); faxgate retries after its random delay and spandsp receives the page exactly', { timeout: 110_000 }, async () => {
  const received = join(bench.dir.path, 'spandsp-glare.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '80']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(bench.dir.path, 'uas-glare.xml', { keys: { udptl_port: udptl }, timeoutS: 95 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  try {
    const outcome = await d.send({ callId: 'c-glare', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`);
    assert.equal(outcome.pagesSent, 1);
    // SIPp ran its scenario to the end: it got faxgate's 491 to its own re-INVITE, and accepted
    // faxgate's retried T.38 re-INVITE after rejecting the first with 491.
    assert.equal(await far.done(), 0, far.logs());
    const trace = far.logs();
    assert.ok((trace.match(/^SIP\/2\.0 491 /gm) ?? []).length >= 2, `a 491 each way:\n${trace}`);
    await assertOnePageExact(sp, { spandspWrote: received });
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});

test('outgoing: the 200 OK to our T.38 re-INVITE is lost; faxgate retransmits the re-INVITE (timer A), the fax runs once and spandsp receives the page exactly', { timeout: 110_000 }, async () => {
  const received = join(bench.dir.path, 'spandsp-lost-200.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '80']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  // The lossy path: every SIP message between faxgate and SIPp passes this relay (SIPp's Contact
  // names it), and it drops SIPp's first 200 that answers T.38.
  const relay = await lossyRelay((m) => m.startsWith('SIP/2.0 200 OK') && /^m=image /m.test(m));
  const far = await sipp(bench.dir.path, 'uas-lost-200-t38.xml', { keys: { udptl_port: udptl, relay_port: relay.port }, timeoutS: 95 });
  relay.target = far.port;
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${relay.port}` });
  try {
    const outcome = await d.send({ callId: 'c-lost', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    const evidence = () => `${JSON.stringify(outcome)}\nrelay:\n${relay.seen.join('\n')}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`;
    assert.equal(outcome.result, 'success', evidence());
    assert.equal(outcome.pagesSent, 1, evidence());
    assert.equal(await far.done(), 0, far.logs());
    assert.equal(relay.dropped, 1, evidence());
    const reinvites = relay.seen.filter((l) => l.startsWith('up INVITE') && l.includes('t38'));
    assert.ok(reinvites.length >= 2, `faxgate sent its T.38 re-INVITE again after the lost 200:\n${evidence()}`);
    assert.equal(new Set(reinvites.map((l) => l.replace(/ t38$/, ''))).size, 1, `the same re-INVITE (one CSeq), retransmitted, not a new one:\n${evidence()}`);
    await assertOnePageExact(sp, { spandspWrote: received });
  } finally {
    sp.kill();
    far.proc.kill();
    relay.close();
    await d.stop();
  }
});

test('incoming: the caller withholds its ACK to our 200 (T.38 offered at once); faxgate retransmits the 200 until the ACK comes, receives the fax once, and the page equals what spandsp sent', { timeout: 110_000 }, async () => {
  const sp = start(bench.peer, ['send', '--file', bench.page, '--ecm', '1', '--timeout', '80']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const d = sipDriver();
  const got: Delivered[] = [];
  let done!: () => void;
  const delivered = new Promise<void>((r) => { done = r; });
  const stop = await d.listen(async (_call, outcome) => {
    got.push(outcome);
    done();
    return `in-${got.length}`;
  });
  const far = await sipp(bench.dir.path, 'uac-t38-late-ack.xml', { remote: `127.0.0.1:${d.port}`, service: '2125550188', keys: { udptl_port: udptl }, timeoutS: 95 });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([delivered, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`no fax delivered within 80 s\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`)), 80_000); })]);
    clearTimeout(timer);
    // SIPp ran its scenario to the end: a second 200 came before its ACK, and faxgate's BYE after the fax.
    assert.equal(await far.done(), 0, far.logs());
    assert.ok((far.logs().match(/^SIP\/2\.0 200 OK[\s\S]*?^CSeq: 1 INVITE/gm) ?? []).length >= 2, `faxgate's 200 to the INVITE, sent again:\n${far.logs()}`);
    await assertOnePageExact(sp, { faxgateGot: got, name: 'late-ack' });
  } finally {
    sp.kill();
    far.proc.kill();
    await stop();
  }
});

test('outgoing: the far end\'s first 200 to our INVITE is lost and it sends the 200 again until our ACK, then once more; faxgate ACKs each copy (§13.2.2.4), answers the call once, and spandsp receives the page exactly', { timeout: 110_000 }, async () => {
  const received = join(bench.dir.path, 'spandsp-lost-first-200.tif');
  const sp = start(bench.peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '80']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  const far = await sipp(bench.dir.path, 'uas-lost-first-200.xml', { keys: { udptl_port: udptl }, timeoutS: 95 });
  const d = sipDriver({ dialFormat: `sip:{e164}@127.0.0.1:${far.port}` });
  try {
    const outcome = await d.send({ callId: 'c-lost-first', number: '+12125550100', dialString: '12125550100', document: new Uint8Array(readFileSync(bench.page)), fromPage: 1, line: 'test/1' }, new AbortController().signal);
    const evidence = () => `${JSON.stringify(outcome)}\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`;
    assert.equal(outcome.result, 'success', evidence());
    assert.equal(outcome.pagesSent, 1, evidence());
    // SIPp ran to its end: an ACK came for the retransmitted 200 and another for the extra copy.
    assert.equal(await far.done(), 0, far.logs());
    const timeline = sippTrace(far.logs());
    const sent200 = timeline.filter((e) => e.dir === 'sent' && e.line.startsWith('SIP/2.0 200') && /^1 INVITE/.test(e.cseq));
    assert.equal(sent200.length, 2, `two copies of the 200 on the wire (the first was lost):\n${far.logs()}`);
    assert.match(far.logs(), /voluntary lost/i, 'SIPp lost the first 200');
    const acks = timeline.filter((e) => e.dir === 'received' && e.line.startsWith('ACK ') && /^1 ACK/.test(e.cseq));
    assert.equal(acks.length, 2, `one ACK per 200 that arrived:\n${far.logs()}`);
    assert.ok(acks[0].at > sent200[0].at && acks[1].at > sent200[1].at, `each ACK answers a copy of the 200:\n${far.logs()}`);
    const invites = timeline.filter((e) => e.dir === 'received' && e.line.startsWith('INVITE '));
    assert.deepEqual(invites.map((e) => e.cseq.replace(/^\d+ /, '')), ['INVITE', 'INVITE'], `the INVITE once (a provisional stopped timer A) and one T.38 re-INVITE:\n${far.logs()}`);
    await assertOnePageExact(sp, { spandspWrote: received });
  } finally {
    sp.kill();
    far.proc.kill();
    await d.stop();
  }
});

test('incoming: glare while faxgate answers (RFC 3261 §14.1): the caller re-INVITEs to T.38 across faxgate\'s own; each answers 491, faxgate (not the Call-ID\'s owner) retries within 0-2 s, and the page equals what spandsp sent', { timeout: 110_000 }, async () => {
  const sp = start(bench.peer, ['send', '--file', bench.page, '--ecm', '1', '--timeout', '80']);
  const udptl = (await sp.waitFor(/LISTENING (\d+)/))[1];
  // The §14.1 draw pinned to its middle: 1000 ms for the answerer; were faxgate to take the
  // owner's range by mistake, 2100 + 950 ms.
  const d = sipDriver({ sip: { bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500, random: () => 0.5 } });
  const got: Delivered[] = [];
  let done!: () => void;
  const delivered = new Promise<void>((r) => { done = r; });
  const stop = await d.listen(async (_call, outcome) => {
    got.push(outcome);
    done();
    return `in-${got.length}`;
  });
  // A long link between the carrier and faxgate: both re-INVITEs are in flight at once.
  const linkMs = 100;
  const link = await delayRelay(d.port, linkMs);
  const far = await sipp(bench.dir.path, 'uac-audio-glare.xml', { remote: `127.0.0.1:${link.front}`, service: '2125550188', keys: { udptl_port: udptl, relay_port: link.back }, timeoutS: 95 });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([delivered, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`no fax delivered within 80 s\n${sp.stdout()}${sp.stderr()}\n${far.logs()}`)), 80_000); })]);
    clearTimeout(timer);
    // SIPp ran its scenario to the end: faxgate's re-INVITE crossed its own, faxgate answered
    // its re-INVITE 491 and ACKed SIPp's 491, retried, and hung up after the fax.
    assert.equal(await far.done(), 0, far.logs());
    const timeline = sippTrace(far.logs());
    const theirs491 = timeline.find((e) => e.dir === 'sent' && e.line.startsWith('SIP/2.0 491'));
    const ours491 = timeline.find((e) => e.dir === 'received' && e.line.startsWith('SIP/2.0 491'));
    assert.ok(theirs491 && ours491, `a 491 each way:\n${far.logs()}`);
    const invites = timeline.filter((e) => e.dir === 'received' && e.line.startsWith('INVITE '));
    assert.equal(invites.length, 2, `faxgate's re-INVITE and one retry:\n${far.logs()}`);
    assert.notEqual(invites[0].cseq, invites[1].cseq, 'the retry is a new request (§14.1), not a retransmission');
    // SIPp's 491 reaches faxgate one link delay late, and the retry comes back one later.
    const waited = invites[1].at - theirs491.at - 2 * linkMs;
    assert.ok(waited >= 1000 - 50 && waited < 2000, `faxgate retried ${Math.round(waited)} ms after SIPp's 491 reached it; the answerer waits 0-2 s (here 1000 ms)\n${far.logs()}`);
    await assertOnePageExact(sp, { faxgateGot: got, name: 'glare' });
  } finally {
    sp.kill();
    far.proc.kill();
    link.close();
    await stop();
  }
});

/** What faxgate's listener was handed for an incoming call. */
type Delivered = { pages: number; partial: boolean; reason?: string; document?: Uint8Array };

/**
 * The page verdict of every test here: spandsp's T.38 terminal ended its call in success, one
 * page crossed, once, and it equals the bench's page pixel for pixel as libtiff decodes it.
 * Outgoing, spandsp received it into `spandspWrote`; incoming, faxgate's listener was handed
 * `faxgateGot` (one fax, not one per retransmitted 200 or re-INVITE), written out under `name`.
 */
async function assertOnePageExact(sp: Proc, page: { spandspWrote: string } | { faxgateGot: Delivered[]; name: string }): Promise<void> {
  let file: string;
  if ('spandspWrote' in page) {
    file = page.spandspWrote;
  } else {
    const got = page.faxgateGot;
    assert.equal(got.length, 1, `one fax delivered: ${JSON.stringify(got.map((g) => ({ ...g, document: undefined })))}`);
    assert.equal(got[0].partial, false, `${got[0].reason}\n${sp.stdout()}`);
    assert.equal(got[0].pages, 1);
    file = join(bench.dir.path, `faxgate-received-${page.name}.tif`);
    writeFileSync(file, got[0].document!);
  }
  assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
  if ('spandspWrote' in page) assert.match(sp.stdout(), /pages_rx=1 /, `spandsp received one page, once:\n${sp.stdout()}`);
  assert.equal(comparePages(bench.dir.path, bench.page, file), null, `the page ${'spandspWrote' in page ? 'spandsp received' : 'faxgate received'} differs from the one sent`);
}

/**
 * A UDP relay in front of SIPp (`target`, set once SIPp runs): faxgate talks to `port`, SIPp
 * answers the relay's back socket. It drops the first datagram from SIPp that `drop` picks, and
 * keeps a one-line record (direction, start line, CSeq, whether T.38 is offered) of everything.
 */
async function lossyRelay(drop: (m: string) => boolean) {
  const bind = async (): Promise<Socket> => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return s;
  };
  const front = await bind();
  const back = await bind();
  let client: { address: string; port: number } | undefined;
  const summary = (dir: string, m: string) => `${dir} ${m.slice(0, m.indexOf('\r\n'))} | ${/^CSeq:[^\r\n]*/m.exec(m)?.[0] ?? ''}${/^m=image /m.test(m) ? ' t38' : ''}`;
  const state = { port: front.address().port, target: 0, dropped: 0, seen: [] as string[], close: () => { front.close(); back.close(); } };
  front.on('message', (d, r) => {
    client = { address: r.address, port: r.port };
    state.seen.push(summary('up', d.toString('latin1')));
    if (state.target) back.send(d, state.target, '127.0.0.1');
  });
  back.on('message', (d) => {
    const m = d.toString('latin1');
    if (state.dropped === 0 && drop(m)) {
      state.dropped++;
      state.seen.push(summary('DROPPED', m));
      return;
    }
    state.seen.push(summary('down', m));
    if (client) front.send(d, client.port, client.address);
  });
  return state;
}

/**
 * A link with `ms` of delay each way between SIPp and faxgate (at `target`): SIPp sends to
 * `front`, faxgate sends to `back` (SIPp's Contact; its Via's rport brings faxgate's responses
 * there too). Every datagram is held `ms`, so the order each way is kept.
 */
async function delayRelay(target: number, ms: number) {
  const bind = async (): Promise<Socket> => {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    return s;
  };
  const front = await bind();
  const back = await bind();
  let sipp: { address: string; port: number } | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const later = (f: () => void) => {
    const t = setTimeout(() => { timers.delete(t); f(); }, ms);
    timers.add(t);
  };
  front.on('message', (d, r) => {
    sipp = { address: r.address, port: r.port };
    later(() => back.send(d, target, '127.0.0.1'));
  });
  back.on('message', (d) => later(() => { if (sipp) front.send(d, sipp.port, sipp.address); }));
  return { front: front.address().port, back: back.address().port, close: () => { for (const t of timers) clearTimeout(t); front.close(); back.close(); } };
}
