import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SMTPServer, type SMTPServerEnvelopeDSN, type SMTPServerRecipientDSN, type SMTPServerSession } from 'smtp-server';
import type { Logger } from 'pino';
import { smtpError, FaxgateError, type ErrorCode } from '@faxgate/errors';
import { AuthThrottle, clientKey, type GatewayMetrics } from '@faxgate/runtime';
import { blobKeys, type BlobStore, type DsnNotify, type EnvelopeDsn } from '@faxgate/store';
import { newFaxId, newPostmasterId } from '@faxgate/queue';
import type { IngestConfig } from './config.ts';
import { SenderPolicy } from './sender-policy.ts';
import { SmtpUsers } from './smtp-users.ts';
import { checkRecipient, isPostmaster } from './recipient-check.ts';
import { dialFields, dialRulesFromConfig } from '@faxgate/phone';
import { derived, pick } from '@faxgate/config';
import type { AcceptedRecipient, IntakeInput, IntakeOutcome } from '@faxgate/intake';
import type { PostmasterInput } from './postmaster-intake.ts';
import { receiveMessage } from './message-receiver.ts';
import { ConnectionLimits } from './connection-limits.ts';
import type { DestinationQuota } from '@faxgate/quotas';

type Session = SMTPServerSession & { faxRecipients?: Map<string, AcceptedRecipient>; authFailures?: number; postmaster?: boolean };

export interface SmtpListenerDeps {
  config: IngestConfig;
  log: Logger;
  metrics: GatewayMetrics;
  /** Where messages are written as they stream in. */
  blobs: BlobStore;
  /** Makes the message durable and returns its fax id (or the fax it is a copy of); throws FaxgateError otherwise. */
  intake(input: IntakeInput): Promise<IntakeOutcome>;
  /** The distinct-destinations-per-hour brake checked at RCPT; absent or disabled: none. */
  destinations?: DestinationQuota;
  /** Makes a mail to postmaster durable and queues its forwarding; throws FaxgateError otherwise. */
  postmaster(input: PostmasterInput): Promise<string>;
  /**
   * How long close() lets open sessions finish before it answers them 421 and closes them
   * (RFC 5321 §3.8). Must end before the process's shutdown deadline, or the clients are cut
   * without a reply.
   */
  closeTimeoutMs: number;
}

/**
 * The SMTP front door: ESMTP with SIZE, 8BITMIME, PIPELINING, SMTPUTF8 (advertised by
 * smtp-server), STARTTLS with a certificate, AUTH with a users file. Every refusal is decided as
 * early as the protocol allows (RCPT for recipients and senders, MAIL for size) and carries a
 * sentence from the error registry.
 */
