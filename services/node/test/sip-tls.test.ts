// SIP over TLS (RFC 3261 §26.2.1, transport=tls) against a real TLS peer: Kamailio with its tls
// module as registrar and proxy. A test CA made with openssl signs one certificate for
// 127.0.0.1 (IP SAN) that Kamailio and the nodes serve. Two nodes register over TLS (401,
// digest), node A faxes node B through Kamailio (407, Record-Route), Kamailio opening its own
// TLS connection to B's contact and verifying B's certificate; libtiff compares the page. A node
// that trusts another CA refuses Kamailio's certificate and never sends it a request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { tempDir, waitUntil, type TempDir } from '@faxgate/testkit';
import type { IncomingCall, ReceiveOutcome } from '@faxgate/line-driver';
import { SipLineDriver } from '../src/sip-line-driver.ts';
import { comparePages, makeTiff } from '../../../libs/t38/test/fax-peers.ts';
import { startKamailio, type Kamailio } from '../../../libs/sip/test/kamailio.ts';

let dir: TempDir;
let kam: Kamailio;
/** PEM paths: the test CA, the certificate for 127.0.0.1 it signed and its key, and a CA that signed nothing here. */
let pki: { ca: string; cert: string; key: string; otherCa: string; otherCert: string; otherKey: string };

/** A CA and a certificate for 127.0.0.1 signed by it (P-256 keys: quick to make). */
function makeCa(d: string, name: string): { crt: string; key: string } {
  const crt = join(d, `${name}.crt`), key = join(d, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=faxgate test ${name}`], { stdio: 'pipe' });
  return { crt, key };
}

before(async () => {
  dir = await tempDir('faxgate-sip-tls');
  const d = dir.path;
  const ca = makeCa(d, 'ca');
  const other = makeCa(d, 'other-ca');
  const ext = join(d, 'node.ext');
  // RFC 5922 §7.1: the identity is in subjectAltName (an IP address here: every peer is on loopback).
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  const issue = (name: string, by: { crt: string; key: string }) => {
    const key = join(d, `${name}.key`), csr = join(d, `${name}.csr`), cert = join(d, `${name}.crt`);
    execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1'], { stdio: 'pipe' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', by.crt, '-CAkey', by.key, '-CAcreateserial', '-out', cert, '-days', '2', '-extfile', ext], { stdio: 'pipe' });
    return { cert, key };
  };
  const { cert, key } = issue('node', ca);
  const stranger = issue('stranger', other);
  pki = { ca: ca.crt, cert, key, otherCa: other.crt, otherCert: stranger.cert, otherKey: stranger.key };
  kam = await startKamailio(d, 'tls-secret', { tls: { cert, key, ca: ca.crt } });
});
after(async () => {
  await kam?.stop();
  await dir?.remove();
});

function node(user: string, logs: string[], ca = pki.ca, own = { cert: pki.cert, key: pki.key }): SipLineDriver {
  const log = pino({ level: 'info' }, { write: (l: string) => logs.push(l.trim()) });
  return new SipLineDriver({
    sip: {
      bindHost: '127.0.0.1', bindPort: 0, transport: 'TLS', user, domain: '127.0.0.1', outboundProxy: { host: '127.0.0.1', port: kam.tlsPort! }, registrar: 'sip:127.0.0.1',
      credentials: { username: user, password: 'tls-secret' }, t38WaitMs: 3000,
      tls: { cert: readFileSync(own.cert, 'utf8'), key: readFileSync(own.key, 'utf8'), ca: readFileSync(ca, 'utf8') },
    },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: 1, callsPerSecond: 0, localId: user, ecm: true, redundancy: 3, country: 'US',
    line: `${user}/sip`, keepAliveMs: 0, log,
  });
}

test('over TLS through Kamailio: both nodes register, A faxes B, Kamailio calls B on its TLS contact, the page arrives intact', { timeout: 90_000 }, async () => {
  const page = makeTiff(dir.path, 'letter', 1, 196);
  const logsA: string[] = [], logsB: string[] = [];
  const a = node('+12125550100', logsA);
  const b = node('+12125550188', logsB);
  const got: Array<{ call: Omit<IncomingCall, 'simRemote'>; outcome: ReceiveOutcome }> = [];
  const dump = () => `--- node A ---\n${logsA.join('\n')}\n--- node B ---\n${logsB.join('\n')}\n${kam.logs()}`;
  const stopB = await b.listen(async (call, outcome) => {
    got.push({ call, outcome });
    return 'in-1';
  });
  const stopA = await a.listen(async () => 'unused');
  try {
    await waitUntil('both nodes registered with Kamailio over TLS', () => logsA.some((l) => l.includes('sip registered')) && logsB.some((l) => l.includes('sip registered')), 15_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const outcome = await a.send({ callId: 't1', number: '+12125550188', dialString: '12125550188', document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'a/1' }, new AbortController().signal);
    assert.equal(outcome.result, 'success', `${JSON.stringify(outcome)}\n${dump()}`);
    await waitUntil('node B handed the fax to its sink', () => got.length > 0, 15_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const { call, outcome: rx } = got[0];
    assert.equal(rx.partial, false, rx.reason);
    assert.equal(call.did, '+12125550188');
    assert.equal(call.callingNumber, '+12125550100');
    const out = join(dir.path, 'b-received.tif');
    writeFileSync(out, rx.document!);
    assert.equal(comparePages(dir.path, page, out), null, 'B\'s page differs from what A sent');
    // Kamailio logs each request's transport ($pr): every one of them came over TLS.
    const reqs = kam.logs().match(/REQ \w+ \S+ from \S+ over \w+/g) ?? [];
    assert.ok(reqs.some((r) => /^REQ REGISTER .* over tls$/.test(r)), `no REGISTER over TLS\n${dump()}`);
    assert.ok(reqs.some((r) => /^REQ INVITE sip:\+12125550188@127\.0\.0\.1 .* over tls$/.test(r)), `no INVITE over TLS\n${dump()}`);
    assert.deepEqual(reqs.filter((r) => !r.endsWith(' over tls')), [], 'a request reached Kamailio over something else than TLS');
    assert.match(logsB.join('\n'), /"media":"t38"/, 'the fax went over T.38');
  } finally {
    await stopA();
    await stopB();
  }
});

test('a node that does not trust the certificate refuses the TLS connection and sends Kamailio nothing', { timeout: 60_000 }, async () => {
  const logs: string[] = [];
  const requests = () => kam.logs().match(/REQ \w+ /g)?.length ?? 0;
  const before = requests();
  const c = node('+12125550199', logs, pki.otherCa);
  const stop = await c.listen(async () => 'unused');
  try {
    await waitUntil('node C reported the refused certificate', () => logs.some((l) => l.includes('sip socket error')), 15_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${logs.join('\n')}\n${kam.logs()}`);
    });
    assert.match(logs.find((l) => l.includes('sip socket error'))!, /TLS connection to 127\.0\.0\.1:\d+ failed: .*(certificate|self.signed)/i);
    // Nothing arriving needs a window to not arrive in: a REGISTER written after the refusal would be logged by then.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(requests(), before, `Kamailio received a request from the node that refused its certificate\n${kam.logs()}`);
    assert.ok(!logs.some((l) => l.includes('sip registered')));
  } finally {
    await stop();
  }
});

