// `faxgate config get|set|unset|diff|history|rollback|export|import|status` (issue 20): the
// runtime settings in Redis, which every running process takes up within seconds.
import { readFileSync } from 'node:fs';
import { userInfo, hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { baseSchema, describeSchema, loadConfig } from '@faxgate/config';
// The Redis connection only, not BullMQ: the settings are plain keys (issue 18, CLI start-up).
import { createRedis } from '@faxgate/queue/redis';
import { MAP_SETTINGS, RUNTIME_SETTING_GROUPS, SettingsConflict, SettingsStore, changeProblems, foldMapEntries, mapChangeLines, mapEntries, mapEntryName, queuedRefusedBy, settingsFromYaml, settingsToYaml, type HistoryEntry } from '@faxgate/settings';
import { settingsSchemas } from './settings-schemas.ts';

export const SETTINGS_USAGE = `usage: faxgate config get [NAME...]
       faxgate config set NAME=VALUE... --reason TEXT [--dry-run] [--by WHO]
       faxgate config set NAME --file PATH --reason TEXT [--dry-run]
       faxgate config unset NAME... --reason TEXT
       faxgate config diff [FILE.yaml]
       faxgate config history [--limit N]
       faxgate config rollback VERSION --reason TEXT
       faxgate config export
       faxgate config import FILE.yaml --reason TEXT [--dry-run]
       faxgate config status
       faxgate config docs [--check]

  Runtime settings (docs/configuration.md, "Runtime settings"): policy that the running gateway
  takes up within seconds, without a restart. The environment gives their initial values; what
  is stored here overrides it. Uses FAXGATE_REDIS_URL and FAXGATE_QUEUE_PREFIX.

  get        effective values (environment or stored) and the version
  set        change settings (a new version); --dry-run shows what it would refuse or allow,
             e.g. the queued faxes a tightened dial rule would refuse
             --file takes the value from a file: a cover template is set with
             faxgate config set FAXGATE_COVER_TEMPLATES.urgent --file urgent.html
             (FAXGATE_COVER_TEMPLATES.<name> is one template; unset removes it;
             faxgate config get FAXGATE_COVER_TEMPLATES.<name> prints it)
  unset      back to the environment's value
  diff       what the stored settings change from the environment (or what importing FILE
             would change)
  history    every version: who, when, old → new, why
  rollback   a new version with the values of VERSION
  export     the stored settings as YAML (for git)
  import     replace the stored settings with the file's
  status     the version each running process applied
  docs       regenerate the variable table in docs/configuration.md

  Options: --json (machine-readable output), --by WHO (default: user@host).
`;

function out(s: string) {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

export async function settingsCli(sub: string, argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { reason: { type: 'string' }, file: { type: 'string' }, by: { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`faxgate config: ${(err as Error).message}\n${SETTINGS_USAGE}`);
    return 2;
  }
  if (args.values.help) {
    out(SETTINGS_USAGE);
    return 0;
  }
  const base = loadConfig('base', baseSchema, process.env);
  const schemas = await settingsSchemas();
  // Background mode queues commands until connected; the ping below bounds that wait.
  const redis = createRedis(base.FAXGATE_REDIS_URL, 'background');
  const store = new SettingsStore(redis, base.FAXGATE_QUEUE_PREFIX);
  const by = args.values.by ?? `${userInfo().username}@${hostname()}`;
  const json = args.values.json ?? false;
  const pos = args.positionals;
  try {
    await Promise.race([redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000))]).catch((err: Error) => {
      throw new Error(`cannot reach Redis at FAXGATE_REDIS_URL: ${err.message}`);
    });
    const cur = await store.current();
    const fieldOf = (name: string) => schemas.find((s) => name in s.shape)?.shape[name];
    const defaults = new Map(schemas.flatMap((sc) => describeSchema('settings', sc).map((d) => [d.name, d.default] as const)));
    // The environment's value, else the default: what the setting is without a stored one.
    const envValue = (name: string) => (process.env[name] !== undefined && process.env[name] !== '' ? process.env[name]! : (defaults.get(name) ?? ''));

    const change = async (edits: Record<string, string | null>, replace = false): Promise<number> => {
      // NAME.<entry> edits one entry of a map setting (a cover template): the whole new map is
      // what is checked and stored.
      const set = foldMapEntries(edits, (name) => cur.values[name] ?? envValue(name));
      const problems = changeProblems(schemas, set);
      if (problems.length) {
        process.stderr.write(`faxgate config: refused, nothing changed (version ${cur.version} stays):\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
        return 1;
      }
      if (!args.values.reason && !args.values['dry-run']) {
        process.stderr.write('faxgate config: say why with --reason (it goes into the history)\n');
        return 2;
      }
      const next = replace ? { ...set } : { ...cur.values, ...set };
      for (const [k, v] of Object.entries(next)) if (v === null) delete next[k];
      if (args.values['dry-run']) {
        const refused = await queuedRefusedBy(redis, base.FAXGATE_QUEUE_PREFIX, process.env, cur.values, next as Record<string, string>);
        const lines = [`dry run against version ${cur.version}: the change is valid`];
        for (const [name, value] of Object.entries(set)) lines.push(`  ${name}: ${JSON.stringify(cur.values[name] ?? envValue(name))} → ${value === null ? `${JSON.stringify(envValue(name))} (environment)` : JSON.stringify(value)}`);
        lines.push(refused.length ? `${refused.length} queued fax recipient(s) would now be refused before dialling:` : 'no queued fax would be refused by it');
        for (const r of refused) lines.push(`  ${r.faxId} #${r.recipient} ${r.number}: ${r.reason}`);
        out(json ? JSON.stringify({ version: cur.version, valid: true, refused }, null, 2) : lines.join('\n'));
        return 0;
      }
      // Nothing to change (an import of what is stored, a Helm upgrade that left the settings
      // alone): no new version, so the history records changes only.
      const same = Object.keys(next).length === Object.keys(cur.values).length && Object.entries(next).every(([k, v]) => cur.values[k] === v);
      if (same) {
        out(json ? JSON.stringify({ version: cur.version, changes: [] }, null, 2) : `nothing to change: version ${cur.version} stays`);
        return 0;
      }
      const entry = await store.change({ expected: cur.version, set, by, reason: args.values.reason, replace });
      out(json ? JSON.stringify(entry, null, 2) : `version ${entry.version} saved (${entry.changes.length} change(s)); running processes take it up within seconds (faxgate config status)`);
      return 0;
    };

    switch (sub) {
      case 'get': {
        // One entry of a map setting is printed as it is, to edit and set again with --file.
        const entry = pos.length === 1 ? mapEntryName(pos[0]) : undefined;
        if (entry) {
          const text = mapEntries(cur.values[entry.setting] ?? envValue(entry.setting))[entry.entry];
          if (text === undefined) {
            process.stderr.write(`faxgate config: ${pos[0]} is not set (a template directory's file may still give it)\n`);
            return 1;
          }
          process.stdout.write(text);
          return 0;
        }
        const names = pos.length ? pos : RUNTIME_SETTING_GROUPS.flatMap((g) => g.names);
        const unknown = names.filter((n) => !fieldOf(n));
        if (unknown.length) {
          process.stderr.write(`faxgate config: unknown setting(s): ${unknown.join(', ')}\n`);
          return 2;
        }
        const rows = names.map((name) => ({ name, value: cur.values[name] ?? envValue(name), from: name in cur.values ? `version ${cur.version}` : process.env[name] ? 'environment' : 'default' }));
        if (json) out(JSON.stringify({ version: cur.version, settings: rows }, null, 2));
        else {
          // A map setting lists its entries' names and sizes, not its HTML.
          const shown = (r: { name: string; value: string }) => (MAP_SETTINGS.has(r.name) ? `(${Object.entries(mapEntries(r.value)).map(([k, v]) => `${k}: ${Buffer.byteLength(v)} bytes`).join(', ') || 'none'})` : r.value);
          out([`version ${cur.version}${cur.at ? ` (${cur.at} by ${cur.by})` : ' (environment only)'}`, ...rows.map((r) => `${r.name}=${shown(r)}${r.from.startsWith('version') ? `   [${r.from}]` : ''}`)].join('\n'));
        }
        return 0;
      }
      case 'set': {
        if (args.values.file !== undefined) {
          if (pos.length !== 1 || pos[0].includes('=')) {
            process.stderr.write(`faxgate config set: --file sets one setting: faxgate config set NAME --file PATH\n`);
            return 2;
          }
          return await change({ [pos[0]]: readFileSync(args.values.file, 'utf8') });
        }
        if (!pos.length || pos.some((p) => !p.includes('='))) {
          process.stderr.write(`faxgate config set: give NAME=VALUE pairs\n${SETTINGS_USAGE}`);
          return 2;
        }
        return await change(Object.fromEntries(pos.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])));
      }
      case 'unset':
        if (!pos.length) {
          process.stderr.write(`faxgate config unset: name the settings\n${SETTINGS_USAGE}`);
          return 2;
        }
        return await change(Object.fromEntries(pos.map((n) => [n, null])));
      case 'diff': {
        const target = pos[0] ? settingsFromYaml(readFileSync(pos[0], 'utf8')) : undefined;
        const from = target ? cur.values : {};
        const to = target ?? cur.values;
        const names = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
        const rows = names.filter((n) => from[n] !== to[n]).map((n) => ({ name: n, from: from[n] ?? envValue(n), to: to[n] ?? envValue(n) }));
        out(json ? JSON.stringify(rows, null, 2) : rows.length ? rows.map((r) => `${r.name}: ${JSON.stringify(r.from)} → ${JSON.stringify(r.to)}`).join('\n') : 'no differences');
        return 0;
      }
      case 'history': {
        const h = await store.history(Number(args.values.limit ?? 50));
        out(json ? JSON.stringify(h, null, 2) : h.length ? h.map(describeEntry).join('\n') : 'no changes yet: every setting comes from the environment');
        return 0;
      }
      case 'rollback': {
        const n = Number(pos[0]);
        const target = Number.isInteger(n) && n >= 0 ? await store.version(n) : undefined;
        if (!target) {
          process.stderr.write(`faxgate config rollback: no version ${pos[0] ?? '(none given)'} (current: ${cur.version})\n`);
          return 2;
        }
        return await change(target.values, true);
      }
      case 'export':
        out(settingsToYaml(cur));
        return 0;
      case 'import':
        if (!pos[0]) {
          process.stderr.write(`faxgate config import: name the YAML file\n${SETTINGS_USAGE}`);
          return 2;
        }
        return await change(settingsFromYaml(readFileSync(pos[0], 'utf8')), true);
      case 'status': {
        const applied = await store.applied();
        if (json) out(JSON.stringify({ version: cur.version, processes: applied }, null, 2));
        else out([`current version ${cur.version}`, ...applied.map((a) => `${a.version === cur.version ? 'ok     ' : 'BEHIND '} version ${a.version}  ${a.process} (${a.roles.join(',')}) seen ${a.at}`)].join('\n'));
        return 0;
      }
      default:
        process.stderr.write(`faxgate config: unknown subcommand "${sub}"\n${SETTINGS_USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof SettingsConflict) {
      process.stderr.write(`faxgate config: ${err.message}\n`);
      return 3;
    }
    process.stderr.write(`faxgate config: ${(err as Error).message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}

function describeEntry(h: HistoryEntry): string {
  const changes = h.changes.flatMap((c) =>
    MAP_SETTINGS.has(c.name)
      ? c.new === undefined
        ? [`    ${c.name}: back to the environment's value`]
        : mapChangeLines(c.name, c.old, c.new).map((l) => `    ${l}`)
      : [`    ${c.name}: ${c.old === undefined ? '(environment)' : JSON.stringify(c.old)} → ${c.new === undefined ? '(environment)' : JSON.stringify(c.new)}`],
  );
  return [`version ${h.version}  ${h.at}  by ${h.by}${h.reason ? `: ${h.reason}` : ''}`, ...changes].join('\n');
}
