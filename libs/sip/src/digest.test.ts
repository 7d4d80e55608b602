import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, digestResponse, parseAuthParams, parseChallenge } from './digest.ts';

// RFC 7616 §3.9.1: the worked example, with MD5 and with SHA-256.
const mufasa = { username: 'Mufasa', password: 'Circle of Life' };
const example = {
  realm: 'http-auth@example.org',
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
};
const req = { method: 'GET', uri: '/dir/index.html', cnonce: example.cnonce, nc: 1, qop: 'auth' };

test('RFC 7616 §3.9.1 worked example: MD5 response', () => {
  const c = parseChallenge(`Digest realm="${example.realm}", qop="auth, auth-int", algorithm=MD5, nonce="${example.nonce}", opaque="${example.opaque}"`);
  assert.deepEqual(c.qop, ['auth', 'auth-int']);
  assert.equal(digestResponse(c, mufasa, req), '8ca523f5e9506fed4657c9700eebdbec');
});

test('RFC 7616 §3.9.1 worked example: SHA-256 response', () => {
  const c = parseChallenge(`Digest realm="${example.realm}", qop="auth, auth-int", algorithm=SHA-256, nonce="${example.nonce}", opaque="${example.opaque}"`);
  assert.equal(c.algorithm, 'SHA-256');
  assert.equal(digestResponse(c, mufasa, req), '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
});

test('Authorization header carries every field the server needs, nc as 8 hex digits', () => {
  const c = parseChallenge(`Digest realm="${example.realm}", qop="auth", algorithm=SHA-256, nonce="${example.nonce}", opaque="${example.opaque}"`);
  const h = authorize(c, mufasa, { method: 'GET', uri: '/dir/index.html', cnonce: example.cnonce, nc: 1 });
  const p = parseAuthParams(h.replace(/^Digest /, ''));
  assert.deepEqual(p, {
    username: 'Mufasa', realm: example.realm, nonce: example.nonce, uri: '/dir/index.html', algorithm: 'SHA-256', opaque: example.opaque,
    qop: 'auth', nc: '00000001', cnonce: example.cnonce, response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
  });
});

test('no qop (RFC 2069 form, kept by RFC 3261 §22.4): KD(H(A1), nonce:H(A2)), RFC 2069 example as corrected by its erratum', () => {
  const c = parseChallenge('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"');
  const r = digestResponse(c, { username: 'Mufasa', password: 'CircleOfLife' }, { method: 'GET', uri: '/dir/index.html', cnonce: '', nc: 0 });
  assert.equal(r, '1949323746fe6a43ef61f9606e7febea');
  assert.doesNotMatch(authorize(c, mufasa, { method: 'REGISTER', uri: 'sip:x' }), /qop|nc=|cnonce/);
});

test('a challenge with only auth-int is refused rather than answered wrongly', () => {
  assert.throws(() => authorize(parseChallenge('Digest realm="r", nonce="n", qop="auth-int"'), mufasa, { method: 'INVITE', uri: 'sip:x' }), /auth-int/);
  assert.throws(() => parseChallenge('Digest realm="r", nonce="n", algorithm=SHA-512-256'), /unsupported/);
  assert.equal(parseChallenge('Digest realm="r", nonce="n", stale=TRUE').stale, true);
});
