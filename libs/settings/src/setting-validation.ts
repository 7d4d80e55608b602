import type { EnvSchema } from '@faxgate/config';
import { isRuntimeSetting } from './runtime-settings.ts';

/**
 * Checks one setting's value with the same zod field that validates it in the environment, so a
 * value the console or CLI accepts is one the roles would have accepted at start. Returns the
 * reason it is refused, or undefined. `schemas` are every role's config schemas.
 */
export function settingProblem(schemas: readonly EnvSchema[], name: string, value: string): string | undefined {
  if (!isRuntimeSetting(name)) {
    const known = schemas.some((s) => name in s.shape);
    return known ? `${name} is a deployment setting: it is read from the environment at start (see docs/configuration.md)` : `${name} is not a faxgate setting`;
  }
  const field = schemas.find((s) => name in s.shape)?.shape[name];
  if (!field) return `${name} is not a faxgate setting`;
  const r = field.safeParse(value === '' ? undefined : value);
  return r.success ? undefined : `${name}: ${r.error.issues.map((i) => i.message).join('; ')} (got "${value}")`;
}

/** Every problem of a set of changes at once (null = back to the environment's value). */
export function changeProblems(schemas: readonly EnvSchema[], set: Record<string, string | null>): string[] {
  return Object.entries(set).flatMap(([name, value]) => {
    const p = value === null ? (isRuntimeSetting(name) ? undefined : settingProblem(schemas, name, '')) : settingProblem(schemas, name, value);
    return p ? [p] : [];
  });
}
