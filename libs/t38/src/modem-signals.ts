// T.38 §6 and Annex A: the indicator and data type that stand for each modem, and how long a
// real modem spends before its data starts, so that pacing matches a PSTN line.
import type { Modulation } from '@faxgate/t30';
import type { DataType, Indicator } from './ifp.ts';

/** The T.38 data type that carries a modem's data (T.38 Annex A t30-data). */
export function dataTypeOf(m: Modulation): DataType {
  if (m.modem === 'v27ter') return m.bps === 2400 ? 'v27-2400' : 'v27-4800';
  if (m.modem === 'v29') return m.bps === 7200 ? 'v29-7200' : 'v29-9600';
  return `v17-${m.bps}` as DataType;
}

/** T.30 §5.3.6.2.2 with V.17 §2: TCF follows the long training, pages the short one. */
export function trainingIndicatorOf(m: Modulation, long: boolean): Indicator {
  if (m.modem === 'v27ter') return m.bps === 2400 ? 'v27-2400-training' : 'v27-4800-training';
  if (m.modem === 'v29') return m.bps === 7200 ? 'v29-7200-training' : 'v29-9600-training';
  return `v17-${m.bps}-${long ? 'long' : 'short'}-training` as Indicator;
}

/** Training sequence durations in ms: V.27ter §2.5, V.29 §3, V.17 §2 (long and short). */
export function trainingMs(m: Modulation, long: boolean): number {
  if (m.modem === 'v27ter') return m.bps === 2400 ? 943 : 708;
  if (m.modem === 'v29') return 253;
  return long ? 1393 : 142;
}

const BY_DATA_TYPE: Record<string, Modulation> = {
  'v27-2400': { modem: 'v27ter', bps: 2400 },
  'v27-4800': { modem: 'v27ter', bps: 4800 },
  'v29-7200': { modem: 'v29', bps: 7200 },
  'v29-9600': { modem: 'v29', bps: 9600 },
  'v17-7200': { modem: 'v17', bps: 7200 },
  'v17-9600': { modem: 'v17', bps: 9600 },
  'v17-12000': { modem: 'v17', bps: 12000 },
  'v17-14400': { modem: 'v17', bps: 14400 },
};

/** The image modulation a T.38 data type stands for; undefined for V.21 and V.34/V.8. */
export function modulationOfDataType(t: DataType): Modulation | undefined {
  return BY_DATA_TYPE[t];
}

/** The modulation a training indicator announces (T.38 Annex A), if it is an image modem's. */
export function modulationOfTraining(ind: Indicator): Modulation | undefined {
  const m = /^(v27|v29|v17)-(\d+)-/.exec(ind);
  if (!m) return undefined;
  return BY_DATA_TYPE[`${m[1]}-${m[2]}`];
}

/** T.30 §5.3.1: V.21 frames start after 1 s of flags. */
export const V21_PREAMBLE_MS = 1000;
/** T.30 §5.3.2.? note: 75 ms of silence separates consecutive signals. */
export const INTER_SIGNAL_GAP_MS = 75;
/** CED lasts 2.6 to 4 s (T.30 §4.4.2.1); T.38 carries it as one indicator. */
export const CED_MS = 3000;
