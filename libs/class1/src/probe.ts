import type { AtChannel } from './at-channel.ts';
import { identityText, modulationsOf, parseNumberList, parseServiceClasses, testAnswer, type ModemCapabilities } from './capabilities.ts';

export interface ProbeOptions {
  /** Per-command wait; real modems answer test commands within a few hundred ms. */
  timeoutMs?: number;
}

/**
 * Probes a modem at start and after every reset: command mode with echo off and verbose
 * results (V.25 ter E0 V1 Q0), the service classes, Class 1 (T.31 §8: +FCLASS=1), its
 * +FTM/+FRM/+FTH/+FRH modulation lists, and identity where answered. Fails, naming the command
 * and with the dialogue, when the modem does not answer, is not Class 1, or lacks V.21 HDLC.
 * Leaves the modem in Class 1.
 */
export async function probeModem(channel: AtChannel, options: ProbeOptions = {}): Promise<ModemCapabilities> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const must = async (cmd: string) => {
    const r = await channel.command(cmd, { timeoutMs });
    if (r.result !== 'OK') throw new Error(`${cmd} answered ${r.result}, not OK; dialogue:\n${channel.transcript()}`);
    return r.lines;
  };
  const optional = async (cmd: string) => {
    const r = await channel.command(cmd, { timeoutMs });
    return r.result === 'OK' ? r.lines : undefined;
  };

  await must('ATE0V1Q0');
  const classes = parseServiceClasses(testAnswer(await must('AT+FCLASS=?'), 'FCLASS'));
  if (!classes.class1) throw new Error(`the modem offers service classes ${classes.raw.join(',')}, not Class 1`);
  await must('AT+FCLASS=1');
  const unknownCodes: number[] = [];
  const list = async (cmd: 'FTM' | 'FRM' | 'FTH' | 'FRH') => modulationsOf(parseNumberList(testAnswer(await must(`AT+${cmd}=?`), cmd)), unknownCodes);
  const transmit = await list('FTM');
  const receive = await list('FRM');
  const hdlcTransmit = await list('FTH');
  const hdlcReceive = await list('FRH');
  for (const [name, l] of [['+FTH', hdlcTransmit], ['+FRH', hdlcReceive]] as const) {
    // T.30 phase B/D frames travel only on V.21 channel 2 (code 3).
    if (!l.some((m) => m.code === 3)) throw new Error(`the modem's ${name}=? lacks 3 (V.21 HDLC); dialogue:\n${channel.transcript()}`);
  }
  const ati = (await optional('ATI')) ?? [];
  const ati3 = (await optional('ATI3')) ?? [];
  const fmi = await optional('AT+FMI?');
  const fmm = await optional('AT+FMM?');
  const fmr = await optional('AT+FMR?');
  return {
    classes,
    transmit,
    receive,
    hdlcTransmit,
    hdlcReceive,
    unknownCodes,
    identity: {
      ati,
      ati3,
      manufacturer: fmi && identityText(fmi, 'FMI'),
      model: fmm && identityText(fmm, 'FMM'),
      revision: fmr && identityText(fmr, 'FMR'),
    },
  };
}
