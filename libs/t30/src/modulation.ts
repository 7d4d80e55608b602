// T.30 §5.3.6.2.1 and Table 2 bits 11–14: the image modems and their signalling rates.

export type Modem = 'v27ter' | 'v29' | 'v17';

export interface Modulation {
  modem: Modem;
  bps: 2400 | 4800 | 7200 | 9600 | 12000 | 14400;
}

/** Fallback order, fastest first (T.30 §5.3.2.4: a transmitter steps down after FTT). */
export const FALLBACK: readonly Modulation[] = [
  { modem: 'v17', bps: 14400 },
  { modem: 'v17', bps: 12000 },
  { modem: 'v29', bps: 9600 },
  { modem: 'v29', bps: 7200 },
  { modem: 'v27ter', bps: 4800 },
  { modem: 'v27ter', bps: 2400 },
];

/** "V.17 14400 bit/s", as statistics and logs show a rate. */
export function modulationName(m: Modulation): string {
  const name = m.modem === 'v27ter' ? 'V.27ter' : m.modem === 'v29' ? 'V.29' : 'V.17';
  return `${name} ${m.bps} bit/s`;
}
