// Every schema that validates a runtime setting, loaded from the services' config modules only
// (not their roles): the CLI and any process, the console included, checks an edit against the
// same fields that check the environment, whichever roles it runs.
import { baseSchema, type EnvSchema } from '@faxgate/config';

export async function settingsSchemas(): Promise<EnvSchema[]> {
  const [{ ingestSchema }, { dispatchSchema }, { renderSchema }, { notifierSchema }, { inboundSchema }] = await Promise.all([
    import('@faxgate/ingest/config'),
    import('@faxgate/dispatch/config'),
    import('@faxgate/render-service/config'),
    import('@faxgate/notifier/config'),
    import('@faxgate/inbound/config'),
  ]);
  return [baseSchema, ingestSchema, dispatchSchema, renderSchema, notifierSchema, inboundSchema] as unknown as EnvSchema[];
}
