import { z, bool, duration, int, optionalString, port } from '@faxgate/config';

export const nodeSchema = z.object({
  FAXGATE_NODE_POOL: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/).default('sim').describe('Line pool this node daemon serves (it takes calls from that pool\'s queue).'),
  FAXGATE_NODE_DRIVER: z.enum(['sim', 't38', 'hylafax']).default('sim').describe('Line driver: `sim` is the simulated line (no telephony); `t38` sends over T.38/UDPTL to FAXGATE_T38_PEER (docs/t38.md); `hylafax` sends each call as a job on a HylaFAX server (docs/hylafax.md).'),
  FAXGATE_NODE_LINES: int(4, 1, 1024).describe('Lines in this node\'s pool: at most this many calls at once, one per line.'),
  FAXGATE_SIM_BITRATE: int(14400, 2400, 33600).describe('Simulated line: modem bit rate used to compute the time a page takes.'),
  FAXGATE_SIM_TIME_SCALE: z.coerce.number().min(0).max(100).default(1).describe('Simulated line: real time taken per simulated second (0.01 makes a 60 s call take 0.6 s).'),
  FAXGATE_SIM_OUTCOMES: z.string().default('').describe(
    'Simulated line: outcome rules `pattern=outcome[@page][:times]` separated by `;`. Pattern: E.164 with `*` or /regex/. Outcome: success, busy, no-answer, no-carrier (after @page pages), failed, rejected, or error (the driver fails, as broken line hardware would). `:times` applies the outcome to the first N calls to that number, then success.',
  ),
  FAXGATE_SIM_REMOTE_ID: z.string().max(20).default('+1 555 0100 SIMFAX').describe('Simulated line: the remote station id (CSID) the simulated receiver reports.'),
  FAXGATE_T38_RECEIVE_PORT: optionalString()
    .refine((v) => v === undefined || /^\d{1,5}$/.test(v), 'a UDP port number')
    .describe('Receive faxes over T.38: the UDPTL port this node answers on (0 picks a free one; unset: no T.38 receiving).'),
  FAXGATE_T38_PEER: optionalString()
    .refine((v) => v === undefined || /^[^\s:]+:\d{1,5}$/.test(v), 'host:port')
    .describe('T.38 driver: the far end of outgoing calls as host:port (raw UDPTL, e.g. a T.38 gateway); required with FAXGATE_NODE_DRIVER=t38.'),
  FAXGATE_T38_ECM: bool(true).describe('T.38 driver: offer error correction mode (T.30 Annex A); MMR is only sent with ECM.'),
  FAXGATE_T38_REDUNDANCY: int(3, 0, 8).describe('T.38 driver: earlier IFPs repeated in each UDPTL datagram, so lost datagrams are recovered (T.38 §9.1).'),
  FAXGATE_T38_RECEIVE_HOST: z.string().default('127.0.0.1').describe('Address the T.38 receive port binds to.'),
  FAXGATE_T38_RECEIVE_DID: z.string().regex(/^\+?[0-9]{1,20}$/).default('0').describe('Called number (DID) recorded for faxes received on the T.38 port, for routing.'),
  FAXGATE_T38_LOCAL_ID: z.string().regex(/^[0-9+ ]{0,20}$/, 'T.30 §5.3.6.2.2: up to 20 digits, + and spaces').default('').describe('Station id this node sends over T.38: CSI when it answers, TSI when it calls, e.g. `+1 212 555 0188`.'),
  FAXGATE_SIM_RING_TIME: duration('8s').describe('Simulated line: time from dialling to answer.'),
  FAXGATE_HYLAFAX_HOST: optionalString().describe('HylaFAX driver: host of the HylaFAX server (hfaxd); required with FAXGATE_NODE_DRIVER=hylafax.'),
  FAXGATE_HYLAFAX_PORT: port(4559).describe('HylaFAX driver: hfaxd client-protocol port.'),
  FAXGATE_HYLAFAX_USER: z.string().min(1).default('faxgate').describe('HylaFAX driver: user name in the server\'s hosts.hfaxd.'),
  FAXGATE_HYLAFAX_PASSWORD: optionalString().describe('HylaFAX driver: password of that user (or FAXGATE_HYLAFAX_PASSWORD_FILE).'),
  FAXGATE_HYLAFAX_PASSWORD_FILE: optionalString().describe('HylaFAX driver: file holding the password, e.g. a mounted secret; wins over FAXGATE_HYLAFAX_PASSWORD.'),
  FAXGATE_HYLAFAX_MODEM: optionalString().describe('HylaFAX driver: modem device or class HylaFAX sends with (JPARM MODEM); unset: any.'),
  FAXGATE_HYLAFAX_ADMIN_PASSWORD: optionalString().describe('HylaFAX driver: admin password of the user (hosts.hfaxd adminwd), needed to delete or move received faxes (or FAXGATE_HYLAFAX_ADMIN_PASSWORD_FILE).'),
  FAXGATE_HYLAFAX_ADMIN_PASSWORD_FILE: optionalString().describe('HylaFAX driver: file holding the admin password; wins over FAXGATE_HYLAFAX_ADMIN_PASSWORD.'),
  FAXGATE_HYLAFAX_POLL_INTERVAL: duration('30s').describe('HylaFAX driver: how often the server\'s received faxes are polled (the pool\'s elected leader writes this into the pool\'s BullMQ job scheduler); 0 turns receiving off.'),
  FAXGATE_HYLAFAX_PROCESSED: z.enum(['delete', 'move']).default('delete').describe('HylaFAX driver: what happens to a received fax on the server once faxgate has queued it: `delete`, or `move` to the server\'s /archive.'),
  FAXGATE_HYLAFAX_DID_CALLID: int(4, 0, 16).describe('HylaFAX driver: which CallID value of a received fax is the called number (DID), counting from 1 in the order of the modem config\'s CallIDPattern lines (4 = NDID in Debian\'s iaxmodem template); 0: none.'),
});
export type NodeConfig = z.output<typeof nodeSchema>;
