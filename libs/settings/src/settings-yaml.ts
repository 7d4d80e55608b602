import { parse, stringify } from 'yaml';
import { MAP_SETTINGS } from './runtime-settings.ts';
import type { SettingsVersion } from './settings-store.ts';

/**
 * Settings as a YAML file, for those who keep configuration in git and apply it from CI or a
 * Helm hook: a map of setting name to value, spelt as in the environment. `version` records
 * which version the file was exported from; import does not need it. A map setting (cover
 * templates) is written as a YAML map of name → text, so each template reads as itself.
 */
export function settingsToYaml(v: SettingsVersion): string {
  const settings = Object.fromEntries(Object.entries(v.values).map(([k, value]) => [k, MAP_SETTINGS.has(k) ? asMap(value) : value]));
  return `# faxgate runtime settings, version ${v.version}${v.at ? ` (${v.at} by ${v.by})` : ''}\n` + stringify({ version: v.version, settings }, { blockQuote: 'literal', lineWidth: 0 });
}

/** The settings of a YAML file written by settingsToYaml (or by hand: `settings:` map only). */
export function settingsFromYaml(text: string): Record<string, string> {
  const doc = parse(text) as { settings?: Record<string, unknown> } | null;
  const settings = doc?.settings ?? {};
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new Error('the file needs a `settings:` map of setting name to value');
  return Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)]));
}

/** A stored map value as an object for YAML; a value that is not one stays the string it is. */
function asMap(value: string): unknown {
  try {
    const v = JSON.parse(value) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : value;
  } catch {
    return value;
  }
}
