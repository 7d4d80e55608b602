import { ConfigError } from '@faxgate/config';

/** Line drivers that place real calls: their pool needs a station id before it may dial. */
const REAL_DRIVERS = new Set(['t38', 'sip', 'hylafax', 'class1']);

/** Each driver's own older variable for the id it sends, which wins over FAXGATE_STATION_ID. */
const DRIVER_ID_VARIABLE: Record<string, string> = { t38: 'FAXGATE_T38_LOCAL_ID', sip: 'FAXGATE_T38_LOCAL_ID', class1: 'FAXGATE_MODEM_LOCAL_ID' };

/** The simulated line's station id when none is set: a fictitious number (NANP 555-01xx). */
export const SIM_STATION_ID = '+1 555 0100';

interface StationConfig {
  FAXGATE_NODE_DRIVER: string;
  FAXGATE_NODE_POOL: string;
  FAXGATE_STATION_ID: string;
}

/**
 * The pool's station id: the number its calls identify with (TSI when sending, CSI when
 * answering, T.30 §5.3.6.2.2 and §5.3.6.2.4) and the render role prints in every page's header
 * line. A pool with real lines refuses to start without one: a fax that arrives with no sending
 * number in its header and an empty TSI looks like junk fax to the recipient (and the US TCPA,
 * 47 U.S.C. §227(d)(1)(B), requires the sending machine's number with the date, time and
 * sender in a page margin or on the first page). The simulated line may go without and gets a
 * fictitious one. Returns the configuration with each driver's own id variable filled from it
 * when that variable is empty.
 */
export function withStationId<C extends StationConfig>(config: C): C & { FAXGATE_STATION_ID: string } {
  const driver = config.FAXGATE_NODE_DRIVER;
  const own = DRIVER_ID_VARIABLE[driver];
  const ownValue = own ? String((config as unknown as Record<string, unknown>)[own] ?? '') : '';
  const id = config.FAXGATE_STATION_ID || ownValue;
  if (!id && REAL_DRIVERS.has(driver)) {
    throw new ConfigError('node', [
      `FAXGATE_STATION_ID: FAXGATE_NODE_DRIVER=${driver} needs the station id of pool ${config.FAXGATE_NODE_POOL}, the fax number its lines send from (e.g. "+1 212 555 0188"; up to 20 digits, + and spaces). ` +
        'It is the TSI/CSI of every call and the number in the header line of every page, so give the render role the same value (not set)',
    ]);
  }
  const out = { ...config, FAXGATE_STATION_ID: id || SIM_STATION_ID } as unknown as Record<string, unknown>;
  for (const v of new Set(Object.values(DRIVER_ID_VARIABLE))) if (v in out && !out[v]) out[v] = out.FAXGATE_STATION_ID;
  return out as unknown as C & { FAXGATE_STATION_ID: string };
}