export function createSmtpListener(deps: SmtpListenerDeps): SMTPServer {
  const { config, log, metrics } = deps;
  const users = config.FAXGATE_SMTP_USERS_FILE ? SmtpUsers.fromFile(config.FAXGATE_SMTP_USERS_FILE) : undefined;
  // Sender policy and dial rules follow the runtime settings (issue 20): rebuilt when they change.
  const policy = derived(() => [config.FAXGATE_SENDERS_ALLOW, config.FAXGATE_SENDERS_DENY, config.FAXGATE_SMTP_CLIENT_NETWORKS], () => new SenderPolicy({ allow: config.FAXGATE_SENDERS_ALLOW, deny: config.FAXGATE_SENDERS_DENY, networks: config.FAXGATE_SMTP_CLIENT_NETWORKS }));
  const tls = config.FAXGATE_SMTP_TLS_CERT && config.FAXGATE_SMTP_TLS_KEY ? { cert: readFileSync(config.FAXGATE_SMTP_TLS_CERT), key: readFileSync(config.FAXGATE_SMTP_TLS_KEY) } : undefined;
  if (config.FAXGATE_SMTP_REQUIRE_AUTH && !users) throw new Error('FAXGATE_SMTP_REQUIRE_AUTH needs FAXGATE_SMTP_USERS_FILE');
  const dialRules = derived(() => pick(config, Object.keys(dialFields)), () => dialRulesFromConfig(config));

  const refuse = (code: ErrorCode, detail?: string) => {
    const err = smtpError(code, detail);
    metrics.smtpReplies.inc({ code: String(err.responseCode) });
    return err;
  };

  const limits = new ConnectionLimits(config.FAXGATE_SMTP_MAX_CONNECTIONS_PER_CLIENT);
  const throttle = new AuthThrottle({ maxFailures: config.FAXGATE_AUTH_MAX_FAILURES, lockoutMs: config.FAXGATE_AUTH_LOCKOUT });
  const closeWith = (session: SMTPServerSession, err: Error & { responseCode: number }) => {
    // smtp-server gives handlers the session, not the connection; a 421 closes the connection.
    const conn = [...(server as unknown as { connections: Set<{ session: SMTPServerSession; send(code: number, text: string): void }> }).connections].find((c) => c.session === session);
    conn?.send(err.responseCode, err.message);
  };

  const disabled: string[] = [];
  if (!users) disabled.push('AUTH');
  if (!tls) disabled.push('STARTTLS');

  const server: SMTPServer = new SMTPServer({
    name: config.FAXGATE_SMTP_HOSTNAME ?? hostname(),
    banner: 'faxgate ESMTP email-to-fax gateway',
    size: config.FAXGATE_SMTP_MAX_SIZE,
    ...(tls ?? {}),
    hideSTARTTLS: !tls,
    // RFC 3461: NOTIFY, RET, ENVID and ORCPT are kept with the fax and honoured by its result mails.
    hideDSN: false,
    disabledCommands: disabled,
    authMethods: ['PLAIN', 'LOGIN'],
    // FAXGATE_SMTP_REQUIRE_AUTH is enforced at RCPT (below), so that postmaster stays reachable.
    authOptional: true,
    // AUTH over a cleartext connection only when no certificate exists to protect it.
    allowInsecureAuth: !tls,
    logger: false,
    maxClients: config.FAXGATE_SMTP_MAX_CONNECTIONS,
    closeTimeout: deps.closeTimeoutMs,
    onConnect(session, cb) {
      if (!limits.open(session.id, clientKey(session.remoteAddress))) return cb(refuse('SMTP_TOO_MANY_CONNECTIONS', `at most ${config.FAXGATE_SMTP_MAX_CONNECTIONS_PER_CLIENT}`));
      cb();
    },
    onClose(session) {
      limits.close(session.id);
    },
    onAuth(auth, session: Session, cb) {
      const client = clientKey(session.remoteAddress);
      // A locked-out address is refused before its password is even looked at.
      if (throttle.lockedFor(client) > 0) return cb(refuse('AUTH_TOO_MANY_FAILURES'));
      if (users && auth.username && typeof auth.password === 'string' && users.verify(auth.username, auth.password)) {
        throttle.succeed(client);
        return cb(null, { user: auth.username });
      }
      const locked = throttle.fail(client);
      session.authFailures = (session.authFailures ?? 0) + 1;
      if (locked) log.warn({ client, lockoutMs: config.FAXGATE_AUTH_LOCKOUT }, 'client locked out after failed AUTH attempts');
      // The tarpit: each failure from this address is answered later than the one before.
      setTimeout(() => {
        if (locked || session.authFailures! >= config.FAXGATE_SMTP_AUTH_MAX_TRIES) {
          // RFC 5321 §3.8: 421 and close; this connection gets no more tries.
          const err = refuse('AUTH_TOO_MANY_FAILURES');
          return closeWith(session, err);
        }
        metrics.smtpReplies.inc({ code: '535' });
        cb(Object.assign(new Error('5.7.8 authentication credentials invalid'), { responseCode: 535 }));
      }, throttle.delayFor(client));
    },
    onRcptTo(address, session: Session, cb) {
      // RFC 5321 §4.5.1: postmaster is reachable by anyone, whoever may send faxes. It goes in a
      // transaction of its own (§4.5.3.1.10: the client sends a 452'd recipient again later).
      const toPostmaster = isPostmaster(address.address, config.FAXGATE_FAX_DOMAINS);
      if (toPostmaster !== !!session.postmaster && session.envelope.rcptTo.length > 0) return cb(refuse('RCPT_POSTMASTER_SEPARATE'));
      if (toPostmaster) {
        session.postmaster = true;
        return cb();
      }
      // At RCPT rather than MAIL, so that postmaster stays reachable (RFC 4954 §6 allows 530 here).
      if (config.FAXGATE_SMTP_REQUIRE_AUTH && !session.user) return cb(refuse('AUTH_REQUIRED'));
      if (!session.user && !policy().clientAllowed(session.remoteAddress)) return cb(refuse('CLIENT_DENIED', `${session.remoteAddress} is not in the client networks of this gateway${users ? '; authenticate (AUTH) first' : ''}`));
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const senderProblem = policy().checkSender(sender);
      if (senderProblem) return cb(refuse('SENDER_DENIED', senderProblem));
      if (session.envelope.rcptTo.length >= config.FAXGATE_SMTP_MAX_RECIPIENTS) return cb(refuse('RCPT_TOO_MANY', `at most ${config.FAXGATE_SMTP_MAX_RECIPIENTS}`));
      const verdict = checkRecipient(address.address, config.FAXGATE_FAX_DOMAINS, config.FAXGATE_DEFAULT_COUNTRY, dialRules());
      if (!verdict.ok) return cb(refuse(verdict.code, verdict.detail));
      const accept = () => {
        session.faxRecipients ??= new Map();
        session.faxRecipients.set(address.address, { address: address.address, number: verdict.number, dialString: verdict.dialString, ...recipientDsn(address.dsn) });
        cb();
      };
      if (!deps.destinations?.enabled) return accept();
      // The toll-fraud brake: a new destination past the hour's limit is refused here, before
      // anything is stored or dialled. Redis away: 451, the client tries again later.
      deps.destinations.admit(sender, verdict.number).then(
        (q) => {
          if (q.ok) return accept();
          log.warn({ sender, number: verdict.number, scope: q.scope, who: q.who, limit: q.limit }, 'destination quota reached; recipient refused');
          cb(refuse('QUOTA_DESTINATIONS', q.detail));
        },
        (err: Error) => {
          log.warn({ err: err.message }, 'destination quota unavailable');
          cb(refuse('QUEUE_UNAVAILABLE'));
        },
      );
    },
    onData(stream, session: Session, cb) {
      const faxId = session.postmaster ? newPostmasterId() : newFaxId();
      const messageKey = session.postmaster ? blobKeys.postmasterMail(faxId) : blobKeys.message(faxId);
      // A total time limit on DATA: the idle timeout alone lets a client drip one byte a minute for ever.
      const deadline = setTimeout(() => {
        log.warn({ client: session.remoteAddress, limitMs: config.FAXGATE_SMTP_DATA_TIMEOUT }, 'DATA took too long; connection closed');
        closeWith(session, refuse('SMTP_DATA_TIMEOUT', `limit ${Math.round(config.FAXGATE_SMTP_DATA_TIMEOUT / 1000)} s`));
        stream.destroy(new Error('DATA time limit passed'));
      }, config.FAXGATE_SMTP_DATA_TIMEOUT);
      void (async () => {
        const writer = await deps.blobs.writer(messageKey);
        const received = await receiveMessage(stream, writer, config.FAXGATE_SMTP_MAX_SIZE);
        clearTimeout(deadline);
        if (received.exceeded || stream.sizeExceeded) return cb(refuse('MESSAGE_TOO_BIG', `limit ${config.FAXGATE_SMTP_MAX_SIZE} bytes`));
        const recipients = session.envelope.rcptTo.map((r) => session.faxRecipients?.get(r.address)).filter((r): r is AcceptedRecipient => !!r);
        let outcome: IntakeOutcome = { faxId };
        try {
          if (session.postmaster) await deps.postmaster({ postmasterId: faxId, message: writer });
          else outcome = await deps.intake({
            faxId,
            messageKey,
            message: writer,
            head: received.head,
            sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            recipients,
            clientAddress: session.remoteAddress ?? '',
            authUser: typeof session.user === 'string' ? session.user : undefined,
            senderTrust: session.user ? 'authenticated' : policy().clientTrusted(session.remoteAddress) ? 'client-network' : 'unverified',
            dsn: envelopeDsn(session.envelope.dsn),
          });
        } catch (err) {
          await writer.abort();
          const code: ErrorCode = err instanceof FaxgateError ? err.code : 'QUEUE_UNAVAILABLE';
          log.warn({ err: (err as Error).message, code }, 'message not accepted');
          // Only a parse failure says more: other details are internal (Redis, disk).
          return cb(refuse(code, code === 'MESSAGE_UNPARSABLE' && err instanceof FaxgateError ? err.detail : undefined));
        }
        metrics.smtpReplies.inc({ code: '250' });
        if (outcome.duplicateOf) {
          // RFC 1047: the client did not read our 250 to this mail and sent it again. A 250 (not
          // a 5xx, which would bounce a fax that is on its way) makes it stop sending it.
          log.info({ faxId: outcome.duplicateOf, sender: session.envelope.mailFrom && session.envelope.mailFrom.address, recipients: recipients.length }, 'same mail sent again; not queued twice');
          return cb(null, `2.0.0 Ok: duplicate of a mail already queued as ${outcome.duplicateOf}; not queued again`);
        }
        log.info({ faxId, sender: session.envelope.mailFrom && session.envelope.mailFrom.address, recipients: recipients.length, bytes: received.bytes }, 'message accepted');
        cb(null, `2.0.0 Ok: queued as ${faxId}`);
      })().catch((err: unknown) => {
        // The client went away or passed the time limit (the stream failed), or the disk failed.
        clearTimeout(deadline);
        cb(refuse('STORE_FAILED', (err as Error).message));
      });
    },
  });
  return server;
}

/** RFC 3461 §4.1/§4.2 of one RCPT, as smtp-server parsed them (NOTIFY upper case, ORCPT xtext-decoded). */
function recipientDsn(dsn: SMTPServerRecipientDSN | undefined): Pick<AcceptedRecipient, 'notify' | 'orcpt'> {
  const notify = (dsn?.notify ?? []).filter((n): n is DsnNotify => NOTIFY_VALUES.has(n));
  return { ...(notify.length ? { notify } : {}), ...(dsn?.orcpt ? { orcpt: dsn.orcpt } : {}) };
}

const NOTIFY_VALUES = new Set<string>(['NEVER', 'SUCCESS', 'FAILURE', 'DELAY']);

/** RFC 3461 §4.3/§4.4 of MAIL FROM; undefined when the client gave neither. */
function envelopeDsn(dsn: SMTPServerEnvelopeDSN | undefined): EnvelopeDsn | undefined {
  const ret = dsn?.ret?.toUpperCase();
  const out: EnvelopeDsn = { ...(ret === 'FULL' || ret === 'HDRS' ? { ret } : {}), ...(dsn?.envid ? { envid: dsn.envid } : {}) };
  return out.ret || out.envid ? out : undefined;
}
