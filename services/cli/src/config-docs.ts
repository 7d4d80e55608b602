import { readFile, writeFile } from 'node:fs/promises';
import { baseSchema, describeSchema, type EnvDoc } from '@faxgate/config';
import { isRuntimeSetting } from '@faxgate/settings';
import { ROLE_NAMES, resolveRoles } from './roles.ts';

const BEGIN = '<!-- BEGIN GENERATED: faxgate config docs -->';
const END = '<!-- END GENERATED -->';

/** The table of every variable (each once, with the roles that read it), from the schemas. */
export async function configTable(): Promise<string> {
  const rows = new Map<string, EnvDoc & { roles: string[] }>();
  const add = (scope: string, docs: EnvDoc[]) => {
    for (const d of docs) {
      const existing = rows.get(d.name);
      if (existing) existing.roles.push(scope);
      else rows.set(d.name, { ...d, roles: [scope] });
    }
  };
  add('all', describeSchema('all', baseSchema));
  const roles = await resolveRoles(ROLE_NAMES);
  ROLE_NAMES.forEach((name, i) => add(name, describeSchema(name, roles[i].schema)));
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const lines = ['| Variable | Default | Roles | Meaning |', '| --- | --- | --- | --- |'];
  // Runtime settings (issue 20) are marked: the running gateway takes up a stored change of them.
  for (const r of rows.values()) lines.push(`| \`${r.name}\` | ${r.default === '' ? '' : `\`${esc(r.default)}\``} | ${r.roles.join(', ')} | ${isRuntimeSetting(r.name) ? '**Runtime.** ' : ''}${esc(r.description)} |`);
  return lines.join('\n');
}

/** Rewrites (or, with check, verifies) the generated table in docs/configuration.md. */
export async function configDocs(path: string, check: boolean): Promise<number> {
  const text = await readFile(path, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${path} has no generated section (${BEGIN} ... ${END})`);
  const next = `${text.slice(0, a + BEGIN.length)}\n${await configTable()}\n${text.slice(b)}`;
  if (check) {
    if (next !== text) {
      process.stderr.write(`${path} is out of date: run \`./faxgate config docs\`\n`);
      return 1;
    }
    return 0;
  }
  await writeFile(path, next);
  return 0;
}
