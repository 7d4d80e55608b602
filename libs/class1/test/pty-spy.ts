import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { waitUntil } from '@faxgate/testkit';

// A tap on the wire between a DTE and a modem: socat opens the modem's device and offers a pty of
// its own in its place, copying octets both ways and logging each chunk with its time (-x). What
// the DTE sent and what the modem answered are then read from socat's log, not from the DTE's own
// account of it: the judge of what reached the modem is outside faxgate.

/** One chunk socat copied: `toModem` true for DTE → modem. */
export interface SpyChunk {
  toModem: boolean;
  /** Seconds since midnight (socat's clock). */
  t: number;
  data: Buffer;
}

export interface PtySpy {
  /** The pty to open instead of the modem's device. */
  device: string;
  /** Every chunk so far, in the order socat copied them. */
  chunks(): Promise<SpyChunk[]>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts socat between `modemDevice` and a new pty at `device`; `logPath` receives its -x log. */
export async function startPtySpy(modemDevice: string, device: string, logPath: string): Promise<PtySpy> {
  const fd = openSync(logPath, 'w');
  const child = spawn('socat', ['-x', `PTY,link=${device},raw,echo=0`, `OPEN:${modemDevice},raw,echo=0`], { stdio: ['ignore', 'ignore', fd] });
  closeSync(fd);
  running.add(child);
  child.once('exit', () => running.delete(child));
  await waitUntil(`socat to create ${device}`, () => existsSync(device), 5_000);
  return {
    device,
    chunks: async () => parseSocatHex(await readFile(logPath, 'latin1')),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * socat -x writes `> 2026/12/06 11:24:22.000633821  length=9 from=0 to=8` and hex lines below
 * it; `>` is from the first address (the pty, i.e. the DTE) to the second. socat 1.7.4 prints the
 * fraction as microseconds padded to nine digits.
 */
export function parseSocatHex(log: string): SpyChunk[] {
  const out: SpyChunk[] = [];
  let cur: { toModem: boolean; t: number; hex: string[] } | undefined;
  const flush = () => {
    if (cur) out.push({ toModem: cur.toModem, t: cur.t, data: Buffer.from(cur.hex.join(''), 'hex') });
  };
  for (const line of log.split('\n')) {
    const h = /^([<>]) \d{4}\/\d\d\/\d\d (\d\d):(\d\d):(\d\d)\.(\d+)\s+length=\d+/.exec(line);
    if (h) {
      flush();
      cur = { toModem: h[1] === '>', t: Number(h[2]) * 3600 + Number(h[3]) * 60 + Number(h[4]) + Number(h[5]) / 1e6, hex: [] };
    } else if (cur && /^\s[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(line)) {
      cur.hex.push(line.replace(/\s+/g, ''));
    }
  }
  flush();
  return out;
}

/**
 * One event of the dialogue: an AT command the DTE sent (`toModem`, CR-terminated), a line the
 * modem answered, a CAN the DTE sent to abort a command (T.31 §8.3.4: any character aborts a
 * receive command), or a block of data (`data`: between a CONNECT and DLE ETX, in either
 * direction), with the time its first octet went (`t`) and for DTE data the time of the CONNECT
 * it followed (`connectAt`).
 */
export interface SpyEvent {
  toModem: boolean;
  t: number;
  text: string;
  data?: number;
  connectAt?: number;
}

/**
 * The dialogue as events. Which side sends data after a CONNECT follows T.31: the modem after
 * +FRM/+FRH and ATD (it is receiving V.21), the DTE after +FTM/+FTH and ATA (it sends the first
 * frame); data ends with DLE ETX (a DLE before anything else is part of the data, DLE DLE a
 * stuffed DLE, ITU-T T.31 §4.5).
 */
export function spyEvents(chunks: SpyChunk[]): SpyEvent[] {
  const events: SpyEvent[] = [];
  const side = {
    dte: { line: '', lineT: 0, data: false, dle: false, octets: 0, event: undefined as SpyEvent | undefined },
    dce: { line: '', lineT: 0, data: false, dle: false, octets: 0, event: undefined as SpyEvent | undefined },
  };
  let lastCommand = '';
  let connectAt = 0;
  for (const c of chunks) {
    const me = c.toModem ? side.dte : side.dce;
    for (const b of c.data) {
      if (me.data) {
        if (me.event === undefined) {
          me.event = { toModem: c.toModem, t: c.t, text: '<data>', data: 0, ...(c.toModem ? { connectAt } : {}) };
          events.push(me.event);
        }
        me.event.data = (me.event.data ?? 0) + 1;
        if (me.dle) {
          me.dle = false;
          if (b === 0x03) {
            me.data = false;
            me.event = undefined;
          }
        } else if (b === 0x10) me.dle = true;
        continue;
      }
      if (b === 0x0d || b === 0x0a) {
        const text = me.line;
        me.line = '';
        if (!text) continue;
        events.push({ toModem: c.toModem, t: me.lineT, text });
        if (c.toModem) lastCommand = text.toUpperCase();
        else if (text === 'CONNECT') {
          connectAt = c.t;
          if (/^AT\+FT[MH]=|^ATA$/.test(lastCommand)) side.dte.data = true;
          else if (/^AT\+FR[MH]=|^ATD/.test(lastCommand)) side.dce.data = true;
        }
      } else if (b === 0x18 && c.toModem) {
        events.push({ toModem: true, t: c.t, text: '<CAN>' });
        me.line = '';
      } else if (b >= 0x20 && b < 0x7f) {
        if (!me.line) me.lineT = c.t;
        me.line += String.fromCharCode(b);
      } else {
        me.line = '';
      }
    }
  }
  return events;
}
