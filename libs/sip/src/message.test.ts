import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMessage, serialise, header, headers, StreamFramer, SipParseError, type SipMessage, type Header } from './message.ts';
import { parseNameAddr, parseVia, parseCSeq, parseUri, formatVia, formatNameAddr } from './fields.ts';

// Shaped after RFC 4475 §3.1.1.1 ("A Short Tortuous INVITE"): folding, compact forms,
// odd whitespace, list headers on one line.
const tortuous = [
  'INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0',
  'TO :',
  ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
  'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
  '  ;',
  '  tag = 98asjd8',
  'MaX-fOrWaRdS: 0068',
  'Call-ID: wsinv.ndaksdj@192.0.2.1',
  'Content-Length   : 15',
  'cseq: 0009',
  '  INVITE',
  'Via  : SIP  /   2.0',
  ' /UDP',
  '    192.0.2.2;rport;branch=390skdjuw',
  'v: SIP/2.0/TCP spindle.example.com   ;',
  '  branch  =   z9hG4bK9ikj8  ,',
  ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
  ' z9hG4bK30239',
  'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
  '      newvalue ;',
  '  secondparam ; q = 0.33',
  '',
  'v=0',
  'o=mhandley 29',
  'EXTRA BYTES BEYOND CONTENT-LENGTH',
].join('\r\n');

test('RFC 4475-style tortuous INVITE: folding, compact names, list headers, Content-Length cut', () => {
  const m = parseMessage(tortuous);
  assert.equal(m.kind, 'request');
  if (m.kind !== 'request') return;
  assert.equal(m.method, 'INVITE');
  assert.equal(m.uri, 'sip:vivekg@chair-dnrc.example.com;unknownparam');
  assert.equal(m.body, 'v=0\r\no=mhandley');
  const vias = headers(m, 'via').map(parseVia);
  assert.equal(vias.length, 3);
  assert.deepEqual(vias.map((v) => [v.transport, v.host, v.params.branch]), [['UDP', '192.0.2.2', '390skdjuw'], ['TCP', 'spindle.example.com', 'z9hG4bK9ikj8'], ['UDP', '192.168.255.111', 'z9hG4bK30239']]);
  assert.equal(vias[0].params.rport, null);
  assert.deepEqual(parseCSeq(header(m, 'CSeq')!), { seq: 9, method: 'INVITE' });
  const to = parseNameAddr(header(m, 't')!);
  assert.equal(to.uri, 'sip:vivekg@chair-dnrc.example.com');
  assert.equal(to.params.tag, '1918181833n');
  const from = parseNameAddr(header(m, 'From')!);
  assert.equal(from.display, 'J Rosenberg \\"');
  assert.equal(from.params.tag, '98asjd8');
  const contact = parseNameAddr(header(m, 'Contact')!);
  assert.equal(contact.display, 'Quoted string ""');
  assert.deepEqual(contact.params, { newparam: 'newvalue', secondparam: null, q: '0.33' });
  assert.equal(header(m, 'Max-Forwards'), '0068');
});

test('responses, bare LF line ends, and a Contact list split at top-level commas only', () => {
  const m = parseMessage('SIP/2.0 200 OK\nContact: "a, b" <sip:a@h;x=1>, <sip:c@h>;expires=60\nCall-ID: x\n\n');
  assert.equal(m.kind, 'response');
  if (m.kind !== 'response') return;
  assert.equal(m.status, 200);
  assert.equal(m.reason, 'OK');
  const cs = headers(m, 'Contact').map(parseNameAddr);
  assert.equal(cs.length, 2);
  assert.equal(cs[0].display, 'a, b');
  assert.equal(cs[1].params.expires, '60');
  assert.equal(m.body, '');
});

test('authentication headers keep their commas', () => {
  const m = parseMessage('SIP/2.0 401 Unauthorized\r\nWWW-Authenticate: Digest realm="x", nonce="y", qop="auth,auth-int"\r\n\r\n');
  assert.equal(headers(m, 'www-authenticate').length, 1);
});

test('malformed messages are rejected with a reason', () => {
  assert.throws(() => parseMessage('INVITE sip:a@b SIP/2.0\r\nVia SIP/2.0/UDP x\r\n\r\n'), SipParseError);
  assert.throws(() => parseMessage('HELLO\r\n\r\n'), /start line/);
  assert.throws(() => parseMessage('SIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nshort'), /shorter/);
  assert.throws(() => parseMessage('SIP/2.0 200 OK\r\nCall-ID: x'), /empty line/);
});

