import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossSiteProblem } from './cross-site-guard.ts';

test('cross-site requests are told apart from the console\'s own and from scripts', () => {
  const host = 'console.example:8080';
  // The console's own pages (Bull Board) may send any body type.
  assert.equal(crossSiteProblem({ host, 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' }), undefined);
  assert.equal(crossSiteProblem({ host, origin: 'http://console.example:8080', 'content-type': 'text/plain' }), undefined);
  // Scripts: no browser headers, JSON or no body.
  assert.equal(crossSiteProblem({ host }), undefined);
  assert.equal(crossSiteProblem({ host, 'content-type': 'application/json' }), undefined);
  assert.match(crossSiteProblem({ host, 'sec-fetch-site': 'same-site' })!, /Sec-Fetch-Site is same-site/);
  assert.match(crossSiteProblem({ host, origin: 'http://console.example:9090' })!, /Origin/);
  assert.match(crossSiteProblem({ host, origin: 'null' })!, /Origin null/);
  assert.match(crossSiteProblem({ host, 'content-type': 'multipart/form-data; boundary=x' })!, /multipart\/form-data/);
  assert.match(crossSiteProblem({ host, 'content-type': 'Text/Plain;charset=UTF-8' })!, /text\/plain/);
});

test('a request carrying a bearer token passes with a form body (curl -F to the API); basic auth with one does not', () => {
  const host = 'console.example:8080';
  const multipart = 'multipart/form-data; boundary=x';
  assert.equal(crossSiteProblem({ host, authorization: 'Bearer fgt_x', 'content-type': multipart }), undefined);
  assert.match(crossSiteProblem({ host, authorization: 'Basic YWRtaW46cHc=', 'content-type': multipart })!, /multipart\/form-data/);
  assert.match(crossSiteProblem({ host, 'content-type': multipart })!, /multipart\/form-data/);
});
