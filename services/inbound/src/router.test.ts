import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDirectory } from '@faxgate/directory';
import { routeFax, sameNumber, type CallFacts } from './router.ts';
import { mailboxFromSubAddress } from './sub-address.ts';

const dir = parseDirectory(`
unaddressed: faxadmin@example.com
users:
  - id: jdoe
    emails: [jdoe@example.com, frontdesk@example.com]
    format: both
    dids: ["+1 212 555-0100"]
    mailbox: "1234"
  - id: sales
    emails: [sales@example.com]
    mailbox: 77
  - id: acme-desk
    emails: [acme@example.com]
    format: tiff
  - id: night
    emails: [night@example.com]
  - id: legal
    emails: [legal@example.com]
routes:
  - match: { pool: sim, line: "sim/*/2" }
    user: night
  - match: { csid: "^ACME" }
    user: acme-desk
  - match: { calling: "+1415*" }
    user: legal
  - match: { csid: "LAW", calling: "+1212*" }
    user: legal
`);

const call = (over: Partial<CallFacts>): CallFacts => ({ did: '+19995550000', callingNumber: '+16175550000', pool: 'sim', line: 'sim/n1/1', ...over });

test('a DID picks its user, in any of the forms a carrier delivers it', () => {
  for (const did of ['+12125550100', '12125550100', '2125550100', '0100']) {
    const r = routeFax(dir, call({ did }));
    assert.equal(r.rule, 'did', did);
    assert.equal(r.user?.id, 'jdoe');
    assert.deepEqual(r.to, ['jdoe@example.com', 'frontdesk@example.com'], 'a user with two addresses gets both');
    assert.equal(r.format, 'both');
  }
  assert.equal(sameNumber('100', '+12125550100'), false, 'fewer than 4 digits never match as a tail');
});

test('a T.30 sub-address picks the mailbox, FaxPress style or bare digits', () => {
  assert.equal(mailboxFromSubAddress('408-852-8103#1234##'), '1234');
  assert.equal(mailboxFromSubAddress('#77##'), '77');
  assert.equal(mailboxFromSubAddress('1234'), '1234');
  assert.equal(mailboxFromSubAddress('abc'), undefined);
  assert.equal(routeFax(dir, call({ subAddress: '408-852-8103#1234##' })).user?.id, 'jdoe');
  const r = routeFax(dir, call({ subAddress: '77' }));
  assert.deepEqual([r.rule, r.user?.id], ['sub-address', 'sales'], 'a mailbox written unquoted (a YAML number) still matches');
});

test('CSID and calling-number routes match in file order; all conditions of a route must hold', () => {
  const acme = routeFax(dir, call({ csid: ' Acme Corp  ' }));
  assert.deepEqual([acme.rule, acme.user?.id, acme.format], ['csid', 'acme-desk', 'tiff']);
  assert.match(acme.detail, /routes\[1\]: csid \^ACME/);
  assert.deepEqual([routeFax(dir, call({ callingNumber: '+14155550123' })).rule, routeFax(dir, call({ callingNumber: '+14155550123' })).user?.id], ['calling-number', 'legal']);
  assert.equal(routeFax(dir, call({ csid: 'LAW OFFICE', callingNumber: '+13125550000' })).rule, 'unaddressed', 'csid LAW alone is not enough for routes[3]');
  assert.equal(routeFax(dir, call({ csid: 'LAW OFFICE', callingNumber: '+12125559999' })).user?.id, 'legal');
});

test('rule order: DID before sub-address before CSID before line; unaddressed last', () => {
  const all = call({ did: '+12125550100', subAddress: '77', csid: 'ACME', line: 'sim/n1/2' });
  assert.equal(routeFax(dir, all).rule, 'did');
  assert.equal(routeFax(dir, { ...all, did: '+19995550000' }).rule, 'sub-address');
  assert.equal(routeFax(dir, { ...all, did: '+19995550000', subAddress: undefined }).rule, 'csid', 'the line route comes first in the file but after CSID routes');
  const line = routeFax(dir, { ...all, did: '+19995550000', subAddress: undefined, csid: 'OTHER' });
  assert.deepEqual([line.rule, line.user?.id], ['line', 'night']);
  const none = routeFax(dir, call({ csid: 'OTHER' }));
  assert.deepEqual([none.rule, none.to, none.user], ['unaddressed', ['faxadmin@example.com'], undefined]);
  assert.match(none.detail, /DID \+19995550000, from \+16175550000, CSID "OTHER"/);
});
