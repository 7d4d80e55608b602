import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '@faxgate/testkit';
import { renderChart, workloads, type Manifest } from './chart-render.ts';

// Issue 19: a node with real lines refuses to start without its station id (the fax number in
// TSI/CSI and every page's header line), so the chart must hand one to the pods, and refuses to
// render a real-line pool without one instead of producing pods that crash at start.

const stationOf = (w: Manifest) => (w.spec.template.spec.containers[0].env as Array<{ name: string; value?: string }>).find((e) => e.name === 'FAXGATE_STATION_ID')?.value;
const sipPool = (extra = '') => `node:\n  pools:\n    - name: trunk\n      kind: statefulset\n      replicas: 1\n      lines: 8\n      driver: sip\n${extra}`;

test('a SIP pool without a station id is refused with a clear message; config.stationId reaches render and the node, a pool\'s own wins', async (t) => {
  const dir = await tempDir('faxgate-chart-station');
  t.after(() => dir.remove());
  const file = async (name: string, text: string) => {
    const f = join(dir.path, name);
    await writeFile(f, text);
    return f;
  };
  const none = await file('none.yaml', sipPool());
  assert.throws(() => renderChart([none]), /node pool trunk \(driver sip\) has real lines and no station id: set config\.stationId/);

  const shared = renderChart([await file('shared.yaml', `config:\n  stationId: "+1 212 555 0199"\n${sipPool()}`)]);
  const by = (ms: Manifest[], name: string) => workloads(ms).find((w) => w.metadata.name === name)!;
  assert.equal(stationOf(by(shared, 'fg-faxgate-render')), '+1 212 555 0199');
  assert.equal(stationOf(by(shared, 'fg-faxgate-node-trunk')), '+1 212 555 0199');

  const own = renderChart([await file('own.yaml', `config:\n  stationId: "+1 212 555 0199"\n${sipPool('      stationId: "+44 20 7946 0018"\n')}`)]);
  const node = by(own, 'fg-faxgate-node-trunk');
  assert.equal(stationOf(node), '+44 20 7946 0018');
  assert.equal((node.spec.template.spec.containers[0].env as Array<{ name: string }>).filter((e) => e.name === 'FAXGATE_STATION_ID').length, 1, 'one variable, not two');
  const bad = await file('bad.yaml', `config:\n  stationId: "call us"\n`);
  assert.throws(() => renderChart([bad]), /stationId/);
  // The simulated line needs none.
  assert.equal(stationOf(by(renderChart(), 'fg-faxgate-node-sim')), undefined);
});
