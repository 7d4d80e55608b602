import type { Redis } from 'ioredis';

/** One version of the runtime settings: the values that differ from the environment's. */
export interface SettingsVersion {
  version: number;
  /** Setting name → value as the environment would spell it. Absent: the environment's value. */
  values: Record<string, string>;
  at?: string;
  by?: string;
  reason?: string;
}

export interface SettingChange {
  name: string;
  /** undefined: the environment's value. */
  old?: string;
  new?: string;
}

export interface HistoryEntry extends Required<Omit<SettingsVersion, 'reason'>> {
  reason?: string;
  changes: SettingChange[];
}

/** What a process reports about the settings it runs with, for /readyz and the console. */
export interface AppliedReport {
  process: string;
  node: string;
  roles: string[];
  version: number;
  at: string;
}

/** Another edit landed first: the caller must look at the new version and try again. */
export class SettingsConflict extends Error {
  readonly current: number;
  constructor(expected: number, current: number) {
    super(`the settings changed meanwhile (now version ${current}, the change was made against version ${expected}); look at the new version and try again`);
    this.name = 'SettingsConflict';
    this.current = current;
  }
}

// Compare-and-set in one script, so two admins editing at once cannot both win: the version
// check, the new version, its history line and the notice to every process are one step.
const CHANGE = `
local cur = redis.call('GET', KEYS[1])
local v = 0
if cur then v = tonumber(cjson.decode(cur).version) end
if v ~= tonumber(ARGV[1]) then return {0, v} end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {1, tonumber(ARGV[5])}
`;

/** A report older than this is from a process that stopped. */
const APPLIED_STALE_MS = 2 * 60_000;

/**
 * The shared store of runtime settings in Redis: the current version, every earlier version
 * with who changed what and why, and which version each running process applied.
 */
export class SettingsStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  private get key() {
    return `${this.prefix}:settings`;
  }
  private get historyKey() {
    return `${this.prefix}:settings:history`;
  }
  private get appliedKey() {
    return `${this.prefix}:settings:applied`;
  }
  /** The pub/sub channel on which every new version number is announced. */
  get channel() {
    return `${this.prefix}:settings:changed`;
  }

  async current(): Promise<SettingsVersion> {
    const raw = await this.redis.get(this.key);
    return raw ? (JSON.parse(raw) as SettingsVersion) : { version: 0, values: {} };
  }

  /**
   * Applies `set` (null: back to the environment's value) on top of version `expected`.
   * Validation is the caller's (it holds the schemas); this only refuses a stale base.
   */
  async change(opts: { expected: number; set: Record<string, string | null>; by: string; reason?: string; replace?: boolean }): Promise<HistoryEntry> {
    const cur = await this.current();
    if (cur.version !== opts.expected) throw new SettingsConflict(opts.expected, cur.version);
    const values: Record<string, string> = opts.replace ? {} : { ...cur.values };
    for (const [name, value] of Object.entries(opts.set)) {
      if (value === null) delete values[name];
      else values[name] = value;
    }
    const changes: SettingChange[] = [];
    for (const name of [...new Set([...Object.keys(cur.values), ...Object.keys(values)])].sort()) {
      if (cur.values[name] !== values[name]) changes.push({ name, ...(cur.values[name] !== undefined ? { old: cur.values[name] } : {}), ...(values[name] !== undefined ? { new: values[name] } : {}) });
    }
    const next: SettingsVersion = { version: cur.version + 1, values, at: new Date().toISOString(), by: opts.by, ...(opts.reason ? { reason: opts.reason } : {}) };
    const entry: HistoryEntry = { version: next.version, values, at: next.at!, by: opts.by, ...(opts.reason ? { reason: opts.reason } : {}), changes };
    const [ok, version] = (await this.redis.eval(CHANGE, 2, this.key, this.historyKey, String(opts.expected), JSON.stringify(next), JSON.stringify(entry), this.channel, String(next.version))) as [number, number];
    if (!ok) throw new SettingsConflict(opts.expected, version);
    return entry;
  }

  /** Every version, newest first (at most `limit`). */
  async history(limit = 100): Promise<HistoryEntry[]> {
    const raw = await this.redis.lrange(this.historyKey, -limit, -1);
    return raw.map((r) => JSON.parse(r) as HistoryEntry).reverse();
  }

  async version(n: number): Promise<HistoryEntry | undefined> {
    if (n === 0) return { version: 0, values: {}, at: '', by: 'environment', changes: [] };
    const raw = await this.redis.lindex(this.historyKey, n - 1);
    const e = raw ? (JSON.parse(raw) as HistoryEntry) : undefined;
    return e?.version === n ? e : (await this.history(10_000)).find((h) => h.version === n);
  }

  async reportApplied(r: AppliedReport): Promise<void> {
    await this.redis.hset(this.appliedKey, r.process, JSON.stringify(r));
  }

  async forgetApplied(process: string): Promise<void> {
    await this.redis.hdel(this.appliedKey, process);
  }

  /** The processes that reported in the last two minutes, with the version each runs. */
  async applied(now = Date.now()): Promise<AppliedReport[]> {
    const all = Object.values(await this.redis.hgetall(this.appliedKey)).map((r) => JSON.parse(r) as AppliedReport);
    return all.filter((r) => now - Date.parse(r.at) < APPLIED_STALE_MS).sort((a, b) => a.process.localeCompare(b.process));
  }
}
