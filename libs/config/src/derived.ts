/**
 * A value built from configuration values, rebuilt when any of them changes. Runtime settings
 * (issue 20) are written into a role's live config while it runs, each changed value as a new
 * value (a new array, a new number), so comparing the inputs by identity is enough to know when
 * a rule set, a sender policy or a retry policy derived from them is out of date.
 */
export function derived<T>(inputs: () => readonly unknown[], build: () => T): () => T {
  let last: readonly unknown[] | undefined;
  let value!: T;
  return () => {
    const now = inputs();
    if (!last || now.length !== last.length || now.some((v, i) => v !== last![i])) {
      value = build();
      last = now;
    }
    return value;
  };
}

/** The values of `names` in `config`, for `derived`'s inputs. */
export function pick(config: Record<string, unknown>, names: readonly string[]): unknown[] {
  return names.map((n) => config[n]);
}
