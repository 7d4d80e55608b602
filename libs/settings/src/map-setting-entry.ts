import { MAP_SETTINGS } from './runtime-settings.ts';

/** `FAXGATE_COVER_TEMPLATES.urgent` → the map setting and the entry; undefined for a plain name. */
export function mapEntryName(name: string): { setting: string; entry: string } | undefined {
  const dot = name.indexOf('.');
  if (dot < 0 || !MAP_SETTINGS.has(name.slice(0, dot))) return undefined;
  return { setting: name.slice(0, dot), entry: name.slice(dot + 1) };
}

/**
 * Folds entry edits (`NAME.<entry>`: text, or null to remove it) into whole values of their map
 * settings, on top of `current` (the map's value now: stored, else the environment's). Plain
 * names pass through. The result is checked like any change, with the setting's own schema.
 */
export function foldMapEntries(set: Record<string, string | null>, current: (setting: string) => string | undefined): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const maps = new Map<string, Record<string, string>>();
  for (const [name, value] of Object.entries(set)) {
    const e = mapEntryName(name);
    if (!e) {
      out[name] = value;
      continue;
    }
    let map = maps.get(e.setting);
    if (!map) {
      const base = e.setting in out ? out[e.setting] : current(e.setting);
      map = parseMap(e.setting, base ?? '');
      maps.set(e.setting, map);
    }
    if (value === null) delete map[e.entry];
    else map[e.entry] = value;
  }
  for (const [setting, map] of maps) out[setting] = JSON.stringify(map);
  return out;
}

function parseMap(setting: string, text: string): Record<string, string> {
  if (text.trim() === '') return {};
  const v = JSON.parse(text) as unknown;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${setting} is not a JSON object now; set it whole`);
  return { ...(v as Record<string, string>) };
}

/** The entries of a map setting's value; a value that is not a JSON object has none. */
export function mapEntries(text: string | undefined): Record<string, string> {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, string>) : {};
  } catch {
    return {};
  }
}

/**
 * A change of a map setting as people read it, one line per entry added, changed or removed
 * (`FAXGATE_COVER_TEMPLATES.urgent: changed, 812 → 904 bytes`), not two JSON blobs of HTML.
 */
export function mapChangeLines(setting: string, oldText: string | undefined, newText: string | undefined): string[] {
  const a = mapEntries(oldText);
  const b = mapEntries(newText);
  const size = (s: string) => `${Buffer.byteLength(s)} bytes`;
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => {
    if (a[k] === b[k]) return [];
    if (a[k] === undefined) return [`${setting}.${k}: added, ${size(b[k])}`];
    if (b[k] === undefined) return [`${setting}.${k}: removed`];
    return [`${setting}.${k}: changed, ${size(a[k])} → ${size(b[k])}`];
  });
}
