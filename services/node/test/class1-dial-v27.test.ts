import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig, z } from '@faxgate/config';
import { writeTiff, type Bitmap } from '@faxgate/fax-image';
import { parseFaxNumber } from '@faxgate/phone';
import { dialFields, dialRulesFromConfig } from '@faxgate/phone/config';
import { startTestGateway, tempDir, textPage, waitUntil, type TempDir } from '@faxgate/testkit';
import { runRoles } from '@faxgate/runtime';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import { inboundRole } from '@faxgate/inbound';
import { nodeRole } from '../src/index.ts';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { assertSamePages } from '../../../libs/class1/test/fax-bed.ts';
import { callAtoB } from './class1-bed.ts';

// Two things of issue 12 over a pair of real software modems (iaxmodem, spandsp's Class 1
// modem behind each pty), node A's class1 driver calling node B's:
// - the dial rules reach the modem: FAXGATE_DIAL_OUTSIDE_PREFIX is applied where every fax
//   address becomes a number (the dial rules of @faxgate/phone, which ingest and the console
//   API use; the record keeps that dial string and the node's call worker hands it to the
//   driver), and the far iaxmodem reports the number it was called with as NDID; once with the
//   drivers alone, once through the whole gateway (mail in, the node's modem A dials, its modem
//   B answers and the received fax's mail carries the DID);
// - a whole call at V.27 ter 4800 when one side offers only V.27 ter.
//
// Real-time calls over iaxmodem (about 20–50 s each): each test has its own timeout.

let pair: IaxmodemPair;
let dir: TempDir;

before(async () => {
  pair = await startIaxmodemPair();
  dir = await tempDir('faxgate-class1-dial-v27');
});

after(async () => {
  await pair?.stop();
  await dir?.remove();
});

test('FAXGATE_DIAL_OUTSIDE_PREFIX=9: the fax address 12125550102 is dialled as 9 1 212 555 0102, and the far iaxmodem reports that number (NDID) to node B', { timeout: 110_000 }, async () => {
  const env = { FAXGATE_DEFAULT_COUNTRY: 'US', FAXGATE_DIAL_OUTSIDE_PREFIX: '9' };
  const rules = dialRulesFromConfig(loadConfig('dial rules', z.object(dialFields), env));
  const n = parseFaxNumber('12125550102', 'US', rules);
  assert.ok(n.ok, JSON.stringify(n));
  assert.equal(n.e164, '+12125550102');
  const page = textPage(1728, 200, 21) as Bitmap;
  const tiff = writeTiff([{ bitmap: page, xDpi: 204, yDpi: 196 }], { compression: 'mmr' });
  const r = await callAtoB(pair, n.dialString, tiff, { request: () => ({ callId: 'dial-prefix' }) });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    // The far end was called with the prefixed digits: iaxmodem puts the called number in NDID.
    assert.equal(r.received.call.did, '912125550102');
    assert.equal(r.received.call.callingNumber, pair.a.callerNumber);
    assert.equal(r.received.outcome.pages, 1);
    await assertSamePages(r.received.outcome.document, tiff, dir.path, 'dial');
  } catch (err) {
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

// Node B offers MH only (FAXGATE_MODEM_CODINGS=mh): with ECM that is the grid's MH-with-ECM
// cell, which two faxgates offering MMR never reach otherwise.
test('faxgate → faxgate with node A limited to V.27 ter and node B to MH: DCS says V.27 ter 4800, MH with ECM, and 2 pages (fine) arrive pixel for pixel', { timeout: 110_000 }, async () => {
  const pages = [textPage(1728, 220, 31), textPage(1728, 220, 32)] as Bitmap[];
  const tiff = writeTiff(pages.map((bitmap) => ({ bitmap, xDpi: 204, yDpi: 196 })), { compression: 'mr' });
  const r = await callAtoB(pair, '5550102', tiff, { a: { modulations: ['v27ter'] }, b: { encodings: ['mh'] }, request: () => ({ callId: 'v27ter' }) });
  try {
    assert.equal(r.outcome.result, 'success', JSON.stringify(r.outcome));
    assert.equal(r.outcome.pagesSent, 2);
    assert.equal(r.received.outcome.pages, 2);
    assert.equal(r.received.outcome.partial, false);
    await assertSamePages(r.received.outcome.document, tiff, dir.path, 'v27ter');
    assert.match(r.logA, /training accepted at V\.27ter 4800 bit\/s/);
    assert.match(r.logB, /DCS: V\.27ter 4800 bit\/s, mh, fine, ecm true/);
    assert.match(r.logA, /tx ECM block 0 of page 1: /);
    assert.doesNotMatch(r.logA + r.logB, /V\.(17|29) \d+ bit\/s/, 'no call phase at V.17 or V.29');
  } catch (err) {
    throw new Error(`${(err as Error).message}${await r.evidence()}`, { cause: err });
  }
});

test('the whole gateway with FAXGATE_DIAL_OUTSIDE_PREFIX=9: a mail to 12125550102@ is dialled by the node\'s modem A as 912125550102, and the node\'s modem B, called by that number, reports it as the received fax\'s DID', { timeout: 110_000 }, async () => {
  const g = await startTestGateway((env) => runRoles([notifierRole, inboundRole, nodeRole, dispatchRole, renderRole, ingestRole], { env }), {
    label: 'faxgate-class1-dial-prefix',
    env: {
      FAXGATE_FAX_DOMAINS: 'fax.test',
      FAXGATE_DEFAULT_COUNTRY: 'US',
      FAXGATE_DIAL_OUTSIDE_PREFIX: '9',
      FAXGATE_NODE_DRIVER: 'class1',
      // Modem A first: a free line is looked for in this order, and one call at a time leaves B to answer.
      FAXGATE_MODEM_DEVICES: [pair.a.device, pair.b.device].join(','),
      FAXGATE_NODE_LINES: '1',
      FAXGATE_STATION_ID: '+1 212 555 0188',
      FAXGATE_INBOUND_UNADDRESSED: 'faxdesk@example.com',
    },
  });
  try {
    const { gw, sink } = g;
    const { stdout } = await promisify(execFile)('swaks', ['--server', `127.0.0.1:${gw.instanceOf(ingestRole).smtpPort()}`, '--from', 'alice@example.com', '--to', '12125550102@fax.test', '--header', 'Subject: Prefix test', '--body', 'Dialled behind a PBX.']);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(stdout)?.[1];
    assert.ok(faxId, stdout);
    const result = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 90_000);
    assert.match(result.parsed.subject ?? '', /sent: 1 page/, result.parsed.text);
    assert.match(result.parsed.text ?? '', /dialled 912125550102/, 'the result mail names the dial string');
    const inbound = await sink.waitFor((m) => !!m.parsed.headers.get('x-faxgate-inbound-id'), 15_000);
    assert.equal(inbound.parsed.headers.get('x-faxgate-did'), '912125550102', 'the number modem B was called with (iaxmodem\'s NDID)');
    assert.match(inbound.parsed.subject ?? '', /Fax from \+1 212 555 0188, 1 page/);
  } catch (err) {
    const mails = g.sink.mails.map((m) => `${m.parsed.subject}\n${m.parsed.text}`).join('\n---\n');
    throw new Error(`${(err as Error).message}\n--- mails\n${mails}\n${await pair.logs()}`, { cause: err });
  } finally {
    await g.dispose();
  }
});
