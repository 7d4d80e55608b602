import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { lineStatusKeys } from '@faxgate/k8s';
import { makePdf, renderPdfPages, startTestGateway, waitUntil, type TestGateway } from '@faxgate/testkit';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import { inboundRole } from '@faxgate/inbound';
import { startIaxmodemPair, type IaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { nodeRole } from '../src/index.ts';

// A node with four modem lines, two iaxmodem pairs, carries a queue: one mail to four fax
// numbers becomes four calls, two at a time (FAXGATE_NODE_LINES=2), each from one of the node's
// modems to its pair's other modem, which the same node answers, so while two calls run all
// four modem lines are busy. Every call is sent and every fax is received and mailed.
//
// Real-time calls over iaxmodem (four, about 25 s each, two at once): the test has its own timeout.

const run = promisify(execFile);
const pairs: IaxmodemPair[] = [];
let g: TestGateway<RunningGateway>;
const NODE_ID = 'class1-pool-node';

before(async () => {
  pairs.push(await startIaxmodemPair(), await startIaxmodemPair());
  g = await startTestGateway((env) => runRoles([notifierRole, inboundRole, nodeRole, dispatchRole, renderRole, ingestRole], { env }), {
    label: 'faxgate-class1-pool',
    env: {
      FAXGATE_FAX_DOMAINS: 'fax.test',
      FAXGATE_NODE_ID: NODE_ID,
      FAXGATE_NODE_DRIVER: 'class1',
      // The two callers first: a free line is looked for in this order.
      FAXGATE_MODEM_DEVICES: [pairs[0].a.device, pairs[1].a.device, pairs[0].b.device, pairs[1].b.device].join(','),
      FAXGATE_NODE_LINES: '2',
      FAXGATE_STATION_ID: '+1 212 555 0188',
      FAXGATE_INBOUND_UNADDRESSED: 'faxdesk@example.com',
    },
  });
}, { timeout: 60_000 });

after(async () => {
  await g?.dispose();
  for (const p of pairs) await p.stop();
});


test('one mail to four numbers: four modem calls, two at once on four busy modem lines, all sent and all received', { timeout: 175_000 }, async () => {
  const { gw, dir, sink, env } = g;
  const redis = new Redis(env.FAXGATE_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  let mostCalling = 0;
  let watching = true;
  // The node publishes its modem lines to Redis for the console: count the ones in a call
  // (a calling modem and the modem answering it are both busy).
  const watch = (async () => {
    while (watching) {
      const raw = await redis.get(lineStatusKeys.node(env.FAXGATE_QUEUE_PREFIX, NODE_ID));
      if (raw) {
        const calling = (JSON.parse(raw) as { lines: Array<{ state: string }> }).lines.filter((l) => l.state === 'calling').length;
        mostCalling = Math.max(mostCalling, calling);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    const pdf = join(dir.path, 'letter.pdf');
    await writeFile(pdf, await makePdf(dir.path, 1, 'To four numbers'));
    const smtpPort = gw.instanceOf(ingestRole).smtpPort();
    const to = ['12125550101', '12125550102', '12125550103', '12125550104'].map((n) => `${n}@fax.test`).join(',');
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', 'alice@example.com', '--to', to, '--header', 'Subject: Pool test', '--body', 'One page to four numbers.', '--attach', `@${pdf}`]);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(stdout)?.[1];
    assert.ok(faxId, stdout);
    const summary = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 165_000);
    assert.match(summary.parsed.subject ?? '', /Fax broadcast to 4 recipients: 4 sent/, summary.parsed.text);
    // Every call was answered by the node's other modem of the pair and mailed to the fax desk.
    const inboundMails = () => sink.mails.filter((m) => m.parsed.headers.get('x-faxgate-inbound-id'));
    await waitUntil('four received faxes mailed to the fax desk', () => inboundMails().length >= 4, 30_000).catch(() => undefined);
    const inbound = inboundMails();
    assert.equal(inbound.length, 4, 'four received faxes mailed');
    const dids = inbound.map((m) => String(m.parsed.headers.get('x-faxgate-did'))).sort();
    assert.equal(new Set(dids).size, 4, `each call reached its own number: ${dids.join(',')}`);
    for (const m of inbound) {
      assert.match(m.parsed.subject ?? '', /Fax from \+1 212 555 0188, 2 pages/);
      const pdfPart = m.parsed.attachments.find((a) => a.contentType === 'application/pdf');
      assert.ok(pdfPart);
      assert.equal((await renderPdfPages(pdfPart.content, dir.path, `in-${m.parsed.headers.get('x-faxgate-inbound-id')}`)).length, 2);
    }
    assert.equal(mostCalling, 4, 'all four modem lines were in a call at the same time (two calls, each with its answering modem)');
  } finally {
    watching = false;
    await watch;
    await redis.quit();
  }
});
