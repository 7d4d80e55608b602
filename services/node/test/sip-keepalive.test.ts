// FAXGATE_SIP_KEEPALIVE: a node sends OPTIONS (RFC 3261 §11) to its outbound proxy on its own,
// which keeps NAT bindings towards the trunk open. SIPp plays the proxy and answers three
// OPTIONS (each its own transaction, so three SIPp calls); it exits 0 only if they came, and its
// trace's timestamps show them one keep-alive interval apart. (Later ones find SIPp gone.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { tempDir } from '@faxgate/testkit';
import { sipDriver } from './sip-bench.ts';
import { sipp, sippTrace } from '../../../libs/sip/test/sipp.ts';

test('keep-alive: OPTIONS reach the outbound proxy unasked and are answered', { timeout: 60_000 }, async () => {
  const dir = await tempDir('faxgate-sip-keepalive');
  const far = await sipp(dir.path, 'uas-options.xml', { timeoutS: 40, calls: 3 });
  const logs: string[] = [];
  const d = sipDriver({
    sip: { bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500, outboundProxy: { host: '127.0.0.1', port: far.port } },
    keepAliveMs: 500,
    log: pino({ level: 'info' }, { write: (l: string) => logs.push(l.trim()) }),
  });
  try {
    await d.listen(async () => 'unused');
    assert.equal(await far.done(30_000), 0, `${far.logs()}\n${logs.join('\n')}`);
    assert.match(far.logs(), /^OPTIONS sip:127\.0\.0\.1:\d+ SIP\/2\.0/m, 'an OPTIONS to the proxy');
    const at = sippTrace(far.logs()).filter((m) => m.dir === 'received' && m.line.startsWith('OPTIONS ')).map((m) => m.at);
    assert.equal(at.length, 3, far.logs());
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    // 500 ms apart (setInterval); a loaded machine delays a tick, never brings one forward much.
    for (const g of gaps) assert.ok(g > 400 && g < 1500, `OPTIONS ${gaps.join(', ')} ms apart; the keep-alive is every 500 ms\n${far.logs()}`);
  } finally {
    far.proc.kill();
    await d.stop();
    await dir.remove();
  }
});
