import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Logger } from 'pino';
import { smtpError, FaxgateError, type ErrorCode } from '@faxgate/errors';
import type { GatewayMetrics } from '@faxgate/runtime';
import type { IngestConfig } from './config.ts';
import { SenderPolicy } from './sender-policy.ts';
import { SmtpUsers } from './smtp-users.ts';
import { checkRecipient } from './recipient-check.ts';
import { dialRulesFromConfig } from '@faxgate/phone';
import type { AcceptedRecipient, IntakeInput } from './message-intake.ts';

type Session = SMTPServerSession & { faxRecipients?: Map<string, AcceptedRecipient> };

export interface SmtpListenerDeps {
  config: IngestConfig;
  log: Logger;
  metrics: GatewayMetrics;
  /** Makes the message durable and returns its fax id; throws FaxgateError otherwise. */
  intake(input: IntakeInput): Promise<string>;
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
  const policy = new SenderPolicy({ allow: config.FAXGATE_SENDERS_ALLOW, deny: config.FAXGATE_SENDERS_DENY, networks: config.FAXGATE_SMTP_CLIENT_NETWORKS });
  const tls = config.FAXGATE_SMTP_TLS_CERT && config.FAXGATE_SMTP_TLS_KEY ? { cert: readFileSync(config.FAXGATE_SMTP_TLS_CERT), key: readFileSync(config.FAXGATE_SMTP_TLS_KEY) } : undefined;
  if (config.FAXGATE_SMTP_REQUIRE_AUTH && !users) throw new Error('FAXGATE_SMTP_REQUIRE_AUTH needs FAXGATE_SMTP_USERS_FILE');
  const dialRules = dialRulesFromConfig(config);

  const refuse = (code: ErrorCode, detail?: string) => {
    const err = smtpError(code, detail);
    metrics.smtpReplies.inc({ code: String(err.responseCode) });
    return err;
  };

  const disabled: string[] = [];
  if (!users) disabled.push('AUTH');
  if (!tls) disabled.push('STARTTLS');

  return new SMTPServer({
    name: config.FAXGATE_SMTP_HOSTNAME ?? hostname(),
    banner: 'faxgate ESMTP email-to-fax gateway',
    size: config.FAXGATE_SMTP_MAX_SIZE,
    ...(tls ?? {}),
    hideSTARTTLS: !tls,
    disabledCommands: disabled,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: !config.FAXGATE_SMTP_REQUIRE_AUTH,
    // AUTH over a cleartext connection only when no certificate exists to protect it.
    allowInsecureAuth: !tls,
    logger: false,
    onAuth(auth, _session, cb) {
      if (users && auth.username && typeof auth.password === 'string' && users.verify(auth.username, auth.password)) return cb(null, { user: auth.username });
      metrics.smtpReplies.inc({ code: '535' });
      cb(Object.assign(new Error('5.7.8 authentication credentials invalid'), { responseCode: 535 }));
    },
    onMailFrom(address, session, cb) {
      if (config.FAXGATE_SMTP_REQUIRE_AUTH && !session.user) return cb(refuse('AUTH_REQUIRED'));
      cb();
    },
    onRcptTo(address, session: Session, cb) {
      if (!session.user && !policy.clientAllowed(session.remoteAddress)) return cb(refuse('CLIENT_DENIED', `${session.remoteAddress} is not in the client networks of this gateway${users ? '; authenticate (AUTH) first' : ''}`));
      const sender = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
      const senderProblem = policy.checkSender(sender);
      if (senderProblem) return cb(refuse('SENDER_DENIED', senderProblem));
      if (session.envelope.rcptTo.length >= config.FAXGATE_SMTP_MAX_RECIPIENTS) return cb(refuse('RCPT_TOO_MANY', `at most ${config.FAXGATE_SMTP_MAX_RECIPIENTS}`));
      const verdict = checkRecipient(address.address, config.FAXGATE_FAX_DOMAINS, config.FAXGATE_DEFAULT_COUNTRY, dialRules);
      if (!verdict.ok) return cb(refuse(verdict.code, verdict.detail));
      session.faxRecipients ??= new Map();
      session.faxRecipients.set(address.address, { address: address.address, number: verdict.number, dialString: verdict.dialString });
      cb();
    },
    onData(stream, session: Session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', (err) => cb(err));
      stream.on('end', () => {
        if (stream.sizeExceeded) return cb(refuse('MESSAGE_TOO_BIG', `limit ${config.FAXGATE_SMTP_MAX_SIZE} bytes`));
        const recipients = session.envelope.rcptTo.map((r) => session.faxRecipients?.get(r.address)).filter((r): r is AcceptedRecipient => !!r);
        deps
          .intake({
            raw: Buffer.concat(chunks),
            sender: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            recipients,
            clientAddress: session.remoteAddress ?? "",
            authUser: typeof session.user === 'string' ? session.user : undefined,
          })
          .then((faxId) => {
            metrics.smtpReplies.inc({ code: '250' });
            log.info({ faxId, sender: session.envelope.mailFrom && session.envelope.mailFrom.address, recipients: recipients.length }, 'message accepted');
            cb(null, `2.0.0 Ok: queued as ${faxId}`);
          })
          .catch((err: unknown) => {
            const code: ErrorCode = err instanceof FaxgateError ? err.code : 'QUEUE_UNAVAILABLE';
            log.warn({ err: (err as Error).message, code }, 'message not accepted');
            cb(refuse(code));
          });
      });
    },
  });
}
