// A call cut while the node's modem was transmitting (the call worker cancels it while TSI/DCS
// go out, or a node dies there) leaves the modem in its HDLC transmit phase, taking every octet
// as frame data: `AT` and `ATZ` went unanswered and the next bring-up marked the line down for
// a cancel (seen in the class1-lines test under load). The line must end the phase before it
// resets the modem. Judged on a real iaxmodem: its answers, and the line's state and log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { AtChannel, openSerialLink } from '@faxgate/class1';
import { startIaxmodemPair } from '../../../libs/class1/test/iaxmodem-pair.ts';
import { ModemLine } from '../src/class1-modem-line.ts';

test('a modem left in its HDLC transmit phase by a cut call is brought back: the line comes up idle, not down', { timeout: 90_000 }, async () => {
  const pair = await startIaxmodemPair();
  const logs: string[] = [];
  let line: ModemLine | undefined;
  const evidence = async () => `\n--- line log\n${logs.join('')}\n${await pair.logs()}`;
  try {
    const linkA = await openSerialLink(pair.a.device);
    const a = new AtChannel(linkA);
    const linkB = await openSerialLink(pair.b.device);
    const b = new AtChannel(linkB);
    for (const [ch, cmd] of [[a, 'ATZ'], [b, 'ATZ'], [a, 'AT+FCLASS=1'], [b, 'AT+FCLASS=1']] as const) assert.equal((await ch.command(cmd, { timeoutMs: 5_000 })).result, 'OK', cmd);
    // iaxmodem answers NO DIALTONE for about 5 s after an on-hook (ATZ): dial after that.
    await new Promise((r) => setTimeout(r, 6_000));
    const dial = a.command('ATDT5550102', { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal((await b.command('ATA', { timeoutMs: 60_000 })).result, 'CONNECT', 'B answers');
    assert.equal((await dial).result, 'CONNECT', 'A hears B');
    // A's ATD CONNECT is a V.21 receive phase; any character ends it (OK), then A transmits.
    assert.equal((await a.command('AT+FTH=3', { timeoutMs: 5_000 })).result, 'OK');
    assert.equal((await a.command('AT+FTH=3', { timeoutMs: 5_000 })).result, 'CONNECT');
    // A frame that is not the last (control 0x03, T.30 §5.3.5: final bit clear), its
    // <DLE><ETX> never written: the call is cut here.
    a.writeData(Uint8Array.of(0xff, 0x03, 0x80, 0x00), false);
    await linkA.close();

    line = new ModemLine({
      device: pair.a.device, line: 'test/cut/modem-1', resetCmds: ['ATZ'], initCmds: [], checkIntervalMs: 60_000,
      log: pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) }),
    });
    await line.start();
    assert.equal(line.health.state, 'idle', `the line after the cut call${await evidence()}`);
    assert.doesNotMatch(logs.join(''), /modem line down/, await evidence());
    await linkB.close();
  } finally {
    await line?.stop();
    await pair.stop();
  }
});
