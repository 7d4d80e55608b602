import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { waitUntil, type TestGateway } from '@faxgate/testkit';
import type { RunningGateway } from '@faxgate/runtime';
import { ADMIN_TOKEN, api, makeToken, startApiGateway } from './api-harness.ts';

// Issue 15: the OpenAPI 3.1 document served at /api/v1/openapi.json is valid (judged by an
// independent validator), and requests built from it alone — paths, parameters and bodies
// generated from its schemas — are answered as it says.

let g: TestGateway<RunningGateway>;
before(async () => {
  // A webhook to the test's own receiver on loopback is allowed; a DID owned by a user.
  g = await startApiGateway('faxgate-api-openapi', { FAXGATE_WEBHOOK_ALLOW_PRIVATE: 'true' }, 'unaddressed: faxadmin@example.com\nusers:\n  - id: frank\n    emails: [frank@example.com]\n    dids: ["+12125550177"]\nroutes: []\n');
});
after(async () => {
  await g?.dispose();
});

type Schema = Record<string, any>;

/** A value a schema accepts, from its examples, default, enum or type (a generic request generator). */
function sample(schema: Schema): unknown {
  if (schema.examples?.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'object': {
      const required = new Set<string>([...(schema.required ?? []), ...(schema.anyOf?.[0]?.required ?? [])]);
      return Object.fromEntries([...required].map((k) => [k, sample(schema.properties[k])]));
    }
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () => sample(schema.items));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return schema.format === 'date-time' ? new Date().toISOString() : 'x'.repeat(schema.minLength ?? 1);
  }
}

