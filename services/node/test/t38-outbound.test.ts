import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { runRoles, type RunningGateway } from '@faxgate/runtime';
import { makePdf, startTestGateway, type TestGateway } from '@faxgate/testkit';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { notifierRole } from '@faxgate/notifier';
import { nodeRole } from '../src/index.ts';
import { buildSpandspPeer, comparePages, start, type Proc } from '../../../libs/t38/test/fax-peers.ts';

const run = promisify(execFile);
let peer: string;

before(() => {
  peer = buildSpandspPeer();
});

/**
 * The whole outbound path on a real fax protocol: a mail in over SMTP, rendered, dispatched to a
 * node whose line driver is faxgate's own T.30 engine over T.38, and spandsp (the reference
 * implementation) as the receiving fax machine. spandsp must report success, and what it
 * received must be, pixel for pixel as libtiff decodes it, the TIFF faxgate rendered.
 *
 * Its own timeout: a real-time T.38 call (about 25 s here), bounded by spandsp's --timeout 150 and
 * the 150 s wait for the result mail, which fail first with spandsp's log.
 */
test('mail → render → T.38 call to spandsp → result mail; spandsp received exactly the rendered pages', { timeout: 180_000 }, async () => {
  let sp: Proc | undefined;
  let received = '';
  let g: TestGateway<RunningGateway> | undefined;
  try {
    // spandsp listens first: the node's line driver is configured with its port.
    g = await startTestGateway((env) => runRoles([notifierRole, nodeRole, dispatchRole, renderRole, ingestRole], { env }), {
      label: 'faxgate-t38-out',
      env: async (dir) => {
        received = join(dir, 'spandsp-received.tif');
        sp = start(peer, ['receive', '--file', received, '--ecm', '1', '--timeout', '150']);
        const port = (await sp.waitFor(/LISTENING (\d+)/))[1];
        return { FAXGATE_FAX_DOMAINS: 'fax.test', FAXGATE_NODE_DRIVER: 't38', FAXGATE_T38_PEER: `127.0.0.1:${port}`, FAXGATE_T38_LOCAL_ID: '+1 212 555 0188', FAXGATE_NODE_LINES: '1' };
      },
    });
    const { gw, dir, sink } = g;
    const smtpPort = gw.instanceOf(ingestRole).smtpPort();
    const pdf = join(dir.path, 'letter.pdf');
    await import('node:fs/promises').then(async (fs) => fs.writeFile(pdf, await makePdf(dir.path, 1, 'Over T.38')));
    const { stdout } = await run('swaks', ['--server', `127.0.0.1:${smtpPort}`, '--from', 'alice@example.com', '--to', '12125550100@fax.test', '--header', 'To: "Lab receiver" <12125550100@fax.test>', '--header', 'Subject: T.38 test', '--body', 'Sent over T.38 to spandsp.', '--attach', `@${pdf}`]);
    const faxId = /queued as (fx[0-9a-z]+)/.exec(stdout)?.[1];
    assert.ok(faxId, stdout);

    const mail = await sink.waitFor((m) => m.parsed.headers.get('x-faxgate-fax-id') === faxId, 150_000);
    const spCode = await sp!.exit;
    assert.equal(spCode, 0, `spandsp did not report success:\n${sp!.stdout()}${sp!.stderr()}`);
    assert.match(mail.parsed.subject ?? '', /sent: 2 pages/);
    assert.match(mail.parsed.text ?? '', /Pages: +2 of 2 sent/);

    const sent = join(g.dataDir, 'faxes', faxId, 'r0.tif');
    const diff = comparePages(dir.path, sent, received);
    assert.equal(diff, null, `spandsp's pages differ from what faxgate rendered: ${diff}`);
  } finally {
    sp?.kill();
    await g?.dispose();
  }
});
