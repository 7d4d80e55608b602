import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ByteLink } from '@faxgate/class1';
import { waitUntil } from '@faxgate/testkit';
import { ModemLine } from '../src/class1-modem-line.ts';

// A device path that comes to lead to another modem (docs/modems.md: a USB modem swapped on the
// same /dev/ttyACM0, a dead iaxmodem's pty link reused): the line reopens the device and probes
// it, and must warn that the modem answering is not the one it had. Two iaxmodems answer alike
// (spandsp in both), so the modem side is played here over a byte link: the answers of a
// spandsp modem as iaxmodem gives them on its pty (ATI, ATI3, +FCLASS=?, +FTM=?, ...), then
// those of a modem of another make.

type Identity = Record<'ATI' | 'ATI3' | 'AT+FMI?' | 'AT+FMM?' | 'AT+FMR?', string | undefined>;

/** iaxmodem's answers (fax-peers guide; +FMI/+FMM/+FMR as ERROR, as the probe allows). */
const SPANDSP: Identity = { ATI: 'spandsp', ATI3: 'www.soft-switch.org', 'AT+FMI?': undefined, 'AT+FMM?': undefined, 'AT+FMR?': undefined };
/** Another make's Class 1 modem, with T.31 §8 identification. */
const OTHER: Identity = { ATI: '5601', ATI3: 'U.S. Robotics 56K FAX EXT V5.10.2', 'AT+FMI?': 'USRobotics', 'AT+FMM?': '56K FAX EXT', 'AT+FMR?': '5.10.2' };

const CAPABILITIES: Record<string, string> = {
  'AT+FCLASS=?': '0,1,1.0',
  'AT+FTM=?': '24,48,72,73,74,96,97,98,121,122,145,146',
  'AT+FRM=?': '24,48,72,73,74,96,97,98,121,122,145,146',
  'AT+FTH=?': '3',
  'AT+FRH=?': '3',
};

/** A modem on a byte link answering each command line (echo off, verbose results). */
function playedModem(identity: Identity) {
  let onData: (d: Uint8Array) => void = () => {};
  let onClose: (e?: Error) => void = () => {};
  let pending = '';
  const send = (text: string) => setImmediate(() => onData(Buffer.from(text, 'latin1')));
  const link: ByteLink = {
    write: (d) => {
      pending += Buffer.from(d).toString('latin1');
      let cr: number;
      while ((cr = pending.indexOf('\r')) >= 0) {
        const cmd = pending.slice(0, cr).trim().toUpperCase();
        pending = pending.slice(cr + 1);
        if (!cmd) continue;
        const info = cmd in identity ? identity[cmd as keyof Identity] : CAPABILITIES[cmd];
        if (cmd in identity && info === undefined) send('\r\nERROR\r\n');
        else send(`${info === undefined ? '' : `\r\n${info}\r\n`}\r\nOK\r\n`);
      }
    },
    onData: (l) => { onData = l; },
    onClose: (l) => { onClose = l; },
    close: async () => onClose(),
  };
  /** The device goes away, as a pty whose iaxmodem died. */
  return { link, vanish: () => onClose(new Error('EIO')) };
}

test('a reopened device answering as a different modem: the line comes up with the new capabilities, and warns in the log and on its status; the same modem again raises nothing', { timeout: 30_000 }, async () => {
  const logs: Array<{ msg: string; before?: string; now?: string }> = [];
  let identity = SPANDSP;
  const opened: Array<ReturnType<typeof playedModem>> = [];
  const line = new ModemLine({
    device: '/dev/ttyACM0', line: 'test/identity/modem-1', resetCmds: ['ATZ'], initCmds: [], checkIntervalMs: 60_000,
    log: pino({ level: 'debug' }, { write: (s: string) => void logs.push(JSON.parse(s)) }),
    open: async () => {
      const m = playedModem(identity);
      opened.push(m);
      return m.link;
    },
  });
  const evidence = () => `\n--- line ${JSON.stringify(line.health)}\n--- log\n${logs.map((l) => JSON.stringify(l)).join('\n')}`;
  try {
    await line.start();
    assert.equal(line.health.state, 'idle');
    assert.deepEqual(line.capabilities?.identity.ati3, ['www.soft-switch.org']);

    // The same modem after the device vanished and came back: no warning.
    opened[0].vanish();
    await waitUntil('the line to reopen the device and come up again', () => opened.length === 2 && line.health.state === 'idle', 10_000);
    assert.equal(line.warning, '');
    assert.equal(line.health.reason, undefined);
    assert.ok(!logs.some((l) => /different modem/.test(l.msg)), 'no identity warning for the same modem');

    // Another modem behind the same path.
    identity = OTHER;
    opened[1].vanish();
    await waitUntil('the line to reopen the device and come up again', () => opened.length === 3 && line.health.state === 'idle', 10_000);
    assert.equal(line.capabilities?.identity.model, '56K FAX EXT', 'the new modem\'s probe is the one in use');
    assert.match(line.health.reason ?? '', /^\/dev\/ttyACM0 answers as a different modem than before \(ATI "spandsp" → "5601", ATI3 "www\.soft-switch\.org" → "U\.S\. Robotics 56K FAX EXT V5\.10\.2", \+FMI "" → "USRobotics", \+FMM "" → "56K FAX EXT", \+FMR "" → "5\.10\.2"\) since /);
    const warning = logs.find((l) => l.msg === 'modem answers as a different modem than before');
    assert.ok(warning, 'a warning in the log');
    assert.equal(warning.before, 'ATI "spandsp", ATI3 "www.soft-switch.org"');
    assert.equal(warning.now, 'ATI "5601", ATI3 "U.S. Robotics 56K FAX EXT V5.10.2", +FMI "USRobotics", +FMM "56K FAX EXT", +FMR "5.10.2"');
  } catch (err) {
    // The runner prints the stack made with the first message: a new error carries the evidence.
    throw new Error(`${(err as Error).message}${evidence()}`, { cause: err });
  } finally {
    await line.stop();
  }
});
