import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '../../..');

/**
 * The files `docker build` would send as context, by the rules of .dockerignore: patterns are
 * relative to the context root, `*` stays within a path segment, `**` spans segments, and a
 * pattern that matches a directory excludes everything under it. (The patterns used here have
 * no `!` exceptions; one would be refused rather than misread.)
 */
export function dockerContext(root = REPO): string[] {
  const patterns = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!'))) throw new Error('.dockerignore exceptions (!) are not supported by this check');
  const res = patterns.map((p) => {
    const parts = p.replace(/^\/+|\/+$/g, '').split('/');
    // A leading `**/` also matches at the root (zero directories).
    const lead = parts[0] === '**' && parts.length > 1 ? (parts.shift(), '(?:.*/)?') : '';
    return new RegExp(`^${lead}${parts.map(segment).join('/')}$`);
  });
  const ignored = (rel: string) => res.some((r) => r.test(rel));
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs);
      if (ignored(rel)) continue;
      if (e.isDirectory()) walk(abs);
      else out.push(rel);
    }
  };
  walk(root);
  return out.sort();
}

function segment(s: string): string {
  if (s === '**') return '(?:.+)';
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
}
