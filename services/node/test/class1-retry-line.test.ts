import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { makePdf, startTestGateway, waitUntil, type TestGateway } from '@faxgate/testkit';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import type { ReceiveOutcome } from '@faxgate/line-driver';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { nodeRole } from '../src/index.ts';
import type { Class1LineDriver } from '../src/class1-line-driver.ts';
import { class1Driver } from './class1-bed.ts';

// The modem of the line a call runs on vanishes mid-call (its iaxmodem is killed, as a USB
// modem unplugged): the call fails, the call worker retries it, and the retry runs on the
// node's other modem, while the vanished one stays down. Two iaxmodem pairs: the node owns
// both A modems; a separate faxgate class1 driver answers on both B modems as the far end.
//
// Real-time calls over iaxmodem (two, about 25 s each): the test has its own timeout.

const run = promisify(execFile);
const pairs: IaxmodemPair[] = [];
let g: TestGateway<RunningGateway>;
let far: Class1LineDriver;
let stopFar: (() => Promise<void>) | undefined;
const farLog: string[] = [];
const received: Array<{ line: string; outcome: ReceiveOutcome }> = [];

before(async () => {
  pairs.push(await startIaxmodemPair(), await startIaxmodemPair());
  // The far end: lines test/far/modem-1 (pair 1's B) and test/far/modem-2 (pair 2's B).
  far = class1Driver([pairs[0].b.device, pairs[1].b.device], 'far', farLog, { localId: '+1 212 555 0199' });
  stopFar = await far.listen(async (c, outcome) => {
    received.push({ line: c.line, outcome });
    return 'in-test';
  });
  g = await startTestGateway((env) => runRoles([notifierRole, nodeRole, dispatchRole, renderRole, ingestRole], { env }), {
    label: 'faxgate-class1-retry',
    env: {
      FAXGATE_FAX_DOMAINS: 'fax.test',
      FAXGATE_NODE_DRIVER: 'class1',
      FAXGATE_MODEM_DEVICES: `${pairs[0].a.device},${pairs[1].a.device}`,
      FAXGATE_NODE_LINES: '1',
      FAXGATE_STATION_ID: '+1 212 555 0188',
      FAXGATE_MODEM_ANSWER: 'false',
    },
  });
}, { timeout: 60_000 });

after(async () => {
  await g?.dispose();
  await stopFar?.();
  for (const p of pairs) await p.stop();
});

test('the pty of the calling modem vanishes mid-call: the call is retried on the node\'s other modem and the fax goes through', { timeout: 170_000 }, async () => {
  const { gw, dir, sink } = g;
  try {
    const pdf = join(dir.path, 'letter.pdf');
    await writeFile(pdf, await makePdf(dir.path, 1, 'Unplugged mid-call'));
    const smtpPort = gw.instanceOf(ingestRole).smtpPort();
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', 'alice@example.com', '--to', '12125550199@fax.test', '--header', 'Subject: Retry test', '--body', 'Sent twice, received once.', '--attach', `@${pdf}`]);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(stdout)?.[1];
    assert.ok(faxId, stdout);
    // The first call goes out on the node's first modem (pair 1's A): the far end answers on
    // pair 1's B. Then pair 1's A modem dies.
    await waitUntil('the far end to answer the first call on pair 1', () => farLog.some((l) => /"line":"test\/far\/modem-1"[^}]*"msg":"answering"/.test(l)), 60_000);
    await pairs[0].kill('a');
    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 150_000);
    assert.match(mail.parsed.subject ?? '', /sent: 2 pages/, mail.parsed.text);
    await waitUntil('the far end to hand the fax over', () => received.some((r) => r.outcome.pages === 2), 20_000);
    const whole = received.filter((r) => r.outcome.pages === 2 && !r.outcome.partial);
    assert.equal(whole.length, 1, 'received whole once');
    assert.equal(whole[0].line, 'test/far/modem-2', 'the retry came in on pair 2');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}\n--- far end\n${farLog.join('')}\n${(await Promise.all(pairs.map((p) => p.logs()))).join('\n')}`, { cause: err });
  }
});