test('Kamailio verifies the node it calls: a callee whose certificate another CA signed registers, but its call never reaches it', { timeout: 90_000 }, async () => {
  const logsA: string[] = [], logsB: string[] = [];
  const a = node('+12125550101', logsA);
  // B trusts the right CA (so it can register with Kamailio) but serves a certificate Kamailio cannot verify.
  const b = node('+12125550189', logsB, pki.ca, { cert: pki.otherCert, key: pki.otherKey });
  const dump = () => `--- node A ---\n${logsA.join('\n')}\n--- node B ---\n${logsB.join('\n')}\n${kam.logs()}`;
  let incoming = 0;
  const stopB = await b.listen(async () => {
    incoming++;
    return 'in-x';
  });
  const stopA = await a.listen(async () => 'unused');
  try {
    await waitUntil('both nodes registered with Kamailio over TLS', () => logsA.some((l) => l.includes('sip registered')) && logsB.some((l) => l.includes('sip registered')), 15_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${dump()}`);
    });
    const page = makeTiff(dir.path, 'letter-x', 1, 196);
    const outcome = await a.send({ callId: 't2', number: '+12125550189', dialString: '12125550189', document: new Uint8Array(readFileSync(page)), fromPage: 1, line: 'a/1' }, new AbortController().signal)
      .catch((err: Error) => ({ result: 'error', reason: err.message }));
    assert.notEqual(outcome.result, 'success', dump());
    assert.equal(incoming, 0);
    assert.ok(!logsB.some((l) => l.includes('sip call answered')), `B answered a call Kamailio should not have delivered\n${dump()}`);
    assert.match(kam.logs(), /certificate verify failed/, 'Kamailio refused B\'s certificate');
    assert.ok(logsB.some((l) => /sip socket error/.test(l) && /unknown ca/i.test(l)), `B saw Kamailio's TLS alert (unknown CA)\n${dump()}`);
  } finally {
    await stopA();
    await stopB();
  }
});
