// Whole faxes through SIP calls whose signalling goes wrong on the way to T.38, judged by
// spandsp's T.38 terminal on the UDPTL port SIPp's SDP names: 491 glare (RFC 3261 §14.1) and a
// lost 200 OK to our T.38 re-INVITE (§17.1.1.2 timer A). libs/sip/test/sipp.test.ts checks the
// same signalling alone; here the fax must still arrive, once and exactly. Incoming, the caller's
// ACK to our 200 is withheld (§13.3.1.4: we retransmit the 200) while the fax starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sipDriver, useSipBench } from './sip-bench.ts';
import { comparePages, start } from '../../../libs/t38/test/fax-peers.ts';
import { sipp } from '../../../libs/sip/test/sipp.ts';

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
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.match(sp.stdout(), /pages_rx=1 /, `spandsp received one page:\n${sp.stdout()}`);
    assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
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
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    assert.match(sp.stdout(), /pages_rx=1 /, `spandsp received one page, once:\n${sp.stdout()}`);
    assert.equal(comparePages(bench.dir.path, bench.page, received), null, 'spandsp\'s page differs from the one sent');
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
  const got: Array<{ pages: number; partial: boolean; reason?: string; document?: Uint8Array }> = [];
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
    assert.equal(got.length, 1, `one fax delivered, not one per 200: ${JSON.stringify(got.map((g) => ({ ...g, document: undefined })))}`);
    assert.equal(got[0].partial, false, `${got[0].reason}\n${sp.stdout()}`);
    assert.equal(got[0].pages, 1);
    assert.equal(await sp.exit, 0, `spandsp did not report success:\n${sp.stdout()}${sp.stderr()}`);
    const out = join(bench.dir.path, 'faxgate-received-late-ack.tif');
    writeFileSync(out, got[0].document!);
    assert.equal(comparePages(bench.dir.path, bench.page, out), null, 'faxgate\'s received page differs from what spandsp sent');
  } finally {
    sp.kill();
    far.proc.kill();
    await stop();
  }
});

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
