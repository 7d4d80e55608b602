import type { RoleDefinition } from '@faxgate/runtime';
import { ingestRole } from '@faxgate/ingest';
import { renderRole } from '@faxgate/render-service';
import { dispatchRole } from '@faxgate/dispatch';
import { nodeRole } from '@faxgate/node';
import { notifierRole } from '@faxgate/notifier';
import { consoleRole } from '@faxgate/console';
import { inboundRole } from '@faxgate/inbound';

/** Every role by name, in start order: consumers before the SMTP front door opens. */
export const ROLES: Record<string, RoleDefinition> = {
  console: consoleRole as unknown as RoleDefinition,
  notifier: notifierRole as unknown as RoleDefinition,
  inbound: inboundRole as unknown as RoleDefinition,
  node: nodeRole as unknown as RoleDefinition,
  dispatch: dispatchRole as unknown as RoleDefinition,
  render: renderRole as unknown as RoleDefinition,
  ingest: ingestRole as unknown as RoleDefinition,
};

/** Resolves role names (or `all`) to definitions in start order; unknown names are an error. */
export function resolveRoles(names: string[]): RoleDefinition[] {
  const wanted = names.includes('all') ? Object.keys(ROLES) : names;
  const unknown = wanted.filter((n) => !ROLES[n]);
  if (unknown.length) throw new Error(`unknown role(s): ${unknown.join(', ')} (roles: ${Object.keys(ROLES).join(', ')}, all)`);
  return Object.keys(ROLES).filter((n) => wanted.includes(n)).map((n) => ROLES[n]);
}
