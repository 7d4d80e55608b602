import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerOffer, answerT38, audioMedia, offerT38, parseSdp, serialiseSdp, session, t38Params, t38Stream, imageMedia } from './sdp.ts';

// A re-INVITE offer as T.38 gateways send it (attribute spelling as in RFC 7345 §8 / T.38 Annex D).
const t38Offer = [
  'v=0',
  'o=carrier 53655765 2353687638 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=image 49170 udptl t38',
  'a=T38FaxVersion:3',
  'a=T38MaxBitRate:33600',
  'a=T38FaxFillBitRemoval',
  'a=T38FaxTranscodingMMR:1',
  'a=T38FaxTranscodingJBIG:0',
  'a=T38FaxRateManagement:transferredTCF',
  'a=T38FaxMaxBuffer:262',
  'a=T38FaxMaxDatagram:176',
  'a=T38FaxUdpEC:t38UDPFEC',
  '',
].join('\r\n');

test('every T.38 attribute is read from an m=image udptl t38 line', () => {
  const s = parseSdp(t38Offer);
  const t = t38Stream(s)!;
  assert.equal(t.host, '192.0.2.10');
  assert.equal(t.port, 49170);
  assert.deepEqual(t.params, { version: 3, maxBitRate: 33600, rateManagement: 'transferredTCF', maxBuffer: 262, maxDatagram: 176, udpEC: 't38UDPFEC', fillBitRemoval: true, transcodingMMR: true, transcodingJBIG: false });
});

test('case-insensitive names and T38FaxMaxBitRate spelling are read too', () => {
  const m = parseSdp('v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nm=image 5 udptl t38\r\na=t38faxversion:1\r\na=T38FaxMaxBitRate:9600\r\na=t38faxratemanagement:localTCF\r\na=t38faxudpec:t38UDPRedundancy\r\n').media[0];
  assert.deepEqual(t38Params(m), { version: 1, maxBitRate: 9600, rateManagement: 'localTCF', udpEC: 't38UDPRedundancy', fillBitRemoval: false, transcodingMMR: false, transcodingJBIG: false });
});

test('SDP serialise then parse keeps every line', () => {
  const s = session('10.1.2.3', '42', 7, [audioMedia(4000), imageMedia(4002, offerT38())]);
  const text = serialiseSdp(s);
  assert.match(text, /^v=0\r\no=faxgate 42 7 IN IP4 10.1.2.3\r\ns=faxgate\r\nc=IN IP4 10.1.2.3\r\nt=0 0\r\nm=audio 4000 RTP\/AVP 0 8 101\r\n/);
  assert.match(text, /m=image 4002 udptl t38\r\na=T38FaxVersion:0\r\na=T38MaxBitRate:14400\r\na=T38FaxRateManagement:transferredTCF\r\na=T38FaxMaxBuffer:2000\r\na=T38FaxMaxDatagram:400\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n$/);
  assert.deepEqual(parseSdp(text), s);
});

test('T.38 answer (Annex D.2.3): version and rate lowered, rate management echoed, FEC → redundancy, no transcoding', () => {
  const a = answerT38(t38Stream(parseSdp(t38Offer))!.params)!;
  assert.deepEqual(a, { version: 0, maxBitRate: 14400, rateManagement: 'transferredTCF', maxBuffer: 2000, maxDatagram: 400, udpEC: 't38UDPRedundancy', fillBitRemoval: false, transcodingMMR: false, transcodingJBIG: false });
  // A lower offer is kept, not raised.
  const low = answerT38({ ...a, version: 0, maxBitRate: 9600, udpEC: undefined })!;
  assert.equal(low.maxBitRate, 9600);
  assert.equal(low.udpEC, undefined);
});

test('answering an offer with audio and image: image accepted, audio declined with port 0 (RFC 3264 §6)', () => {
  const offer = parseSdp(`v=0\r\no=x 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 3000 RTP/AVP 8 0\r\nm=image 3002 udptl t38\r\na=T38FaxRateManagement:transferredTCF\r\n`);
  const r = answerOffer(offer, { address: '10.0.0.5', audioPort: 7000, imagePort: 7002, sessionId: '9', version: 1 })!;
  assert.ok(r.t38);
  assert.deepEqual(r.sdp.media.map((m) => [m.type, m.port]), [['audio', 0], ['image', 7002]]);
});

test('answering an audio offer picks the first G.711 codec it lists, keeps 101 if offered; nothing usable → undefined', () => {
  const offer = parseSdp('v=0\r\no=x 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 3000 RTP/AVP 18 8 0 101\r\n');
  const r = answerOffer(offer, { address: '10.0.0.5', audioPort: 7000, imagePort: 7002, sessionId: '9', version: 1 })!;
  assert.equal(r.t38, undefined);
  assert.deepEqual(r.sdp.media[0].formats, ['8', '101']);
  assert.equal(answerOffer(parseSdp('v=0\r\no=x 1 1 IN IP4 h\r\ns=-\r\nm=audio 3000 RTP/AVP 18\r\n'), { address: 'a', audioPort: 1, imagePort: 2, sessionId: '1', version: 1 }), undefined);
  // A T.38 offer whose rate management we do not support is not acceptable either.
  assert.equal(answerT38({ ...t38Params(parseSdp(t38Offer).media[0]), rateManagement: 'localTCF' }, { ...offerT38(), rateManagement: ['transferredTCF'], udpEC: 't38UDPRedundancy' } as never), undefined);
});
