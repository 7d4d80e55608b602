import { z } from 'zod';

/** A configuration that failed validation; the message names every bad variable. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(scope: string, problems: string[]) {
    super(`invalid configuration for ${scope}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * A config schema: one zod object whose keys are the environment variable names.
 * `.describe()` on each field is the sentence that docs/configuration.md shows.
 */
export type EnvSchema = z.ZodObject<Record<string, z.ZodType>>;

/** Validates `env` against `schema`, failing with every bad variable named at once. */
export function loadConfig<S extends EnvSchema>(scope: string, schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) input[key] = env[key] === '' ? undefined : env[key];
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(scope, result.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}${valueHint(input, i.path)}`));
}

function valueHint(input: Record<string, string | undefined>, path: PropertyKey[]): string {
  const key = String(path[0] ?? '');
  const v = input[key];
  if (v === undefined) return ' (not set)';
  return /PASSWORD|SECRET|TOKEN|SMARTHOST|URL/i.test(key) ? '' : ` (got "${v}")`;
}

/** Gathers the failures of several loadConfig calls into one error, so a start lists them all. */
export function collectConfigs<T>(loaders: Array<() => T>): T[] {
  const out: T[] = [];
  const problems: string[] = [];
  for (const load of loaders) {
    try {
      out.push(load());
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length > 0) throw new ConfigError('faxgate', [...new Set(problems)]);
  return out;
}

export interface EnvDoc { name: string; default: string; description: string; scope: string }

/** The documentation rows of a schema: name, default and description of every variable. */
export function describeSchema(scope: string, schema: EnvSchema): EnvDoc[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    let def = '';
    const parsed = field.safeParse(undefined);
    const raw = (field as { def?: { defaultValue?: unknown; innerType?: { def?: { defaultValue?: unknown } }; in?: { def?: { defaultValue?: unknown } } } }).def;
    const d = raw?.defaultValue ?? raw?.in?.def?.defaultValue ?? raw?.innerType?.def?.defaultValue;
    if (d !== undefined) def = String(d);
    else if (!parsed.success) def = '(required)';
    return { name, default: def, description: field.description ?? '', scope };
  });
}
