import { z, bool, duration, int, optionalString, port, sharedFields, stationIdField } from '@faxgate/config';
import { dialFields } from '@faxgate/phone/config';
import { class1Fields } from './class1-config.ts';
import { batchFields } from './batch-config.ts';
import { quietHoursFields } from '@faxgate/quiet-hours/config';

/** FAXGATE_SIP_MEDIA_PORTS: `any`, or a range with room for one call's 4 ports (sip-media-ports.ts). */
function mediaPortsValid(v: string): boolean {
  if (v === 'any') return true;
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
  if (!m) return false;
  const first = Number(m[1]), last = Number(m[2]);
  return first >= 1024 && last <= 65535 && last - (first + (first % 2)) + 1 >= 4;
}

export const nodeSchema = z.object({
  FAXGATE_NODE_POOL: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/).default('sim').describe('Line pool this node daemon serves (it takes calls from that pool\'s queue).'),
  FAXGATE_NODE_DRIVER: z.enum(['sim', 't38', 'hylafax', 'sip', 'class1']).default('sim').describe('Line driver: `sim` is the simulated line (no telephony); `t38` sends over T.38/UDPTL to FAXGATE_T38_PEER (docs/t38.md); `hylafax` sends each call as a job on a HylaFAX server (docs/hylafax.md); `sip` makes the node a SIP fax endpoint on a trunk, T.38 over UDPTL (docs/sip.md); `class1` drives Class 1 fax modems on FAXGATE_MODEM_DEVICES (docs/modems.md).'),
  FAXGATE_STATION_ID: stationIdField.FAXGATE_STATION_ID,
  FAXGATE_NODE_LINES: int(4, 1, 1024).describe('Lines in this node\'s pool: at most this many calls at once, one per line.'),
  ...batchFields,
  // Dispatch's quiet hours, checked again just before a call takes a line (call-worker.ts).
  ...quietHoursFields,
  FAXGATE_DESTINATION_MAX_CALLS: int(1, 1, 100).describe('Calls at once to one number, over every node and pool (HylaFAX MaxConcurrentCalls): a second fax to a number waits for the first call to end.'),
  FAXGATE_SIM_BITRATE: int(14400, 2400, 33600).describe('Simulated line: modem bit rate used to compute the time a page takes.'),
  FAXGATE_SIM_TIME_SCALE: z.coerce.number().min(0).max(100).default(1).describe('Simulated line: real time taken per simulated second (0.01 makes a 60 s call take 0.6 s).'),
  FAXGATE_SIM_OUTCOMES: z.string().default('').describe(
    'Simulated line: outcome rules `pattern=outcome[@page][:times]` separated by `;`. Pattern: E.164 with `*` or /regex/. Outcome: success, busy, no-answer, no-carrier (after @page pages), failed, rejected, voice (answered without a fax tone), or error (the driver fails, as broken line hardware would). `:times` applies the outcome to the first N calls to that number, then success.',
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
  FAXGATE_HYLAFAX_START_TIMEOUT: duration('10m').describe('HylaFAX driver: a job the server has not started dialling after this long is killed there and the call counts as failed (faxgate retries it by its own policy), instead of waiting for ever on a server whose modems are busy or not ready.'),
  FAXGATE_HYLAFAX_POLL_INTERVAL: duration('30s').describe('HylaFAX driver: how often the server\'s received faxes are polled (the pool\'s elected leader writes this into the pool\'s BullMQ job scheduler); 0 turns receiving off.'),
  FAXGATE_HYLAFAX_PROCESSED: z.enum(['delete', 'move']).default('delete').describe('HylaFAX driver: what happens to a received fax on the server once faxgate has queued it: `delete`, or `move` to the server\'s /archive.'),
  FAXGATE_HYLAFAX_DID_CALLID: int(4, 0, 16).describe('HylaFAX driver: which CallID value of a received fax is the called number (DID), counting from 1 in the order of the modem config\'s CallIDPattern lines (4 = NDID in Debian\'s iaxmodem template); 0: none.'),
  // The dial policy once more (it brings FAXGATE_DEFAULT_COUNTRY): a node checks it at the last moment before dialling, so a rule
  // tightened while a call waited in the line queue applies (runtime settings, issue 20).
  ...dialFields,
  FAXGATE_SIP_BIND_HOST: z.string().default('127.0.0.1').describe('SIP driver: address the SIP port and the calls\' UDPTL/RTP ports bind to.'),
  FAXGATE_SIP_PORT: port(5060).describe('SIP driver: SIP port (0 picks a free one).'),
  FAXGATE_SIP_TRANSPORT: z.enum(['udp', 'tcp', 'tls']).default('udp').describe('SIP driver: SIP transport (RFC 3261 §18); `tls` is SIP over TLS (§26.2.1, `transport=tls`, default port 5061) and needs FAXGATE_SIP_TLS_CERT_FILE and FAXGATE_SIP_TLS_KEY_FILE.'),
  FAXGATE_SIP_TLS_CERT_FILE: optionalString().describe('SIP driver, TLS: PEM file with this node\'s certificate (chain), served to the far end and shown to a trunk that asks for one; e.g. a mounted Kubernetes TLS secret\'s tls.crt.'),
  FAXGATE_SIP_TLS_KEY_FILE: optionalString().describe('SIP driver, TLS: PEM file with the private key of FAXGATE_SIP_TLS_CERT_FILE (a secret\'s tls.key).'),
  FAXGATE_SIP_TLS_CA_FILE: optionalString().describe('SIP driver, TLS: PEM file of CA certificates the far end\'s certificate must chain to (a private CA); unset: the system\'s CAs. The certificate must name the host connected to.'),
  FAXGATE_SIP_ADVERTISED_HOST: optionalString().describe('SIP driver: address put in Via, Contact and SDP when the node sits behind NAT (its public address); default FAXGATE_SIP_BIND_HOST.'),
  FAXGATE_SIP_ADVERTISED_PORT: optionalString().refine((v) => v === undefined || /^\d{1,5}$/.test(v), 'a port number').describe('SIP driver: SIP port put in Via and Contact behind NAT; default the bound port.'),
  FAXGATE_SIP_REGISTRAR: optionalString().refine((v) => v === undefined || /^sips?:/.test(v), 'a sip: URI').describe('SIP driver: registrar to REGISTER with, e.g. `sip:sip.carrier.example`; unset: no registration (an IP-authenticated trunk).'),
  FAXGATE_SIP_REGISTER_EXPIRES: int(3600, 60, 86400).describe('SIP driver: registration lifetime asked for, in seconds; refreshed before it runs out.'),
  FAXGATE_SIP_OUTBOUND_PROXY: optionalString().refine((v) => v === undefined || /^[^\s:]+:\d{1,5}$/.test(v), 'host:port').describe('SIP driver: host:port every request is sent to (the carrier\'s SBC or a PBX); unset: the host of the Request-URI.'),
  FAXGATE_SIP_USERNAME: z.string().regex(/^[A-Za-z0-9+._~-]{1,64}$/).default('faxgate').describe('SIP driver: user of our address-of-record (From, REGISTER) and of digest authentication.'),
  FAXGATE_SIP_CALLER_ID: optionalString().refine((v) => v === undefined || /^[A-Za-z0-9+._~-]{1,64}$/.test(v), 'a SIP user part, e.g. +12125550100').describe('SIP driver: From user of outgoing calls, the caller ID the trunk passes on (e.g. `+12125550100`); default FAXGATE_SIP_USERNAME.'),
  FAXGATE_SIP_ASSERTED_IDENTITY: optionalString().refine((v) => v === undefined || /^(sips?:|tel:)\S+$|^\+?\d{1,20}$/.test(v), 'a number or a sip:/tel: URI').describe('SIP driver: P-Asserted-Identity of outgoing calls (RFC 3325), for trunks that take the caller\'s number from it: a number (sent as `sip:<number>@<from domain>`) or a sip:/tel: URI; unset: not sent.'),
  FAXGATE_SIP_PASSWORD: optionalString().describe('SIP driver: digest password (or FAXGATE_SIP_PASSWORD_FILE).'),
  FAXGATE_SIP_PASSWORD_FILE: optionalString().describe('SIP driver: file holding the digest password, e.g. a mounted secret; wins over FAXGATE_SIP_PASSWORD.'),
  FAXGATE_SIP_FROM_DOMAIN: optionalString().describe('SIP driver: domain of our address-of-record and `{domain}` in the dial format; default the registrar\'s or outbound proxy\'s host.'),
  FAXGATE_SIP_DIAL_FORMAT: z.string().default('sip:{e164}@{domain}').describe('SIP driver: Request-URI of outgoing calls: `{e164}` (+ and digits), `{digits}` (without +), `{number}` (the dial string), `{domain}`; e.g. `sip:{digits}@carrier.example;user=phone`.'),
  FAXGATE_SIP_MAX_CALLS: int(0, 0, 10000).describe('SIP driver: calls at once on the trunk, both directions; an incoming call beyond it gets 486 Busy Here. 0: FAXGATE_NODE_LINES.'),
  FAXGATE_SIP_CALLS_PER_SECOND: z.coerce.number().min(0).max(1000).default(1).describe('SIP driver: outgoing calls started per second at most (carriers cap the call rate); 0: no cap.'),
  FAXGATE_SIP_T38_WAIT: duration('3s').describe('SIP driver: after an outgoing call is answered, how long to wait for the far end\'s T.38 re-INVITE before sending ours.'),
  FAXGATE_SIP_MEDIA: z.enum(['t38-then-audio', 't38', 'audio']).default('t38-then-audio').describe('SIP driver: how calls carry the fax: `t38-then-audio` T.38 when the far end takes it, else over the call\'s G.711 audio with faxgate\'s own modems (a 488 to T.38); `t38` T.38 only (a refusal fails the call); `audio` G.711 only, T.38 offers declined (docs/sip.md).'),
  FAXGATE_SIP_MEDIA_PORTS: z.string().default('10000-11999')
    .refine(mediaPortsValid, 'first-last within 1024-65535 holding at least one call (4 ports from an even one), or `any`')
    .describe('SIP driver: UDP ports the calls\' RTP and UDPTL bind to, as first-last (open them on the firewall); each call takes 4 from an even port: RTP (RFC 3550 §11), its RTCP port, UDPTL, one spare. The default holds 500 calls, below the kernel\'s ephemeral ports (32768 up on Linux). A call when all are in use: an incoming one gets 503, an outgoing attempt is retried later as congestion. `any`: ports the system picks (labs).'),
  FAXGATE_SIP_RING_TIMEOUT: duration('60s').describe('SIP driver: an outgoing call not answered in this time is cancelled and counts as no answer.'),
  ...class1Fields,
  FAXGATE_SIP_KEEPALIVE: duration('0s').describe('SIP driver: send OPTIONS to the outbound proxy or registrar this often as a keep-alive (keeps NAT bindings open); 0: never.'),
});
export type NodeConfig = z.output<typeof nodeSchema>;
