import { createServer, isIPv6, type AddressInfo, type Socket } from 'node:net';
import { ControlChannel } from './control-channel.ts';
import { openDataSocket, parsePassivePort, readAll, writeAll } from './data-channel.ts';
import { HylafaxAuthError, HylafaxProtocolError, HylafaxTimeoutError, HylafaxUnsupportedError } from './errors.ts';
import { integerArg, quoteString, tokenOrQuoted } from './command-args.ts';
import { parseJobDescription, type JobStatus } from './job-description.ts';
import { JOB_LIST_FORMAT, parseJobList, type JobSummary } from './job-list.ts';
import { parseRecvList, RECV_LIST_FORMAT, type ReceivedFax } from './recv-list.ts';
import type { Reply } from './reply-parser.ts';
import { TriggerWatch } from './trigger-watch.ts';

/** Where and as whom to connect. */
export interface HylafaxConnectOptions {
  host: string;
  /** hfaxd's client-protocol port; 4559 by default. */
  port?: number;
  user: string;
  /** Sent with PASS when hfaxd asks for one (331). */
  password?: string;
  /**
   * Sent with ADMIN after login. hfaxd lets a client delete or move a received fax only when the
   * file is writable for it, which for faxes written by faxgetty means administrative privileges.
   */
  adminPassword?: string;
  /** Deadline for connecting and for every single reply; 15 s by default. */
  timeoutMs?: number;
  /** Longest silence allowed inside a data transfer; 60 s by default. */
  transferIdleMs?: number;
}

/** Document formats hfaxd accepts for FORM (it converts PS and PDF itself). */
export type DocumentForm = 'TIFF' | 'PS' | 'PDF';

/** Job parameters faxgate sets with JPARM; names as hfaxd spells them. */
export type JobParam =
  | 'DIALSTRING' | 'EXTERNAL' | 'TOUSER' | 'TOCOMPANY' | 'FROMUSER' | 'NOTIFY' | 'NOTIFYADDR'
  | 'MAXDIALS' | 'MAXTRIES' | 'LASTTIME' | 'RETRYTIME' | 'MODEM' | 'JOBINFO' | 'USRKEY'
  | 'VRES' | 'PAGEWIDTH' | 'PAGELENGTH' | 'PAGECHOP' | 'SCHEDPRI' | 'USEECM' | 'USETAGLINE'
  | 'DATAFORMAT' | 'PAGERANGE' | 'TSI' | 'SUBADDR' | 'DOCUMENT' | 'SENDTIME' | 'STATE' | 'JOBID' | 'GROUPID';

/** JNEW's answer. */
export interface NewJob {
  jobId: number;
  groupId: number;
}

const DEFAULT_PORT = 4559;

/**
 * A logged-in session with hfaxd's client protocol (hfaxd(8); an RFC 959 dialogue on TCP 4559).
 * One command at a time: callers await each method before the next.
 */
export class HylafaxClient {
  readonly user: string;
  #channel: ControlChannel;
  #timeoutMs: number;
  #idleMs: number;
  #type: 'A' | 'I' | undefined;
  #formats = new Map<string, string>();
  #pendingData: Socket | undefined;

  private constructor(channel: ControlChannel, user: string, timeoutMs: number, idleMs: number) {
    this.#channel = channel;
    this.user = user;
    this.#timeoutMs = timeoutMs;
    this.#idleMs = idleMs;
  }

  /**
   * Connects, reads the greeting and logs in (USER, then PASS if asked, then ADMIN if given).
   * Fails with HylafaxConnectionError (unreachable, refused, dropped), HylafaxTimeoutError, or
   * HylafaxAuthError carrying hfaxd's reply text.
   */
  static async connect(options: HylafaxConnectOptions): Promise<HylafaxClient> {
    const timeoutMs = options.timeoutMs ?? 15_000;
    const port = options.port ?? DEFAULT_PORT;
    const channel = await ControlChannel.open(options.host, port, timeoutMs);
    const client = new HylafaxClient(channel, options.user, timeoutMs, options.transferIdleMs ?? 60_000);
    try {
      await client.#login(options);
    } catch (err) {
      channel.destroy();
      throw err;
    }
    return client;
  }

