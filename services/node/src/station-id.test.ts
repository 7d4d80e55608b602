import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@faxgate/config';
import { nodeSchema } from './config.ts';
import { SIM_STATION_ID, withStationId } from './station-id.ts';

const parse = (env: Record<string, string>) => nodeSchema.parse(env);

test('a pool with real lines refuses to start without a station id, naming the variable and the pool', () => {
  for (const driver of ['t38', 'sip', 'hylafax']) {
    assert.throws(() => withStationId(parse({ FAXGATE_NODE_DRIVER: driver, FAXGATE_NODE_POOL: 'trunk-a' })), (err: Error) => {
      assert.ok(err instanceof ConfigError, 'a configuration error: the process exits 78 with the message, no stack');
      assert.match(err.message, new RegExp(`FAXGATE_STATION_ID: FAXGATE_NODE_DRIVER=${driver} needs the station id of pool trunk-a`));
      return true;
    });
  }
});

test('the station id becomes the TSI/CSI of the t38 and sip drivers; their own variable still wins', () => {
  const c = withStationId(parse({ FAXGATE_NODE_DRIVER: 't38', FAXGATE_STATION_ID: '+1 212 555 0188' }));
  assert.equal(c.FAXGATE_T38_LOCAL_ID, '+1 212 555 0188');
  const own = withStationId(parse({ FAXGATE_NODE_DRIVER: 'sip', FAXGATE_T38_LOCAL_ID: '+1 212 555 0199' }));
  assert.equal(own.FAXGATE_T38_LOCAL_ID, '+1 212 555 0199');
  assert.equal(own.FAXGATE_STATION_ID, '+1 212 555 0199');
});

test('the simulated line may go without: it gets a fictitious number', () => {
  const c = withStationId(parse({}));
  assert.equal(c.FAXGATE_STATION_ID, SIM_STATION_ID);
});

test('a station id that is not a T.30 identity is a configuration error', () => {
  assert.throws(() => parse({ FAXGATE_STATION_ID: 'ACME Corp' }), /T\.30 §5\.3\.6\.2\.4/);
  assert.throws(() => parse({ FAXGATE_STATION_ID: '+1 212 555 0188 0000000' }), /T\.30/);
});
