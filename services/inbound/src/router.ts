import { matchesPattern } from '@faxgate/phone';
import type { DeliveryFormat, InboundRecord, RouteRuleKind } from '@faxgate/store';
import type { Directory, DirectoryUser, RouteRule } from '@faxgate/directory';
import { mailboxFromSubAddress } from './sub-address.ts';

/** What the line told us about a received fax: the facts the rules look at. */
export type CallFacts = Pick<InboundRecord, 'did' | 'callingNumber' | 'csid' | 'subAddress' | 'pool' | 'line'>;

export interface RouteDecision {
  rule: RouteRuleKind;
  /** The rule in words, for the record and the mail ("DID +12125550100", "routes[2]: csid ^ACME"). */
  detail: string;
  user?: DirectoryUser;
  to: string[];
  format: DeliveryFormat;
}

/**
 * Picks the owner of a received fax. Rules are tried in this order, the first match wins:
 * 1. the called number (DID) of a user;
 * 2. the T.30 sub-address naming a user's mailbox;
 * 3. routes matching the calling number or the CSID, in file order;
 * 4. routes matching only the pool or line, in file order;
 * 5. otherwise the unaddressed mailbox.
 * Line routes come last because they are the catch-alls of a shared line: a sender known by
 * number or station id is routed by who sent, whichever line the call came in on.
 */
export function routeFax(dir: Directory, call: CallFacts): RouteDecision {
  const to = (user: DirectoryUser, rule: RouteRuleKind, detail: string): RouteDecision => ({ rule, detail, user, to: user.emails, format: user.format });

  const didUser = dir.users.find((u) => u.dids.some((d) => sameNumber(d, call.did)));
  if (didUser) return to(didUser, 'did', `DID ${call.did}`);

  const box = mailboxFromSubAddress(call.subAddress);
  if (box) {
    const boxUser = dir.users.find((u) => u.mailbox === box);
    if (boxUser) return to(boxUser, 'sub-address', `sub-address ${call.subAddress} (mailbox ${box})`);
  }

  const byUser = new Map(dir.users.map((u) => [u.id, u]));
  const identity = dir.routes.map((r, i) => ({ r, i })).filter(({ r }) => r.match.csid !== undefined || r.match.calling !== undefined);
  const lineOnly = dir.routes.map((r, i) => ({ r, i })).filter(({ r }) => r.match.csid === undefined && r.match.calling === undefined);
  for (const { r, i } of [...identity, ...lineOnly]) {
    const user = byUser.get(r.user);
    if (user && routeMatches(r, call)) {
      const kind: RouteRuleKind = r.match.csid !== undefined ? 'csid' : r.match.calling !== undefined ? 'calling-number' : 'line';
      return to(user, kind, `routes[${i}]: ${describeMatch(r)}`);
    }
  }

  const facts = [`DID ${call.did || 'none'}`, `from ${call.callingNumber || 'unknown'}`, call.csid ? `CSID "${call.csid}"` : '', call.subAddress ? `sub-address ${call.subAddress}` : ''].filter(Boolean).join(', ');
  return { rule: 'unaddressed', detail: facts, to: dir.unaddressed, format: 'pdf' };
}

/** Every condition a route gives must hold. */
function routeMatches(r: RouteRule, call: CallFacts): boolean {
  const m = r.match;
  if (m.csid !== undefined && !(call.csid && new RegExp(m.csid, 'i').test(call.csid.trim()))) return false;
  if (m.calling !== undefined && !(call.callingNumber && matchesPattern(call.callingNumber.replace(/[\s().-]/g, ''), m.calling))) return false;
  if (m.pool !== undefined && m.pool !== call.pool) return false;
  if (m.line !== undefined && !(call.line && globMatches(m.line, call.line))) return false;
  return true;
}

function describeMatch(r: RouteRule): string {
  return Object.entries(r.match).map(([k, v]) => `${k} ${v}`).join(', ');
}

/**
 * Whether two numbers are the same line: equal digits, or one is the tail of the other (a
 * carrier may deliver the DID in national form or only its last digits), with at least 4 digits.
 */
export function sameNumber(a: string, b: string): boolean {
  const x = a.replace(/\D/g, '');
  const y = b.replace(/\D/g, '');
  if (!x || !y) return false;
  if (x === y) return true;
  const [short, long] = x.length < y.length ? [x, y] : [y, x];
  return short.length >= 4 && long.endsWith(short);
}

function globMatches(glob: string, value: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  return re.test(value);
}