test('the served document is a valid OpenAPI 3.1 document describing every API route', async () => {
  const res = await fetch(`${g.gw.httpUrl}/api/v1/openapi.json`);
  assert.equal(res.status, 200, 'public: the shape of the API is no secret');
  const doc = (await res.json()) as Schema;
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  assert.equal(validator.version, '3.1');
  // The validator does judge: the same document with one broken operation is refused.
  const broken = structuredClone(doc);
  broken.paths['/api/v1/faxes'].get.responses = 'none';
  assert.equal((await new Validator().validate(broken)).valid, false);
  const ops = Object.entries(doc.paths as Record<string, Schema>).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)).sort();
  for (const op of [
    'GET /api/v1/faxes', 'POST /api/v1/faxes', 'GET /api/v1/faxes/{id}', 'GET /api/v1/faxes/{id}/document', 'GET /api/v1/faxes/{id}/pages/{page}.png',
    'POST /api/v1/faxes/{id}/resend', 'POST /api/v1/faxes/{id}/cancel', 'POST /api/v1/faxes/{id}/hold', 'POST /api/v1/faxes/{id}/release',
    'GET /api/v1/inbound', 'GET /api/v1/inbound/{id}', 'GET /api/v1/inbound/{id}/pages/{page}.png', 'POST /api/v1/inbound/{id}/redeliver', 'GET /api/v1/tokens', 'POST /api/v1/tokens', 'DELETE /api/v1/tokens/{id}',
  ]) assert.ok(ops.includes(op), `${op} is missing from ${ops.join(', ')}`);
  assert.ok(!ops.some((o) => o.includes('/queues')), 'Bull Board is not part of the API');
  assert.ok(doc.paths['/api/v1/faxes'].post.requestBody.content['multipart/form-data'], 'the multipart form is documented');
  const page = await fetch(`${g.gw.httpUrl}/api/v1/docs/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /swagger-ui/i);
});

test('a fax sent by a request generated from the document alone is accepted, found by the path template, and its answers match the documented schemas', async () => {
  const validator = new Validator();
  await validator.validate((await (await fetch(`${g.gw.httpUrl}/api/v1/openapi.json`)).json()) as Schema);
  const doc = validator.resolveRefs() as Schema;
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);
  const answers = (op: Schema, status: number, body: unknown) => {
    const schema = op.responses[String(status)]?.content?.['application/json']?.schema;
    assert.ok(schema, `status ${status} is documented`);
    const valid = ajv.validate(schema, body);
    assert.ok(valid, `${JSON.stringify(ajv.errors)} in ${JSON.stringify(body).slice(0, 500)}`);
  };
  const token = await makeToken(g.gw, 'openapi', ['send', 'read-own']);

  const post = doc.paths['/api/v1/faxes'].post;
  const body = sample(post.requestBody.content['application/json'].schema);
  const sent = await api(g.gw, 'POST', '/api/v1/faxes', { token, body });
  assert.equal(sent.status, 202, `${JSON.stringify(body).slice(0, 200)} → ${JSON.stringify(sent.body)}`);
  answers(post, 202, sent.body);

  const get = doc.paths['/api/v1/faxes/{id}'].get;
  const path = '/api/v1/faxes/{id}'.replace('{id}', sent.body.id);
  const idParam = get.parameters.find((p: Schema) => p.in === 'path' && p.name === 'id');
  assert.ok(ajv.validate(idParam.schema, sent.body.id), 'the id the POST answered fits the path parameter\'s schema');
  const fax = await waitUntil('the generated fax to be sent', async () => {
    const r = await api(g.gw, 'GET', path, { token });
    return r.body.state === 'done' ? r : undefined;
  }, 60_000, 200);
  answers(get, 200, fax.body);
  assert.equal(fax.body.recipients[0].state, 'sent');

  // Every GET without path parameters, with its query parameters' defaults.
  for (const [p, item] of Object.entries(doc.paths as Record<string, Schema>)) {
    if (!item.get || p.includes('{')) continue;
    const q = new URLSearchParams();
    for (const param of item.get.parameters ?? []) if (param.in === 'query' && param.required) q.set(param.name, String(sample(param.schema)));
    const r = await api(g.gw, 'GET', `${p}${q.size ? `?${q}` : ''}`, { token: ADMIN_TOKEN });
    assert.equal(r.status, 200, `GET ${p}: ${JSON.stringify(r.body)}`);
    answers(item.get, 200, r.body);
  }
  // A request the document says is wrong is refused as documented.
  const bad = await api(g.gw, 'POST', '/api/v1/faxes', { token, body: { numbers: [] } });
  assert.equal(bad.status, 400);
  answers(post, 400, bad.body);
});

test('every operation in the document, called with what the document alone gives (its paths, parameters, bodies from its schemas), answers a documented success', async () => {
  const validator = new Validator();
  await validator.validate((await (await fetch(`${g.gw.httpUrl}/api/v1/openapi.json`)).json()) as Schema);
  const doc = validator.resolveRefs() as Schema;
  const ajv = new Ajv2020({ strict: false });
  addFormats.default(ajv);

  // What the document cannot know: the ids of things that exist on this gateway, and a webhook
  // receiver this closed network can reach (a public example host cannot be resolved here).
  const faxId = (await api(g.gw, 'POST', '/api/v1/faxes', { token: ADMIN_TOKEN, body: { numbers: ['2125550111'], cover: 'none', message: 'for the walk' } })).body.id as string;
  await waitUntil(`fax ${faxId} sent`, async () => (await api(g.gw, 'GET', `/api/v1/faxes/${faxId}`, { token: ADMIN_TOKEN })).body.state === 'done', 60_000, 200);
  const tiff = (await api(g.gw, 'GET', `/api/v1/faxes/${faxId}/document?format=tiff`, { token: ADMIN_TOKEN })).body as Buffer;
  const offer = await fetch(`${g.gw.httpUrl}/api/v1/sim/incoming?did=%2B12125550177&from=%2B14155550123`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'image/tiff' }, body: tiff });
  const inboundId = ((await offer.json()) as { inboundId: string }).inboundId;
  await waitUntil(`received fax ${inboundId} delivered`, async () => (await api(g.gw, 'GET', `/api/v1/inbound/${inboundId}`, { token: ADMIN_TOKEN })).body.state === 'delivered', 60_000, 200);
  const receiver = createServer((_req, res) => res.end()).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const created: Record<string, string> = {};
  const paramValue = (path: string, name: string): string => {
    if (name === 'page') return '1';
    if (name === 'number') return '+12125550111';
    if (path.startsWith('/api/v1/faxes/')) return faxId;
    if (path.startsWith('/api/v1/inbound/')) return inboundId;
    const made = created[path.split('/')[3]];
    assert.ok(made, `no value for {${name}} of ${path}: the test must learn this kind of id`);
    return made;
  };

  // Reading first, then creating, then changing, then deleting what was created.
  const ops = Object.entries(doc.paths as Record<string, Schema>).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Schema })));
  const rank = (o: { path: string; method: string }) => (o.method === 'GET' ? 0 : o.method === 'POST' && !o.path.includes('{') ? 1 : o.method === 'DELETE' ? 3 : 2);
  ops.sort((a, b) => rank(a) - rank(b) || (a.path.includes('{') ? 1 : 0) - (b.path.includes('{') ? 1 : 0));
  const done: string[] = [];
  try {
    for (const { path, method, op } of ops) {
      const params = (op.parameters ?? []) as Schema[];
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(paramValue(path, name)));
      const q = new URLSearchParams();
      for (const p of params) if (p.in === 'query' && p.required) q.set(p.name, String(sample(p.schema)));
      const json = op.requestBody?.content?.['application/json']?.schema;
      const body = json ? sample(json) : undefined;
      if (body && typeof body === 'object' && 'url' in body) (body as Schema).url = hookUrl;
      const r = await api(g.gw, method, `${url}${q.size ? `?${q}` : ''}`, { token: ADMIN_TOKEN, ...(body !== undefined ? { body } : {}) });
      const what = `${method} ${path} with ${JSON.stringify(body)}`;
      assert.ok(r.status >= 200 && r.status < 300, `${what} → ${r.status} ${Buffer.isBuffer(r.body) ? r.body.toString().slice(0, 200) : JSON.stringify(r.body)}`);
      const answer = op.responses[String(r.status)];
      assert.ok(answer, `${what}: status ${r.status} is not documented`);
      const type = (r.headers.get('content-type') ?? '').split(';')[0];
      const content = answer.content ?? {};
      assert.ok(content[type], `${what}: ${type} is not a documented answer (${Object.keys(content).join(', ')})`);
      if (type === 'application/json') assert.ok(ajv.validate(content[type].schema, r.body), `${what}: ${JSON.stringify(ajv.errors)} in ${JSON.stringify(r.body).slice(0, 300)}`);
      // A created thing's id is what the later operations on it name.
      if (method === 'POST' && !path.includes('{') && r.body?.id && path !== '/api/v1/faxes') created[path.split('/')[3]] = r.body.id;
      done.push(`${method} ${path}`);
    }
  } finally {
    receiver.close();
  }
  console.log(`walked ${done.length} operations: ${done.join(', ')}`);
  assert.equal(done.length, ops.length);
  assert.ok(done.length >= 25, `${done.length} operations: ${done.join(', ')}`);
});
