import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import { parsePassivePort, readAll } from './data-channel.ts';
import { waitUntil } from '@faxgate/testkit';
import { HylafaxProtocolError } from './errors.ts';

test('an empty transfer that ended before anyone listened still reads as empty', async () => {
  // hfaxd closes the data connection of an empty listing at once, before the 150 reply is read.
  const server = createServer((s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  await once(socket, 'end');
  assert.deepEqual(await readAll(socket, 'LIST /sendq', 1_000), Buffer.alloc(0));
  socket.destroy();
  server.close();
});

test('data sent before the reader attaches is kept', async () => {
  const server = createServer((s) => s.end('1\tD\tfaxgate\ttag\t555\r\n'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
  const line = '1\tD\tfaxgate\ttag\t555\r\n';
  await waitUntil('the data to arrive before the reader attaches', () => socket.readableLength >= line.length, 2_000, 5);
  assert.equal((await readAll(socket, 'LIST /doneq', 1_000)).toString(), line);
  socket.destroy();
  server.close();
});

test('the PASV port comes from the last two numbers', () => {
  assert.equal(parsePassivePort({ code: 227, lines: [], text: 'Entering passive mode (127,0,0,1,206,203)' }), 206 * 256 + 203);
  assert.throws(() => parsePassivePort({ code: 500, lines: [], text: 'PASV: command not understood' }), HylafaxProtocolError);
});
