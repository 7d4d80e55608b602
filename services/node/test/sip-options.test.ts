// OPTIONS answered by a node (RFC 3261 §11.2), as its peers ask them: a carrier SBC or monitor
// (SIPp, which fails the call unless the 200 lists the methods and bodies a fax call needs),
// and a load balancer in front of nodes (Kamailio's dispatcher module, which probes every
// destination each second and routes only to those answering 200).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@faxgate/testkit';
import { sipDriver } from './sip-bench.ts';
import { freeUdpPort, sipp } from '../../../libs/sip/test/sipp.ts';
import { startKamailio } from '../../../libs/sip/test/kamailio.ts';

/** The node's `sip` driver listening, with its OPTIONS in and answers out recorded. */
async function listeningNode(maxCalls = 2) {
  const trace: string[] = [];
  const d = sipDriver({
    maxCalls,
    sip: {
      bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500,
      trace: (dir, peer, m) => {
        if (typeof m !== 'string') trace.push(`${dir} ${peer.port} ${m.kind === 'request' ? m.method : `${m.status} ${m.headers.find(([n]) => n === 'CSeq')?.[1]}`}`);
      },
    },
  });
  const stop = await d.listen(async () => 'unused');
  return { d, stop, trace };
}

test('OPTIONS from a monitor (SIPp): 200 with Allow naming INVITE, ACK, BYE, CANCEL, OPTIONS and Accept: application/sdp', { timeout: 60_000 }, async () => {
  const dir = await tempDir('faxgate-sip-options');
  const node = await listeningNode();
  const far = await sipp(dir.path, 'uac-options.xml', { remote: `127.0.0.1:${node.d.port}`, service: '+12125550188', timeoutS: 20 });
  try {
    // SIPp checks Allow, Accept and the To tag (check_it): it exits 0 only if all are there.
    assert.equal(await far.done(), 0, `${far.logs()}\n${node.trace.join('\n')}`);
    assert.match(far.logs(), /^SIP\/2\.0 200 OK[\s\S]*?^CSeq: 1 OPTIONS/m, far.logs());
  } finally {
    far.proc.kill();
    await node.stop();
    await dir.remove();
  }
});

test('Kamailio\'s dispatcher probes the node with OPTIONS: the node listed inactive comes up on its 200s and goes down once it stops; a destination that never answers goes down', { timeout: 60_000 }, async () => {
  const dir = await tempDir('faxgate-sip-dispatcher');
  const node = await listeningNode();
  // Nothing listens here: the probe's control, failing by fr_timer.
  const dead = await freeUdpPort();
  const list = join(dir.path, 'dispatcher.list');
  // Flags (dispatcher module): 8 probing; 9 = inactive and probing.
  writeFileSync(list, `1 sip:127.0.0.1:${node.d.port} 9 0\n1 sip:127.0.0.1:${dead} 8 0\n`);
  const kam = await startKamailio(dir.path, 'unused', { config: 'dispatcher.cfg', vars: { DISPATCHER_LIST: list } });
  let stopped = false;
  try {
    const evidence = () => `--- node trace ---\n${node.trace.join('\n')}\n${kam.logs()}`;
    await kam.proc.waitFor(new RegExp(`DST-UP sip:127\\.0\\.0\\.1:${node.d.port}\\b`), 15_000).catch((err: Error) => { throw new Error(`the node was never marked up: ${err.message.slice(0, 200)}\n${evidence()}`); });
    await kam.proc.waitFor(new RegExp(`DST-DOWN sip:127\\.0\\.0\\.1:${dead}\\b`), 15_000).catch((err: Error) => { throw new Error(`the dead destination was never marked down: ${err.message.slice(0, 200)}\n${evidence()}`); });
    assert.ok(node.trace.some((l) => l === `in ${kam.port} OPTIONS`), `Kamailio's probes reached the node\n${evidence()}`);
    assert.ok(node.trace.some((l) => /^out \d+ 200 \d+ OPTIONS$/.test(l)), `the node answered them 200\n${evidence()}`);
    assert.doesNotMatch(kam.logs(), new RegExp(`DST-DOWN sip:127\\.0\\.0\\.1:${node.d.port}\\b`), 'the node stayed up while it answered');
    // It is the answers that keep it up: a stopped node goes down at the next probes.
    await node.stop();
    stopped = true;
    await kam.proc.waitFor(new RegExp(`DST-DOWN sip:127\\.0\\.0\\.1:${node.d.port}\\b`), 15_000).catch((err: Error) => { throw new Error(`the stopped node was never marked down: ${err.message.slice(0, 200)}\n${evidence()}`); });
  } finally {
    if (!stopped) await node.stop();
    await kam.stop();
    await dir.remove();
  }
});

test('a node with no free line answers OPTIONS 486 as it would an INVITE (§11.2), so Kamailio\'s dispatcher takes it out of the set', { timeout: 60_000 }, async () => {
  const dir = await tempDir('faxgate-sip-dispatcher-busy');
  // Every line busy: the node takes no further call.
  const node = await listeningNode(0);
  const list = join(dir.path, 'dispatcher.list');
  // Flag 8: active and probing; only the answers can take it down.
  writeFileSync(list, `1 sip:127.0.0.1:${node.d.port} 8 0\n`);
  const kam = await startKamailio(dir.path, 'unused', { config: 'dispatcher.cfg', vars: { DISPATCHER_LIST: list } });
  try {
    const evidence = () => `--- node trace ---\n${node.trace.join('\n')}\n${kam.logs()}`;
    await kam.proc.waitFor(new RegExp(`DST-DOWN sip:127\\.0\\.0\\.1:${node.d.port}\\b`), 15_000).catch((err: Error) => { throw new Error(`the busy node was never marked down: ${err.message.slice(0, 200)}\n${evidence()}`); });
    assert.ok(node.trace.some((l) => /^out \d+ 486 \d+ OPTIONS$/.test(l)), `the node answered the probes 486\n${evidence()}`);
    assert.ok(!node.trace.some((l) => /^out \d+ 200 \d+ OPTIONS$/.test(l)), `no probe got 200\n${evidence()}`);
  } finally {
    await node.stop();
    await kam.stop();
    await dir.remove();
  }
});
