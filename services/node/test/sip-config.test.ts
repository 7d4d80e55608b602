import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadConfig } from '@faxgate/config';
import { nodeSchema } from '../src/config.ts';
import { sipDriverOptions } from '../src/sip-driver-config.ts';
import { dialUri, numberOfUri } from '../src/sip-numbers.ts';

const ctx = { log: pino({ level: 'silent' }), nodeId: 'n1' };

test('FAXGATE_SIP_* become the driver options: trunk, credentials from the password file, NAT address, caps', async () => {
  const config = loadConfig('node', nodeSchema, {
    FAXGATE_NODE_DRIVER: 'sip', FAXGATE_NODE_POOL: 'trunk', FAXGATE_NODE_LINES: '8', FAXGATE_DEFAULT_COUNTRY: 'de',
    FAXGATE_SIP_BIND_HOST: '10.0.0.5', FAXGATE_SIP_PORT: '5080', FAXGATE_SIP_TRANSPORT: 'tcp',
    FAXGATE_SIP_ADVERTISED_HOST: '203.0.113.7', FAXGATE_SIP_REGISTRAR: 'sip:sip.carrier.example;transport=tcp',
    FAXGATE_SIP_OUTBOUND_PROXY: 'sbc.carrier.example:5060', FAXGATE_SIP_USERNAME: '4930555', FAXGATE_SIP_PASSWORD: 'ignored',
    FAXGATE_SIP_PASSWORD_FILE: '/run/secrets/sip', FAXGATE_SIP_CALLS_PER_SECOND: '2.5', FAXGATE_SIP_T38_WAIT: '2s', FAXGATE_SIP_MEDIA: 'audio',
  });
  const o = await sipDriverOptions(config, ctx, async (p) => (p === '/run/secrets/sip' ? 's3cret\n' : ''));
  assert.deepEqual(o.sip, {
    bindHost: '10.0.0.5', bindPort: 5080, transport: 'TCP', user: '4930555', domain: 'sip.carrier.example', userAgent: 'faxgate', t38WaitMs: 2000,
    ringTimeoutMs: 60_000, registerExpires: 3600, advertised: { host: '203.0.113.7' }, outboundProxy: { host: 'sbc.carrier.example', port: 5060 },
    registrar: 'sip:sip.carrier.example;transport=tcp', credentials: { username: '4930555', password: 's3cret' }, media: 'audio',
  });
  assert.equal(o.maxCalls, 8, 'FAXGATE_SIP_MAX_CALLS 0 means the pool\'s lines');
  assert.equal(o.callsPerSecond, 2.5);
  assert.equal(o.country, 'DE');
  assert.equal(o.line, 'trunk/n1/sip');
  assert.deepEqual(o.mediaPorts, { first: 10_000, last: 11_999 }, 'a documented media port range by default');
  assert.equal(o.callerId, undefined, 'From user: FAXGATE_SIP_USERNAME unless set');
  assert.equal(o.assertedIdentity, undefined, 'no P-Asserted-Identity unless set');
});

test('outgoing caller ID: FAXGATE_SIP_CALLER_ID is the From user; FAXGATE_SIP_ASSERTED_IDENTITY a number (in the from domain) or a URI', async () => {
  const options = (env: Record<string, string>) => sipDriverOptions(loadConfig('node', nodeSchema, { FAXGATE_NODE_DRIVER: 'sip', FAXGATE_SIP_FROM_DOMAIN: 'carrier.example', ...env }), ctx);
  const o = await options({ FAXGATE_SIP_CALLER_ID: '+4930555000', FAXGATE_SIP_ASSERTED_IDENTITY: '+4930555000' });
  assert.equal(o.callerId, '+4930555000');
  assert.equal(o.assertedIdentity, 'sip:+4930555000@carrier.example');
  assert.equal((await options({ FAXGATE_SIP_ASSERTED_IDENTITY: 'tel:+4930555000' })).assertedIdentity, 'tel:+4930555000');
  assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_CALLER_ID: 'two words' }), /FAXGATE_SIP_CALLER_ID/);
  assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_ASSERTED_IDENTITY: 'mailto:x@y' }), /FAXGATE_SIP_ASSERTED_IDENTITY/);
});

test('FAXGATE_SIP_MEDIA_PORTS: first-last with room for a call (4 ports from an even one), or any', async () => {
  const options = (v: string) => sipDriverOptions(loadConfig('node', nodeSchema, { FAXGATE_NODE_DRIVER: 'sip', FAXGATE_SIP_MEDIA_PORTS: v }), ctx);
  assert.deepEqual((await options('20000-20999')).mediaPorts, { first: 20_000, last: 20_999 });
  assert.equal((await options('any')).mediaPorts, undefined, 'any: the OS picks');
  assert.deepEqual((await options('20000-20003')).mediaPorts, { first: 20_000, last: 20_003 }, 'one call');
  for (const bad of ['20001-20004', '20000-20002', '20000', '80-1000', '60000-70000', '20999-20000']) {
    assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_MEDIA_PORTS: bad }), /FAXGATE_SIP_MEDIA_PORTS/, bad);
  }
});

