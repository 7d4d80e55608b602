import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { ControlChannel } from './control-channel.ts';
import { waitUntil } from '@faxgate/testkit';
import { HylafaxConnectionError } from './errors.ts';

/** A scripted peer: answers each received line with the replies `script` gives for it. */
async function scriptedServer(script: (line: string, socket: Socket) => void) {
  const server = createServer((socket) => {
    socket.write('220 ready.\r\n');
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      for (let i = buf.indexOf('\r\n'); i >= 0; i = buf.indexOf('\r\n')) {
        script(buf.slice(0, i), socket);
        buf = buf.slice(i + 2);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port };
}

test('the end of a transfer that arrives before its data is done is kept for the reader', async () => {
  // hfaxd can send 150 and 226 back to back, before the client saw its data connection close.
  const { server, port } = await scriptedServer((line, s) => {
    if (line === 'LIST /sendq') s.write('150 Opening new data connection.\r\n226 Transfer complete.\r\n');
    if (line === 'NOOP') s.write('200 NOOP command successful.\r\n');
  });
  const ch = await ControlChannel.open('127.0.0.1', port, 2_000);
  assert.equal((await ch.readReply('greeting', 2_000)).code, 220);
  assert.equal((await ch.command('LIST /sendq', 2_000)).code, 150);
  // The one fixed pause left: the 226 must be in before the reader asks, and the channel has no
  // public state that shows a reply it keeps (adding one for the test would be a test switch).
  // 50 ms is ample for 24 bytes on loopback; too short would make the test pass vacuously, not fail.
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await ch.readReply('end of LIST', 2_000)).code, 226);
  assert.equal((await ch.command('NOOP', 2_000)).code, 200);
  ch.destroy();
  server.close();
});

test('an unread reply before a new command means the dialogue is out of step', async () => {
  const { server, port } = await scriptedServer((line, s) => {
    if (line === 'NOOP') s.write('200 one.\r\n200 two.\r\n');
  });
  const ch = await ControlChannel.open('127.0.0.1', port, 2_000);
  await ch.readReply('greeting', 2_000);
  await ch.command('NOOP', 2_000);
  // As above: the second reply must be in before the next command (no public state shows it);
  // 50 ms is ample for it on loopback.
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(ch.command('NOOP', 2_000), HylafaxConnectionError);
  assert.equal(ch.alive, false);
  server.close();
});

test('a 421 out of turn closes the channel with the server text', async () => {
  const server = createServer((socket) => {
    socket.write('220 ready.\r\n');
    setTimeout(() => socket.write('421 Timeout (900 seconds): closing control connection.\r\n'), 20);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const ch = await ControlChannel.open('127.0.0.1', (server.address() as { port: number }).port, 2_000);
  await ch.readReply('greeting', 2_000);
  await waitUntil('the 421 to close the channel', () => !ch.alive, 2_000, 5);
  await assert.rejects(ch.command('NOOP', 2_000), (err: unknown) => err instanceof HylafaxConnectionError && /closing the connection: 421 Timeout/.test(err.message));
  server.close();
});
