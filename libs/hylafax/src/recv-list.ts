/** A received fax as hfaxd lists it in recvq. */
export interface ReceivedFax {
  /** File name in /recvq (faxNNNNNNNNN.tif). */
  file: string;
  /** When reception ended (the file's modification time, RCVFMT %Z). */
  receivedAt: Date;
  pages: number;
  /** True while faxgetty is still writing it: such a file must not be fetched yet. */
  inProgress: boolean;
  /** The sender's TSI (T.30 §5.3.6.2.4), as the remote machine announced it. */
  senderTsi: string;
  /** Caller ID number and name the modem reported (CallIDPattern NMBR and NAME), if any. */
  callerNumber: string;
  callerName: string;
  /** T.30 SUB frame: the sub-address the sender dialled, if any. */
  subAddress: string;
  signalRate: number;
  dataFormat: string;
  /** Vertical resolution in lines per inch. */
  verticalResolution: number;
  /** Page width as hfaxd 6.0.7 reports it for %w: in pixels (1728 for A4), not mm as hfaxd(8) says. */
  pageWidth: number;
  /** Time on the line receiving it, HH:MM:SS. */
  receiveDuration: string;
  sizeBytes: number;
  /** Why reception failed part-way, empty when it did not. */
  error: string;
}

/**
 * RCVFMT (hfaxd(8) RcvFmt). %q is left out on purpose: hfaxd 6.0.7 passes `q` to printf as a
 * conversion and the server process dies on it. Free text (TSI, caller name, error) comes last.
 */
export const RECV_LIST_FORMAT = '%f\t%Z\t%p\t%z\t%b\t%r\t%w\t%h\t%n\t%d\t%j\t%a\t%s\t%i\t%e';

const FIELD_COUNT = RECV_LIST_FORMAT.split('\t').length;

/** Parses a listing produced with {@link RECV_LIST_FORMAT}. */
export function parseRecvList(text: string): ReceivedFax[] {
  const faxes: ReceivedFax[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const f = line.split('\t');
    if (f.length < FIELD_COUNT || !/^\d+$/.test(f[1])) throw new SyntaxError(`not a RCVFMT line: ${JSON.stringify(line)}`);
    const int = (s: string) => (/^\s*\d+\s*$/.test(s) ? Number(s) : 0);
    faxes.push({
      file: f[0],
      receivedAt: new Date(Number(f[1]) * 1000),
      pages: int(f[2]),
      inProgress: f[3].trim() === '*',
      signalRate: int(f[4]),
      verticalResolution: int(f[5]),
      pageWidth: int(f[6]),
      receiveDuration: f[7].trim(),
      sizeBytes: int(f[8]),
      dataFormat: f[9].trim(),
      callerNumber: f[10].trim(),
      subAddress: f[11].trim(),
      senderTsi: f[12].trim(),
      callerName: f[13].trim(),
      error: f.slice(14).join('\t').trim(),
    });
  }
  return faxes;
}