  async #login(options: HylafaxConnectOptions): Promise<void> {
    const greeting = await this.#channel.readReply('the greeting', this.#timeoutMs);
    // RFC 959 §5.4: 220 ready; 120 ready soon; 421 service not available (hfaxd shut down).
    if (greeting.code !== 220) throw new HylafaxProtocolError('(greeting)', greeting.code, greeting.text);
    const user = await this.#channel.command(`USER ${tokenOrQuoted(options.user, 'user name')}`, this.#timeoutMs);
    if (user.code === 331) {
      if (options.password === undefined) throw new HylafaxAuthError(`USER ${options.user}`, user.code, `${user.text} (no password configured)`);
      const pass = await this.#channel.command(`PASS ${tokenOrQuoted(options.password, 'password')}`, this.#timeoutMs, 'PASS ****');
      if (pass.code !== 230) throw new HylafaxAuthError(`the password of ${options.user}`, pass.code, pass.text);
    } else if (user.code !== 230) {
      throw new HylafaxAuthError(`user ${options.user}`, user.code, user.text);
    }
    if (options.adminPassword !== undefined) {
      const admin = await this.#channel.command(`ADMIN ${tokenOrQuoted(options.adminPassword, 'admin password')}`, this.#timeoutMs, 'ADMIN ****');
      if (admin.code !== 230) throw new HylafaxAuthError(`administrative privileges for ${options.user}`, admin.code, admin.text);
    }
    // Times in replies (MDTM, %Y) in UTC whatever the server's zone; %Z is epoch seconds anyway.
    await this.#expect('TZONE GMT', [200]);
  }

  /** True until the connection failed or was closed. */
  get connected(): boolean {
    return this.#channel.alive;
  }

  /** Sends one command and checks its reply code; any other code is a typed error. */
  async #expect(line: string, codes: number[], shown = line): Promise<Reply> {
    const reply = await this.#channel.command(line, this.#timeoutMs, shown);
    if (codes.includes(reply.code)) return reply;
    const verb = line.split(' ')[0];
    if (reply.code === 502) throw new HylafaxUnsupportedError(verb, reply.text);
    throw new HylafaxProtocolError(shown, reply.code, reply.text);
  }

  async #setType(type: 'A' | 'I'): Promise<void> {
    if (this.#type === type) return;
    await this.#expect(`TYPE ${type}`, [200]);
    this.#type = type;
  }

  async #setFormat(command: 'JOBFMT' | 'RCVFMT', format: string): Promise<void> {
    if (this.#formats.get(command) === format) return;
    await this.#expect(`${command} ${quoteString(format, command)}`, [200]);
    this.#formats.set(command, format);
  }

  /**
   * The data connection for the next transfer. hfaxd accepts it only when the transfer command
   * arrives, and when it refuses that command (550) it keeps the passive listener, with our
   * connection still waiting in its backlog, and hands out the same port on the next PASV. So a
   * connection whose command was refused is kept and used for the next transfer; a fresh PASV
   * with a new connection would be queued behind it and never served.
   */
  async #dataSocket(): Promise<Socket> {
    const pending = this.#pendingData;
    this.#pendingData = undefined;
    if (pending && !pending.destroyed && pending.readyState === 'open') return pending;
    pending?.destroy();
    const port = parsePassivePort(await this.#expect('PASV', [227]));
    return openDataSocket(this.#channel.remoteAddress, port, this.#timeoutMs);
  }

  /** Sends a transfer command; a refusal leaves the data connection for the next transfer. */
  async #startTransfer(line: string, socket: Socket): Promise<Reply> {
    try {
      return await this.#expect(line, [125, 150]);
    } catch (err) {
      if (this.#channel.alive && !socket.destroyed) this.#pendingData = socket;
      else socket.destroy();
      throw err;
    }
  }

  /** A transfer from the server: data connection, command (1yz), data until close, then 226. */
  async #download(line: string): Promise<Buffer> {
    const socket = await this.#dataSocket();
    await this.#startTransfer(line, socket);
    const data = await readAll(socket, line, this.#idleMs);
    const done = await this.#channel.readReply(`the end of "${line}"`, this.#timeoutMs);
    if (done.code !== 226 && done.code !== 250) throw new HylafaxProtocolError(line, done.code, done.text);
    return data;
  }

  /** A transfer to the server: data connection, command (1yz), data, close, then 226. */
  async #upload(line: string, data: Uint8Array): Promise<{ first: Reply; done: Reply }> {
    const socket = await this.#dataSocket();
    const first = await this.#startTransfer(line, socket);
    await writeAll(socket, data, line, Math.max(this.#idleMs, this.#timeoutMs));
    const done = await this.#channel.readReply(`the end of "${line}"`, this.#timeoutMs);
    if (done.code !== 226 && done.code !== 250) throw new HylafaxProtocolError(line, done.code, done.text);
    return { first, done };
  }

  /**
   * Uploads a document as a server temp file (STOT) and returns the name hfaxd chose, e.g.
   * `/tmp/doc12.tif`, for JPARM DOCUMENT. FORM tells hfaxd what to expect; TYPE I keeps bytes.
   */
  async uploadDocument(data: Uint8Array, form: DocumentForm = 'TIFF'): Promise<string> {
    await this.#expect(`FORM ${form}`, [200]);
    await this.#setType('I');
    const { first, done } = await this.#upload('STOT', data);
    // hfaxd names the file in both replies: "150 FILE: /tmp/doc1.tif (Opening ...)".
    const m = /FILE: ([^\s)]+)/.exec(done.text) ?? /FILE: ([^\s)]+)/.exec(first.text);
    if (!m) throw new HylafaxProtocolError('STOT', done.code, done.text);
    return m[1];
  }

  /** Stores a file under a given path (STOR); hfaxd allows it in /tmp and /docq, or anywhere as admin. */
  async storeFile(path: string, data: Uint8Array): Promise<void> {
    await this.#setType('I');
    await this.#upload(`STOR ${tokenOrQuoted(path, 'path')}`, data);
  }

  /** Creates a job (JNEW) and makes it the current one; it exists only until JSUBM or logout. */
  async createJob(): Promise<NewJob> {
    const r = await this.#expect('JNEW', [200]);
    const m = /jobid: (\d+)(?: groupid: (\d+))?/.exec(r.text);
    if (!m) throw new HylafaxProtocolError('JNEW', r.code, r.text);
    return { jobId: Number(m[1]), groupId: Number(m[2] ?? m[1]) };
  }

  /** Makes a job current (JOB). Returns false when hfaxd knows no such job. */
  async selectJob(jobId: number): Promise<boolean> {
    const r = await this.#channel.command(`JOB ${integerArg(jobId, 'job id')}`, this.#timeoutMs);
    if (r.code === 200) return true;
    if (r.code === 500 && /does not exist/i.test(r.text)) return false;
    throw new HylafaxProtocolError(`JOB ${jobId}`, r.code, r.text);
  }

  /** Sets one parameter of the current job (JPARM). Strings are quoted, numbers sent bare. */
  async setJobParam(name: JobParam, value: string | number): Promise<void> {
    const arg = typeof value === 'number' ? integerArg(value, name) : quoteString(value, name);
    await this.#expect(`JPARM ${name} ${arg}`, [200, 213]);
  }

  /** Reads one parameter of the current job (JPARM NAME). */
  async getJobParam(name: JobParam): Promise<string> {
    const r = await this.#expect(`JPARM ${name}`, [213]);
    return r.text.trim();
  }

  /** Adds an uploaded document to the current job (JPARM DOCUMENT). */
  async addDocument(serverPath: string): Promise<void> {
    await this.#expect(`JPARM DOCUMENT ${tokenOrQuoted(serverPath, 'document path')}`, [200]);
  }

  /** Hands the job to the scheduler (JSUBM). From here on it survives the session. */
  async submitJob(jobId: number): Promise<void> {
    await this.#expect(`JSUBM ${integerArg(jobId, 'job id')}`, [200]);
  }

  /**
   * Takes a queued job off the scheduler's queues (JSUSP; faxalter(1) does this before changing
   * a job); JSUBM hands it back. A job already on the line is not touched: faxq waits for its
   * call to end and then refuses, which arrives here as a protocol error.
   */
  async suspendJob(jobId: number): Promise<void> {
    await this.#expect(`JSUSP ${integerArg(jobId, 'job id')}`, [200]);
  }

  /** Stops a job that is queued or running (JKILL); it moves to doneq as failed. */
  async killJob(jobId: number): Promise<void> {
    await this.#expect(`JKILL ${integerArg(jobId, 'job id')}`, [200]);
  }

  /** Removes a done or suspended job (JDELE). */
  async deleteJob(jobId: number): Promise<void> {
    await this.#expect(`JDELE ${integerArg(jobId, 'job id')}`, [200]);
  }

  /** Lists one job queue with JOBFMT fields faxgate reads. */
  async listJobs(queue: 'sendq' | 'doneq'): Promise<JobSummary[]> {
    await this.#setFormat('JOBFMT', JOB_LIST_FORMAT);
    const text = await this.#download(`LIST /${queue}`);
    return parseJobList(text.toString('latin1'), queue);
  }

  /**
   * The full state of a job, read from its job description file (sendq(5)), which has what no
   * JOBFMT field gives, such as the remote CSI. Returns undefined when the job is in neither queue.
   */
  async getJob(jobId: number): Promise<JobStatus | undefined> {
    const id = integerArg(jobId, 'job id');
    // faxq moves the file from sendq to doneq when the job ends, and for a moment the new file
    // is not yet readable (550 Operation not permitted). A job counts as gone only when two
    // rounds over both queues found no file at all.
    let lastRefusal: HylafaxProtocolError | undefined;
    let absentRounds = 0;
    for (let round = 0; round < 10 && absentRounds < 2; round++) {
      let refused = false;
      for (const path of [`/sendq/q${id}`, `/doneq/q${id}`]) {
        const got = await this.#retrieveJobFile(path);
        if (got instanceof Buffer) return parseJobDescription(got.toString('latin1'));
        if (got instanceof HylafaxProtocolError) {
          lastRefusal = got;
          refused = true;
        }
      }
      absentRounds = refused ? 0 : absentRounds + 1;
      if (refused) await new Promise((r) => setTimeout(r, 100 * (round + 1)));
    }
    if (absentRounds >= 2) return undefined;
    throw lastRefusal;
  }

  /** The job file's bytes, undefined when there is none, or the refusal when it is unreadable. */
  async #retrieveJobFile(path: string): Promise<Buffer | HylafaxProtocolError | undefined> {
    try {
      return await this.retrieve(path);
    } catch (err) {
      if (err instanceof HylafaxProtocolError && err.replyCode === 550) {
        if (/No such file/i.test(err.replyText)) return undefined;
        if (/not permitted/i.test(err.replyText)) return err;
      }
      throw err;
    }
  }

  /** Lists the received faxes (recvq) with their metadata. */
  async listReceived(): Promise<ReceivedFax[]> {
    await this.#setFormat('RCVFMT', RECV_LIST_FORMAT);
    const text = await this.#download('LIST /recvq');
    return parseRecvList(text.toString('latin1'));
  }

  /** Fetches a file's bytes (RETR), e.g. `/recvq/fax000000001.tif`. */
  async retrieve(path: string): Promise<Buffer> {
    await this.#setType('I');
    return this.#download(`RETR ${tokenOrQuoted(path, 'path')}`);
  }

  /** Size of a file in bytes (SIZE). */
  async size(path: string): Promise<number> {
    const r = await this.#expect(`SIZE ${tokenOrQuoted(path, 'path')}`, [213]);
    return Number(r.text.trim());
  }

  /** Deletes a file (DELE), e.g. a received fax once it is safely queued elsewhere. */
  async deleteFile(path: string): Promise<void> {
    await this.#expect(`DELE ${tokenOrQuoted(path, 'path')}`, [250]);
  }

  /**
   * Moves a file. RNFR/RNTO (RFC 959 §4.1.3) where the server has them; hfaxd 6.0 answers 502,
   * and then the file is copied (RETR, STOR, SIZE check) and the original deleted. Outside /tmp
   * and /docq hfaxd accepts STOR only from a client with administrative privileges.
   */
  async moveFile(from: string, to: string): Promise<void> {
    const rnfr = await this.#channel.command(`RNFR ${tokenOrQuoted(from, 'path')}`, this.#timeoutMs);
    if (rnfr.code === 350) {
      await this.#expect(`RNTO ${tokenOrQuoted(to, 'path')}`, [250]);
      return;
    }
    if (rnfr.code !== 502) throw new HylafaxProtocolError(`RNFR ${from}`, rnfr.code, rnfr.text);
    const data = await this.retrieve(from);
    await this.storeFile(to, data);
    const stored = await this.size(to);
    if (stored !== data.length) throw new HylafaxProtocolError(`SIZE ${to}`, 213, `${stored} bytes stored, ${data.length} sent; ${from} kept`);
    await this.deleteFile(from);
  }

  /**
   * Registers for faxq's events (`SITE TRIGGER`, faxwatch(8): e.g. `M*` for every modem event,
   * `J<12>*` for one job) and streams them on a data connection that stays open. The session
   * belongs to the watch from then on: closing the watch closes it.
   *
   * The data connection is active (EPRT, RFC 2428 §2): hfaxd 6.0.7 opens a passive one for a
   * trigger and answers 150, but never writes an event to it (seen with faxwatch's own
   * PassiveMode as well), so we listen and hfaxd connects to us.
   */
  async watchTriggers(spec: string): Promise<TriggerWatch> {
    if (!/^[JSRM](<[^<>\s]+>)?([0-9a-fA-F]{4}|\*)([JSRM](<[^<>\s]+>)?([0-9a-fA-F]{4}|\*))*$/.test(spec)) {
      throw new Error(`not a trigger expression (faxwatch(8)): ${spec}`);
    }
    await this.#setType('A');
    const address = this.#channel.localAddress;
    const listener = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(0, address, () => resolve());
      });
      const accepted = new Promise<Socket>((resolve, reject) => {
        const timer = setTimeout(() => reject(new HylafaxTimeoutError(`hfaxd's data connection for SITE TRIGGER ${spec}`, this.#timeoutMs)), this.#timeoutMs);
        listener.once('connection', (socket) => {
          clearTimeout(timer);
          resolve(socket);
        });
      });
      accepted.catch(() => {});
      const { port } = listener.address() as AddressInfo;
      const family = isIPv6(address) ? 2 : 1;
      await this.#expect(`EPRT |${family}|${address}|${port}|`, [200]);
      await this.#expect(`SITE TRIGGER ${spec}`, [125, 150]);
      const socket = await accepted;
      return new TriggerWatch(socket, () => this.destroy());
    } finally {
      listener.close();
    }
  }

  /** Says goodbye (QUIT) and closes; never throws, since the work is done either way. */
  async quit(): Promise<void> {
    try {
      if (this.#channel.alive) await this.#channel.command('QUIT', Math.min(this.#timeoutMs, 5_000));
    } catch {
      // A server that dropped us first has ended the session as well.
    } finally {
      this.destroy();
    }
  }

  /** Drops the connection at once, as a crashed worker would. Unsubmitted jobs die with it. */
  destroy(): void {
    this.#pendingData?.destroy();
    this.#channel.destroy();
  }
}
