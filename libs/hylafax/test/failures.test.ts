import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HylafaxAuthError,
  HylafaxClient,
  HylafaxLineDriver,
  HylafaxConnectionError,
  HylafaxProtocolError,
  HylafaxTimeoutError,
  type HylafaxConnectOptions,
} from '../src/index.ts';
import { startHylafaxTestbed, type HylafaxTestbed } from './hylafax-testbed.ts';

// Failure paths against a real hfaxd (no modems needed): what a dispatch worker or the inbound
// poller sees when the server is down, frozen, or refuses them.
let bed: HylafaxTestbed;
let login: HylafaxConnectOptions;

before(async () => {
  bed = await startHylafaxTestbed({ modems: false });
  login = { host: bed.host, port: bed.port, user: bed.user, password: bed.password, timeoutMs: 5_000 };
});
after(async () => {
  await bed?.stop();
});

test('the configured user logs in, with and without admin privileges', async () => {
  const c = await HylafaxClient.connect(login);
  assert.deepEqual(await c.listReceived(), []);
  await c.quit();
  const admin = await HylafaxClient.connect({ ...login, adminPassword: bed.adminPassword });
  assert.equal(admin.connected, true);
  await admin.quit();
});

test('a wrong password is an auth error with the server reply, not worth retrying', async () => {
  const err = await HylafaxClient.connect({ ...login, password: 'wrong' }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof HylafaxAuthError, String(err));
  assert.equal(err.replyCode, 530);
  assert.match(err.replyText, /Login incorrect/);
  assert.equal(err.transient, false);
  assert.match(err.message, /password of faxgate/);
  assert.doesNotMatch(err.message, /wrong/);
});

test('a wrong admin password and an unknown user are auth errors too', async () => {
  const admin = await HylafaxClient.connect({ ...login, adminPassword: 'nope' }).then(() => undefined, (e: unknown) => e);
  assert.ok(admin instanceof HylafaxAuthError, String(admin));
  assert.match(admin.message, /administrative privileges/);
  const stranger = await HylafaxClient.connect({ ...login, user: 'mallory' }).then(() => undefined, (e: unknown) => e);
  assert.ok(stranger instanceof HylafaxAuthError, String(stranger));
  assert.equal(stranger.transient, false);
});

test('protocol errors name the command and the reply, and the session goes on', async () => {
  const c = await HylafaxClient.connect(login);
  const missing = await c.retrieve('/recvq/fax999999999.tif').then(() => undefined, (e: unknown) => e);
  assert.ok(missing instanceof HylafaxProtocolError, String(missing));
  assert.equal(missing.command, 'RETR /recvq/fax999999999.tif');
  assert.equal(missing.replyCode, 550);
  assert.match(missing.replyText, /No such file/);
  // hfaxd keeps the refused transfer's data connection queued: the next transfer must still work.
  assert.deepEqual(await c.listJobs('sendq'), []);
  assert.equal(await c.selectJob(999_999), false);
  assert.equal(await c.getJob(999_999), undefined);
  const noDoc = await c.addDocument('/tmp/nothere.tif').then(() => undefined, (e: unknown) => e);
  assert.ok(noDoc instanceof HylafaxProtocolError, String(noDoc));
  assert.equal(noDoc.command, 'JPARM DOCUMENT /tmp/nothere.tif');
  assert.equal(noDoc.replyCode, 550);
  assert.equal(noDoc.transient, false);
  await c.quit();
});

test('a server that is down gives a connection error, and a restarted one works again', async () => {
  await bed.stopHfaxd();
  try {
    const err = await HylafaxClient.connect(login).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxConnectionError, String(err));
    assert.equal(err.socketCode, 'ECONNREFUSED');
    assert.equal(err.transient, true);
  } finally {
    await bed.startHfaxd();
  }
  const c = await HylafaxClient.connect(login);
  assert.deepEqual(await c.listJobs('doneq'), []);
  await c.quit();
});

test('a session the server drops mid-way fails the next command with a connection error', async () => {
  const c = await HylafaxClient.connect(login);
  await bed.stopHfaxd();
  try {
    const err = await c.listReceived().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxConnectionError, String(err));
    assert.equal(c.connected, false);
  } finally {
    await bed.startHfaxd();
  }
});

test('a server that accepts but never answers times out at the greeting', async () => {
  bed.freezeHfaxd();
  try {
    const err = await HylafaxClient.connect({ ...login, timeoutMs: 1_500 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof HylafaxTimeoutError, String(err));
    assert.equal(err.step, 'the greeting');
    assert.equal(err.transient, true);
  } finally {
    bed.thawHfaxd();
  }
  const c = await HylafaxClient.connect(login);
  await c.quit();
});

test('the line driver reports a refused login as a failed call with the reason, and throws when the server is down', async () => {
  const call = { callId: `fx-driver-${process.pid}`, number: '+15550120', dialString: '5550120', document: new Uint8Array(0), fromPage: 1, line: 'hylafax-1' };
  const refused = await new HylafaxLineDriver({ server: { ...login, password: 'wrong' } }).send(call, new AbortController().signal);
  assert.equal(refused.result, 'failed');
  assert.equal(refused.pagesSent, 0);
  assert.match(refused.reason ?? '', /refused the password of faxgate: 530 Login incorrect/);

  // Unreachable before the job lookup: a job of this call may exist, so the call must run again.
  await bed.stopHfaxd();
  try {
    await assert.rejects(new HylafaxLineDriver({ server: login }).send(call, new AbortController().signal), HylafaxConnectionError);
  } finally {
    await bed.startHfaxd();
  }
});
