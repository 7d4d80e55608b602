import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DirectoryError, parseDirectory } from './directory-parse.ts';

function issuesOf(text: string) {
  try {
    parseDirectory(text, 'dir.yaml');
  } catch (err) {
    assert.ok(err instanceof DirectoryError, String(err));
    return err.issues.map((i) => `${i.line}: ${i.path} ${i.message}`);
  }
  assert.fail('the directory was accepted');
}

test('the issue example reads with defaults filled in', () => {
  const d = parseDirectory(`unaddressed: faxadmin@example.com
users:
  - id: jdoe
    emails: [jdoe@example.com, frontdesk@example.com]
    format: pdf            # pdf | tiff | both
    dids: ["+12125550100"]
    mailbox: "1234"        # T.30 sub-address
routes:                    # tried after DIDs and mailboxes, in order
  - match: { csid: "^ACME" }
    user: jdoe
`);
  assert.deepEqual(d.unaddressed, ['faxadmin@example.com']);
  assert.deepEqual(d.users[0], { id: 'jdoe', emails: ['jdoe@example.com', 'frontdesk@example.com'], format: 'pdf', dids: ['+12125550100'], mailbox: '1234' });
  assert.deepEqual(d.routes, [{ match: { csid: '^ACME' }, user: 'jdoe' }]);
});

test('a YAML syntax error is refused with its line', () => {
  const issues = issuesOf('unaddressed: a@example.com\nusers:\n  - id: x\n    emails: [a@example.com\n  - id: y\n');
  assert.deepEqual(issues, ['5:  Flow sequence in block collection must be sufficiently indented and end with a ]']);
  const dup = issuesOf('unaddressed: a@example.com\nusers: []\nroutes: []\nusers: []\n');
  assert.deepEqual(dup, ['4:  Map keys must be unique']);
});

test('shape errors point at the line of the bad value, or the parent of a missing key', () => {
  const issues = issuesOf(`unaddressed: faxadmin@example.com
users:
  - id: jdoe
    emails: [jdoe@example.com]
    format: fax
  - id: anna
    dids: ["+1212"]
`);
  assert.deepEqual(issues.sort(), [
    '5: users[0].format Invalid option: expected one of "pdf"|"tiff"|"both"',
    '6: users[1].emails Invalid input: expected array, received undefined',
  ]);
});

test('what the shape cannot say is checked too: duplicates, unknown users, bad patterns, typos in keys', () => {
  const issues = issuesOf(`unaddressed: faxadmin@example.com
users:
  - id: a
    emails: [a@example.com]
    dids: ["+12125550100"]
    mailbox: "12"
  - id: b
    emails: [b@example.com]
    dids: ["+1 212 555 0100"]
    mailbox: "12"
  - id: a
    emails: [c@example.com]
routes:
  - match: { csid: "(unclosed" }
    user: a
  - match: { pool: sim }
    user: nobody
`);
  assert.deepEqual(issues, [
    '9: users[1].dids[0] DID +12125550100 already belongs to user "a"',
    '10: users[1].mailbox mailbox 12 already belongs to user "a"',
    '11: users[2].id user id "a" is already used by users[0]',
    '14: routes[0].match.csid not a regular expression: Invalid regular expression: /(unclosed/i: Unterminated group',
    '17: routes[1].user no user "nobody" in users',
  ]);
  const typo = issuesOf('unaddressed: x@example.com\nusers:\n  - id: a\n    email: [a@example.com]\n');
  assert.ok(typo.some((t) => /^3: users\[0\] .*email/.test(t)), typo.join(' | '));
});

test('a file with shape errors and duplicates reports them all at once, in line order', () => {
  const issues = issuesOf(`unaddressed: faxadmin@example.com
users:
  - id: a
    emails: [a@example.com]
  - id: a
    emails: [b@example.com]
  - id: c
routes:
  - match: { pool: sim }
    user: nobody
`);
  assert.deepEqual(issues, [
    '5: users[1].id user id "a" is already used by users[0]',
    '7: users[2].emails Invalid input: expected array, received undefined',
    '10: routes[0].user no user "nobody" in users',
  ]);
});
