import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HylafaxClient } from './client.ts';
import { HylafaxError } from './errors.ts';
import { fetchReceivedFax, receivedFaxKey } from './received.ts';
import type { ReceivedFax } from './recv-list.ts';

const fax: ReceivedFax = {
  file: 'fax000000007.tif', receivedAt: new Date(1795958875_000), pages: 2, inProgress: false, senderTsi: '+1 555 0110',
  callerNumber: '', callerName: '', subAddress: '', signalRate: 14400, dataFormat: '2-D MMR', verticalResolution: 196,
  pageWidth: 1728, receiveDuration: '0:00:18', sizeBytes: 6904, error: '',
};

test('the key of a received fax is its file and receive time, usable as a BullMQ job id', () => {
  const key = receivedFaxKey(fax);
  assert.equal(key, 'hylafax-fax000000007-1795958875');
  assert.doesNotMatch(key, /:/);
  assert.notEqual(receivedFaxKey({ ...fax, receivedAt: new Date(1795958999_000) }), key);
});

test('a fax still being received is not fetched, and the refusal is transient', async () => {
  // No call may reach the server: an object without methods fails loudly if one does.
  const err = await fetchReceivedFax({} as HylafaxClient, { ...fax, inProgress: true }).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof HylafaxError, String(err));
  assert.equal(err.code, 'HYLAFAX_RECEIVING');
  assert.equal(err.transient, true);
});
