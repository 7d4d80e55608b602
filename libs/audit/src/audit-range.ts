/**
 * The date range of an export, from the `from`/`to` the CLI and API take: an ISO date
 * (2026-12-01, the whole day in UTC) or an ISO time. `to` is exclusive for a time and inclusive
 * for a date (to=2026-12-31 includes that day). Missing `from` is the start of the trail,
 * missing `to` is now.
 */
export function auditRange(from: string | undefined, to: string | undefined, now = Date.now()): { fromMs: number; toMs: number } {
  const fromMs = from ? parseBound(from, 'from', false) : 0;
  const toMs = to ? parseBound(to, 'to', true) : now + 1;
  if (toMs <= fromMs) throw new Error(`the range is empty: "to" (${to}) is not after "from" (${from})`);
  return { fromMs, toMs };
}

function parseBound(s: string, name: string, end: boolean): number {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00Z`);
    if (Number.isNaN(t)) throw new Error(`"${name}" is not a date: ${s}`);
    return end ? t + 86_400_000 : t;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) throw new Error(`"${name}" must be a date (2026-12-01) or an ISO time (2026-12-01T08:00:00Z), not "${s}"`);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new Error(`"${name}" is not a time: ${s}`);
  return t;
}
