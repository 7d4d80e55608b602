import type { RoleDefinition } from '@faxgate/runtime';

/**
 * Every role by name, in start order (consumers before the SMTP front door opens), loaded only
 * when asked for: a pod running one role does not load the others' code (MuPDF, smtp-server...).
 */
const LOADERS: Record<string, () => Promise<unknown>> = {
  console: async () => (await import('@faxgate/console')).consoleRole,
  notifier: async () => (await import('@faxgate/notifier')).notifierRole,
  inbound: async () => (await import('@faxgate/inbound')).inboundRole,
  node: async () => (await import('@faxgate/node')).nodeRole,
  dispatch: async () => (await import('@faxgate/dispatch')).dispatchRole,
  render: async () => (await import('@faxgate/render-service')).renderRole,
  ingest: async () => (await import('@faxgate/ingest')).ingestRole,
};

export const ROLE_NAMES = Object.keys(LOADERS);

/** Resolves role names (or `all`) to definitions in start order; unknown names are an error. */
export async function resolveRoles(names: string[]): Promise<RoleDefinition[]> {
  const wanted = names.includes('all') ? ROLE_NAMES : names;
  const unknown = wanted.filter((n) => !LOADERS[n]);
  if (unknown.length) throw new Error(`unknown role(s): ${unknown.join(', ')} (roles: ${ROLE_NAMES.join(', ')}, all)`);
  return Promise.all(ROLE_NAMES.filter((n) => wanted.includes(n)).map(async (n) => (await LOADERS[n]()) as RoleDefinition));
}
