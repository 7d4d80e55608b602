import { parse, stringify } from 'yaml';
import type { SettingsVersion } from './settings-store.ts';

/**
 * Settings as a YAML file, for those who keep configuration in git and apply it from CI or a
 * Helm hook: a map of setting name to value, spelt as in the environment. `version` records
 * which version the file was exported from; import does not need it.
 */
export function settingsToYaml(v: SettingsVersion): string {
  return `# faxgate runtime settings, version ${v.version}${v.at ? ` (${v.at} by ${v.by})` : ''}\n` + stringify({ version: v.version, settings: v.values });
}

/** The settings of a YAML file written by settingsToYaml (or by hand: `settings:` map only). */
export function settingsFromYaml(text: string): Record<string, string> {
  const doc = parse(text) as { settings?: Record<string, unknown> } | null;
  const settings = doc?.settings ?? {};
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new Error('the file needs a `settings:` map of setting name to value');
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
}
