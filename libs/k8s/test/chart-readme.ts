import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART } from './chart-render.ts';

const BEGIN = '<!-- BEGIN GENERATED: parameters from values.yaml -->';
const END = '<!-- END GENERATED -->';

/**
 * The parameter tables of the chart's README, one per `## @section`, from the `## @param`
 * comments of values.yaml (the Bitnami readme-generator convention) with each default.
 */
export function parameterTables(): string {
  const text = readFileSync(join(CHART, 'values.yaml'), 'utf8');
  const values = parse(text) as Record<string, unknown>;
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const section = /^## @section (.+)$/.exec(line);
    if (section) out.push('', `### ${section[1]}`, '', '| Name | Description | Default |', '| --- | --- | --- |');
    const param = /^## @param (\S+) (.+)$/.exec(line);
    if (param) {
      const v = param[1].split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], values);
      const def = v === undefined ? '' : JSON.stringify(v).replace(/\|/g, '\\|');
      out.push(`| \`${param[1]}\` | ${param[2].replace(/\|/g, '\\|')} | \`${def.length > 80 ? `${def.slice(0, 77)}...` : def}\` |`);
    }
  }
  return out.join('\n').trim();
}

/** README.md with its generated part replaced by the current tables. */
export function renderReadme(current: string): string {
  const a = current.indexOf(BEGIN);
  const b = current.indexOf(END);
  if (a < 0 || b < a) throw new Error(`charts/faxgate/README.md lacks the ${BEGIN} ... ${END} markers`);
  return `${current.slice(0, a + BEGIN.length)}\n${parameterTables()}\n${current.slice(b)}`;
}

if (process.argv[2] === '--write') {
  const p = join(CHART, 'README.md');
  writeFileSync(p, renderReadme(readFileSync(p, 'utf8')));
  process.stdout.write(`wrote ${p}\n`);
}
