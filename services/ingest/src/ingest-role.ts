import { defineRole, type RoleInstance } from '@faxgate/runtime';
import { FaxRecords } from '@faxgate/store';
import { DestinationQuota, liveQuotaLimits } from '@faxgate/quotas';
import { ingestSchema } from './config.ts';
import { createSmtpListener } from './smtp-listener.ts';
import { takeInMail } from '@faxgate/intake';
import { accessSummary } from './access-summary.ts';
import { takeInPostmasterMail } from './postmaster-intake.ts';
import { aofDurability, readAofSettings } from './aof-durability.ts';

/** ingest: the SMTP server that turns mail to fax addresses into queued faxes. */
/** The ingest role as it runs: the SMTP port it bound (0 in the configuration picks a free one). */
export interface IngestRoleInstance extends RoleInstance {
  smtpPort(): number;
}

export const ingestRole = defineRole({
  name: 'ingest',
  schema: ingestSchema,
  async build(ctx, config): Promise<IngestRoleInstance> {
    // Inside an SMTP transaction every Redis call must fail fast (451), never hang the client.
    const records = new FaxRecords(ctx.requestRedis, ctx.base.FAXGATE_QUEUE_PREFIX);
    const destinations = new DestinationQuota(ctx.requestRedis, ctx.base.FAXGATE_QUEUE_PREFIX, liveQuotaLimits(config));
    const server = createSmtpListener({
      destinations,
      config,
      log: ctx.log,
      metrics: ctx.metrics,
      blobs: ctx.blobs,
      intake: (input) => takeInMail(input, { records, queues: ctx.requestQueues, delayWarningMs: config.FAXGATE_NOTIFY_DELAY_WARNING, duplicateWindowMs: config.FAXGATE_SMTP_DUPLICATE_WINDOW }),
      postmaster: (input) => takeInPostmasterMail(input, { queues: ctx.requestQueues }),
      // Half the shutdown deadline: sessions still open then get their 421, and the workers of
      // the other roles keep the rest to finish their jobs.
      closeTimeoutMs: Math.max(1_000, Math.floor(ctx.base.FAXGATE_SHUTDOWN_TIMEOUT / 2)),
    });
    const access = accessSummary(config);
    let port = config.FAXGATE_SMTP_PORT;
    // Whether a 250 survives a power cut depends on how Redis fsyncs its AOF (issue 18): said at
    // each connection, since Redis may have been restarted with another configuration.
    let lastSentence = '';
    const checkDurability = () => {
      readAofSettings(ctx.requestRedis).then(
        (s) => {
          const d = aofDurability(s);
          if (d.sentence === lastSentence) return;
          lastSentence = d.sentence;
          if (d.durable) ctx.log.info({ redisVersion: d.redisVersion, durableAccept: true }, d.sentence);
          else ctx.log.warn({ redisVersion: d.redisVersion, durableAccept: false }, d.sentence);
        },
        (err: Error) => ctx.log.warn({ err: err.message }, 'could not read Redis persistence settings'),
      );
    };
    return {
      // Opens while Redis is away: each message then gets a 451 and the sender retries.
      startsWithoutRedis: true,
      async start() {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(config.FAXGATE_SMTP_PORT, access.listenHost, () => {
            server.off('error', reject);
            port = (server.server.address() as { port: number }).port;
            resolve();
          });
        });
        server.on('error', (err) => ctx.log.warn({ err: err.message }, 'smtp error'));
        ctx.requestRedis.on('ready', checkDurability);
        if (ctx.requestRedis.status === 'ready') checkDurability();
        ctx.log.info({ listen: `${access.listenHost}:${port}` }, access.senders);
        ctx.log.info(access.dial);
      },
      async stop() {
        ctx.requestRedis.off('ready', checkDurability);
        // close() stops accepting and waits for open sessions to end.
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
      describe: () => [`smtp      ${access.listenHost}:${port}  (fax domains: ${config.FAXGATE_FAX_DOMAINS.join(', ')})`, access.senders, access.dial],
      smtpPort: () => port,
    };
  },
});
