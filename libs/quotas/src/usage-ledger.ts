import type { Redis } from 'ioredis';
import { senderDomain, senderKey, utcDay, utcMonth } from './quota-limits.ts';

/** One recipient's transmission as accounting counts it. */
export interface UsageEntry {
  sender: string;
  /** Pages the far end confirmed (what a carrier bills, what the sender got). */
  pages: number;
  /** Time on the line over every call of the recipient. */
  lineMs: number;
  /** When the recipient ended; decides the day and month it counts in (UTC). */
  at: number;
  /** Names the outcome (e.g. `<faxId>-r<n>-a<attempts>`): the same outcome is counted once. */
  key: string;
}

/** Totals of one sender or domain over a period. */
export interface UsageRow {
  scope: 'sender' | 'domain';
  name: string;
  faxes: number;
  pages: number;
  lineMs: number;
}

const COUNTED_TTL_S = 400 * 86_400;

// KEYS: day hash, month hash, the counted-marker key. ARGV: sender, domain, pages, lineMs, ttl.
const RECORD = `
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[5]) == false then return 0 end
for i = 1, 2 do
  for _, who in ipairs({ 's:' .. ARGV[1], 'd:' .. ARGV[2] }) do
    redis.call('HINCRBY', KEYS[i], who .. ':faxes', 1)
    redis.call('HINCRBY', KEYS[i], who .. ':pages', ARGV[3])
    redis.call('HINCRBY', KEYS[i], who .. ':ms', ARGV[4])
  end
  redis.call('EXPIRE', KEYS[i], ARGV[5])
end
return 1
`;

/**
 * Accounting of pages and line time per sender and per domain, per day and per month (UTC), in
 * Redis hashes: what `faxgate usage` and the metrics read. Each outcome is counted once,
 * whatever the number of times its job runs.
 */
export class UsageLedger {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  /** Counts one outcome; false when it was counted before. */
  async record(e: UsageEntry): Promise<boolean> {
    const keys = [this.dayKey(utcDay(e.at)), this.monthKey(utcMonth(e.at)), `${this.prefix}:usage:counted:${e.key}`];
    const r = await this.redis.eval(RECORD, 3, ...keys, senderKey(e.sender), senderDomain(e.sender), Math.max(0, Math.round(e.pages)), Math.max(0, Math.round(e.lineMs)), COUNTED_TTL_S);
    return r === 1;
  }

  /** Totals of a month (`YYYY-MM`) or a day (`YYYY-MM-DD`), every sender and domain, or those matching `filter`. */
  async totals(period: string, filter: { sender?: string; domain?: string } = {}): Promise<UsageRow[]> {
    if (!/^\d{4}-\d{2}(-\d{2})?$/.test(period)) throw new Error(`"${period}" is not a month (YYYY-MM) or a day (YYYY-MM-DD)`);
    const h = await this.redis.hgetall(period.length === 7 ? this.monthKey(period) : this.dayKey(period));
    const rows = new Map<string, UsageRow>();
    for (const [field, value] of Object.entries(h)) {
      const m = /^([sd]):(.*):(faxes|pages|ms)$/.exec(field);
      if (!m) continue;
      const scope = m[1] === 's' ? 'sender' : 'domain';
      const id = `${scope}:${m[2]}`;
      const row = rows.get(id) ?? { scope, name: m[2], faxes: 0, pages: 0, lineMs: 0 };
      if (m[3] === 'faxes') row.faxes = Number(value);
      else if (m[3] === 'pages') row.pages = Number(value);
      else row.lineMs = Number(value);
      rows.set(id, row);
    }
    const sender = filter.sender?.toLowerCase();
    const domain = filter.domain?.toLowerCase().replace(/^@/, '');
    return [...rows.values()]
      .filter((r) => (!sender || (r.scope === 'sender' && r.name === sender) || (r.scope === 'domain' && r.name === senderDomain(sender))) && (!domain || r.name === domain || (r.scope === 'sender' && senderDomain(r.name) === domain)))
      .sort((a, b) => (a.scope === b.scope ? a.name.localeCompare(b.name) : a.scope === 'domain' ? -1 : 1));
  }

  /** Each day of a month that has usage, with its totals (for one sender or domain when filtered). */
  async days(month: string, filter: { sender?: string; domain?: string } = {}): Promise<Array<{ day: string; rows: UsageRow[] }>> {
    const [y, m] = month.split('-').map(Number);
    const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const out: Array<{ day: string; rows: UsageRow[] }> = [];
    for (let d = 1; d <= n; d++) {
      const day = `${month}-${String(d).padStart(2, '0')}`;
      const rows = await this.totals(day, filter);
      // With a sender asked for, a day counts when that sender used it (its domain row is context).
      if (filter.sender ? rows.some((r) => r.scope === 'sender') : rows.length) out.push({ day, rows });
    }
    return out;
  }

  private dayKey(day: string): string {
    return `${this.prefix}:usage:day:${day}`;
  }

  private monthKey(month: string): string {
    return `${this.prefix}:usage:month:${month}`;
  }
}
