export { inboundRole } from './inbound-role.ts';
export { inboundSchema } from './config.ts';
export { routeFax, type CallFacts, type RouteDecision } from './router.ts';
export { mailboxFromSubAddress } from './sub-address.ts';
export { directoryCli } from './directory-cli.ts';
export { simCli } from './sim-cli.ts';
