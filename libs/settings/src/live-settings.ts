import { ConfigError, loadConfig, type EnvSchema } from '@faxgate/config';
import type { Redis } from 'ioredis';
import { isRuntimeSetting } from './runtime-settings.ts';
import { SettingsStore, type SettingsVersion } from './settings-store.ts';

/** A validated config object of one role (or the base) that this process runs with. */
export interface LiveTarget {
  scope: string;
  schema: EnvSchema;
  config: Record<string, unknown>;
}

interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LiveSettingsOptions {
  redis: Redis;
  prefix: string;
  env: NodeJS.ProcessEnv;
  targets: LiveTarget[];
  log: Log;
  process: string;
  node: string;
  roles: string[];
  /** The periodic check behind pub/sub (a missed message, a reconnect): 5 s. */
  checkEveryMs?: number;
}

/**
 * The runtime settings as this process applies them: each new version is validated against
 * every role schema of the process (the same parse as at start, environment plus the stored
 * values) and, only if all of them accept it, written into the live config objects, so code that
 * reads `config.X` when it needs it sees the new value. A version this process cannot accept is
 * logged and the previous one stays. Listeners rebuild what they derived from settings.
 */
export class LiveSettings {
  readonly store: SettingsStore;
  private readonly opts: LiveSettingsOptions;
  private applied = 0;
  private listeners: Array<(version: number) => void> = [];
  private subscriber?: Redis;
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private again = false;
  private failing = false;

  constructor(opts: LiveSettingsOptions) {
    this.opts = opts;
    this.store = new SettingsStore(opts.redis, opts.prefix);
  }

  /** The version this process runs with (0: the environment alone). */
  get version(): number {
    return this.applied;
  }

  onChange(fn: (version: number) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Applies the current version once, before the roles are built, so they start with it. With
   * Redis away this gives up after `timeoutMs` and the process starts with the environment's
   * values; the periodic check applies the stored version once Redis answers.
   */
  async load(timeoutMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.refresh(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  /** Follows changes: pub/sub for speed, a periodic check for what pub/sub missed. */
  async start(): Promise<void> {
    this.subscriber = this.opts.redis.duplicate();
    this.subscriber.on('error', () => {});
    this.subscriber.on('message', () => void this.refresh());
    // Bounded: with Redis away the subscription is made when it answers, and start goes on.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.subscriber.subscribe(this.store.channel).catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    this.timer = setInterval(() => void this.refresh(), this.opts.checkEveryMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.subscriber?.disconnect();
    await this.refreshing;
    await this.store.forgetApplied(this.opts.process).catch(() => {});
  }

  /** Reads the current version and applies it if it is new; concurrent calls coalesce. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.again = false;
        try {
          await this.refreshOnce();
          if (this.failing) this.opts.log.info({ version: this.applied }, 'runtime settings: the store answers again');
          this.failing = false;
        } catch (err) {
          // Once per outage, not once per check: Redis away for an hour is one line.
          if (!this.failing) this.opts.log.error({ err: (err as Error).message, version: this.applied }, 'runtime settings: cannot read the store; keeping the version applied until it answers');
          this.failing = true;
        }
      } while (this.again);
    })().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async refreshOnce(): Promise<void> {
    const cur = await this.store.current();
    if (cur.version !== this.applied) this.apply(cur);
    await this.store.reportApplied({ process: this.opts.process, node: this.opts.node, roles: this.opts.roles, version: this.applied, at: new Date().toISOString() });
  }

  private apply(v: SettingsVersion): void {
    const env: NodeJS.ProcessEnv = { ...this.opts.env };
    for (const [name, value] of Object.entries(v.values)) if (isRuntimeSetting(name)) env[name] = value;
    const parsed: Array<Record<string, unknown>> = [];
    try {
      for (const t of this.opts.targets) parsed.push(loadConfig(t.scope, t.schema, env) as Record<string, unknown>);
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [(err as Error).message];
      this.opts.log.error({ version: v.version, kept: this.applied, problems }, 'runtime settings: this process cannot apply the new version; it keeps the previous one');
      return;
    }
    const changed: string[] = [];
    this.opts.targets.forEach((t, i) => {
      for (const name of Object.keys(t.schema.shape)) {
        if (!isRuntimeSetting(name)) continue;
        if (JSON.stringify(t.config[name]) !== JSON.stringify(parsed[i][name])) changed.push(name);
        t.config[name] = parsed[i][name];
      }
    });
    const from = this.applied;
    this.applied = v.version;
    this.opts.log.info({ version: v.version, from, by: v.by, changed: [...new Set(changed)] }, `runtime settings version ${v.version} applied`);
    for (const fn of this.listeners) fn(v.version);
  }
}
