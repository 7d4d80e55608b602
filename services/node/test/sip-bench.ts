// What every SIP fax test of the node starts from: a temp dir, spandsp's T.38 peer (the judge of
// the fax itself), a one-page letter, and the `sip` line driver set up as a trunk on loopback.
import { after, before } from 'node:test';
import pino from 'pino';
import { tempDir, type TempDir } from '@faxgate/testkit';
import { SipLineDriver, type SipDriverOptions } from '../src/sip-line-driver.ts';
import { buildSpandspPeer, makeTiff } from '../../../libs/t38/test/fax-peers.ts';

export interface SipBench {
  dir: TempDir;
  /** The spandsp T.38 peer binary. */
  peer: string;
  /** A one-page fine letter (TIFF). */
  page: string;
}

/** Registers the file's before/after hooks; the returned bench is filled in by `before`. */
export function useSipBench(label: string): SipBench {
  const bench = {} as SipBench;
  before(async () => {
    bench.dir = await tempDir(label);
    bench.peer = buildSpandspPeer();
    bench.page = makeTiff(bench.dir.path, 'letter', 1, 196);
  });
  after(async () => {
    await bench.dir?.remove();
  });
  return bench;
}

/** The node's `sip` line driver as a trunk on loopback, with whatever the test overrides. */
export function sipDriver(o: Partial<SipDriverOptions> = {}): SipLineDriver {
  return new SipLineDriver({
    sip: { bindHost: '127.0.0.1', bindPort: 0, user: '+12125550188', domain: '127.0.0.1', t38WaitMs: 500 },
    dialFormat: 'sip:{e164}@127.0.0.1', maxCalls: 2, callsPerSecond: 0, localId: '+1 212 555 0188', ecm: true, redundancy: 3, country: 'US',
    line: 'test/node/sip', keepAliveMs: 0, log: pino({ level: 'silent' }),
    ...o,
  });
}