test('bad SIP settings are refused at start with the variable named', () => {
  assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_OUTBOUND_PROXY: 'no-port' }), /FAXGATE_SIP_OUTBOUND_PROXY/);
  assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_REGISTRAR: 'carrier.example' }), /FAXGATE_SIP_REGISTRAR/);
  assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_TRANSPORT: 'sctp' }), /FAXGATE_SIP_TRANSPORT/);
  assert.throws(() => loadConfig('node', nodeSchema, { FAXGATE_SIP_MEDIA: 'pigeon' }), /FAXGATE_SIP_MEDIA/);
  assert.equal(loadConfig('node', nodeSchema, {}).FAXGATE_SIP_MEDIA, 't38-then-audio', 'T.38, and G.711 where it is refused, unless configured otherwise');
});

test('FAXGATE_SIP_TRANSPORT=tls reads the certificate, key and CA files; without a certificate the node refuses to start', async () => {
  const files: Record<string, string> = { '/tls/tls.crt': 'CERT PEM', '/tls/tls.key': 'KEY PEM', '/tls/ca.crt': 'CA PEM' };
  const read = async (p: string) => {
    if (!(p in files)) throw new Error(`no file ${p}`);
    return files[p];
  };
  const config = loadConfig('node', nodeSchema, {
    FAXGATE_NODE_DRIVER: 'sip', FAXGATE_SIP_TRANSPORT: 'tls', FAXGATE_SIP_TLS_CERT_FILE: '/tls/tls.crt', FAXGATE_SIP_TLS_KEY_FILE: '/tls/tls.key', FAXGATE_SIP_TLS_CA_FILE: '/tls/ca.crt',
  });
  const o = await sipDriverOptions(config, ctx, read);
  assert.equal(o.sip.transport, 'TLS');
  assert.deepEqual(o.sip.tls, { cert: 'CERT PEM', key: 'KEY PEM', ca: 'CA PEM' });
  const noCa = await sipDriverOptions(loadConfig('node', nodeSchema, { FAXGATE_SIP_TRANSPORT: 'tls', FAXGATE_SIP_TLS_CERT_FILE: '/tls/tls.crt', FAXGATE_SIP_TLS_KEY_FILE: '/tls/tls.key' }), ctx, read);
  assert.deepEqual(noCa.sip.tls, { cert: 'CERT PEM', key: 'KEY PEM' }, 'no CA file: the system\'s CAs judge the far end');
  await assert.rejects(sipDriverOptions(loadConfig('node', nodeSchema, { FAXGATE_SIP_TRANSPORT: 'tls', FAXGATE_SIP_TLS_CERT_FILE: '/tls/tls.crt' }), ctx, read), /FAXGATE_SIP_TLS_KEY_FILE/);
  const udp = await sipDriverOptions(loadConfig('node', nodeSchema, { FAXGATE_SIP_TLS_CERT_FILE: '/nowhere' }), ctx, read);
  assert.equal(udp.sip.tls, undefined, 'the certificate is read only for TLS');
});

test('dial format placeholders', () => {
  const call = { number: '+442079460018', dialString: '011442079460018' };
  assert.equal(dialUri('sip:{e164}@{domain}', call, 'carrier.example'), 'sip:+442079460018@carrier.example');
  assert.equal(dialUri('sip:{digits}@{domain};user=phone', call, 'c'), 'sip:442079460018@c;user=phone');
  assert.equal(dialUri('sip:9{number}@pbx.local', call, 'x'), 'sip:9011442079460018@pbx.local');
});

test('numbers from SIP headers as E.164: +, national in the default country, tel: URIs, visual separators; others as found', () => {
  assert.equal(numberOfUri('<sip:+4930123456@carrier>;tag=1', 'US'), '+4930123456');
  assert.equal(numberOfUri('sip:2125550188@10.0.0.1:5060', 'US'), '+12125550188');
  assert.equal(numberOfUri('sip:030123456@gw', 'DE'), '+4930123456');
  assert.equal(numberOfUri('<tel:+1-212-555-0188>', 'DE'), '+12125550188');
  assert.equal(numberOfUri('"Anonymous" <sip:anonymous@anonymous.invalid>', 'US'), 'anonymous');
  assert.equal(numberOfUri(undefined, 'US'), '');
});