test('serialise writes full names, CRLF and a byte-counted Content-Length', () => {
  const m: SipMessage = { kind: 'request', method: 'OPTIONS', uri: 'sip:x@y', headers: [['v', 'SIP/2.0/UDP h;branch=z9hG4bKa'], ['i', 'abc']], body: 'é' };
  assert.equal(serialise(m).toString('utf8'), 'OPTIONS sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa\r\nCall-ID: abc\r\nContent-Length: 2\r\n\r\né');
});

test('stream framing (§18.3) across arbitrary chunk boundaries, with CRLF keep-alives', () => {
  const a = serialise({ kind: 'request', method: 'INVITE', uri: 'sip:a@b', headers: [['Call-ID', '1']], body: 'v=0\r\n' });
  const b = serialise({ kind: 'response', status: 180, reason: 'Ringing', headers: [['Call-ID', '2']], body: '' });
  const all = Buffer.concat([Buffer.from('\r\n\r\n'), a, Buffer.from('\r\n'), b]);
  for (let cut = 1; cut < all.length; cut += 7) {
    const f = new StreamFramer();
    const got = [...f.push(all.subarray(0, cut)), ...f.push(all.subarray(cut))];
    assert.equal(got.length, 2, `cut at ${cut}`);
    assert.equal(got[0].body, 'v=0\r\n');
    assert.equal(header(got[1], 'call-id'), '2');
  }
  assert.throws(() => new StreamFramer().push(Buffer.from('SIP/2.0 200 OK\r\nCall-ID: 1\r\n\r\n')), /Content-Length/);
});

test('URI, Via and name-addr formatting round-trips', () => {
  const u = parseUri('sip:+12125550100@carrier.example:5080;user=phone;transport=udp');
  assert.deepEqual(u, { scheme: 'sip', user: '+12125550100', host: 'carrier.example', port: 5080, params: { user: 'phone', transport: 'udp' } });
  const v = 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKabc;rport=5070;received=192.0.2.9';
  assert.equal(formatVia(parseVia(v)), v);
  const n = '"Fax" <sip:fax@example.com>;tag=abc';
  assert.equal(formatNameAddr(parseNameAddr(n)), n);
});

// Property: parse(serialise(x)) = x for messages in canonical form (full header names, trimmed
// single-line values, list headers holding one list element per entry).
const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+~-]{1,12}$/);
const valueChars = fc.stringMatching(/^[A-Za-z0-9 .;=:@<>"/_+-]{0,30}$/).map((s) => s.trim()).filter((s) => s.length > 0 && (s.match(/"/g) ?? []).length % 2 === 0 && !/[<>]/.test(s));
const plainHeader = fc.tuple(fc.constantFrom('Call-ID', 'CSeq', 'From', 'To', 'Max-Forwards', 'Subject', 'X-Fax-Tag', 'User-Agent', 'WWW-Authenticate'), fc.oneof(valueChars, fc.constant('Digest realm="a", nonce="b"')));
const listHeader = fc.tuple(fc.constantFrom('Via', 'Route', 'Allow', 'Supported'), valueChars.filter((s) => !s.includes(',')));
const hdrs = fc.array(fc.oneof(plainHeader, listHeader), { maxLength: 12 }).map((hs) => hs as Header[]);
const body = fc.stringMatching(/^[ -~\r\né]{0,80}$/);
const message: fc.Arbitrary<SipMessage> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), method: token, uri: fc.stringMatching(/^sip:[a-z0-9+]{1,8}@[a-z0-9.]{1,12}(;[a-z]{1,5}=[a-z0-9]{1,5})?$/), headers: hdrs, body }).map((r) => ({ ...r })),
  fc.record({ kind: fc.constant('response' as const), status: fc.integer({ min: 100, max: 699 }), reason: fc.stringMatching(/^[A-Za-z]([A-Za-z ]{0,15}[A-Za-z])?$/), headers: hdrs, body }).map((r) => ({ ...r })),
);

test('property: parse(serialise(x)) = x', () => {
  fc.assert(fc.property(message, (m) => {
    assert.deepEqual(parseMessage(serialise(m)), m);
  }), { numRuns: 500 });
});

test('property: a stream of messages cut anywhere frames back to the same messages', () => {
  fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }), (ms, cuts) => {
    const all = Buffer.concat(ms.map(serialise));
    const f = new StreamFramer();
    const got: SipMessage[] = [];
    let at = 0;
    for (const c of cuts) {
      got.push(...f.push(all.subarray(at, at + c)));
      at += c;
    }
    got.push(...f.push(all.subarray(at)));
    assert.deepEqual(got, ms);
  }), { numRuns: 200 });
});
