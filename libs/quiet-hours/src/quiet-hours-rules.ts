// FAXGATE_QUIET_HOURS: times of day at which a destination is not dialled, in the destination's
// own time zone (issue 14, "time windows"). This module holds the setting's syntax and the clock
// arithmetic; quiet-hours.ts finds a number's country and zones. It imports no phone metadata, so
// the console can check the setting with the dispatch's config schema.

/** One window of the day, local time: [start, end), crossing midnight when end < start. */
export interface QuietWindow {
  startMin: number;
  endMin: number;
  /** The zone named with `@`, instead of the country's. */
  zone?: string;
  /** As written, for reasons shown to senders. */
  text: string;
}

/** `KEY=HH:MM-HH:MM[@Zone]`: KEY is an ISO country code, a `+digits` prefix, or `*`. */
export interface QuietRule {
  key: string;
  window: QuietWindow;
}

const ENTRY = /^(\*|[A-Za-z]{2}|\+[0-9]{1,15})=([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})(?:@([A-Za-z0-9_+/-]{1,64}))?$/;

/**
 * Parses `DE=22:00-07:00,FR=21:00-08:00,+1212=21:00-08:00@America/New_York,*=22:00-07:00`.
 * An empty value turns quiet hours off.
 */
export function parseQuietHours(spec: string): { ok: true; rules: QuietRule[] } | { ok: false; problem: string } {
  const rules: QuietRule[] = [];
  for (const raw of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = ENTRY.exec(raw);
    if (!m) return { ok: false, problem: `"${raw}" is not COUNTRY=HH:MM-HH:MM (or +PREFIX=..., *=..., with an optional @Area/Zone)` };
    const [h1, m1, h2, m2] = [m[2], m[3], m[4], m[5]].map(Number);
    if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 === 24 && m2 > 0)) return { ok: false, problem: `"${raw}": not a time of day` };
    const startMin = h1 * 60 + m1;
    const endMin = (h2 * 60 + m2) % 1440;
    if (startMin === endMin) return { ok: false, problem: `"${raw}": the window starts where it ends` };
    const zone = m[6];
    if (zone && !isTimeZone(zone)) return { ok: false, problem: `"${raw}": ${zone} is not a time zone this system knows (IANA names, e.g. America/New_York)` };
    const key = m[1].startsWith('+') || m[1] === '*' ? m[1] : m[1].toUpperCase();
    if (rules.some((r) => r.key === key)) return { ok: false, problem: `${key} is given twice` };
    rules.push({ key, window: { startMin, endMin, ...(zone ? { zone } : {}), text: `${m[2]}:${m[3]}-${m[4]}:${m[5]}` } });
  }
  return { ok: true, rules };
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** Minutes since local midnight in `zone` at `t` (ms); time zones are offset by whole minutes. */
export function localMinuteOfDay(t: number, zone: string): number {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    formats.set(zone, f);
  }
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(t)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
  }
  return h * 60 + m;
}

/** The zone's offset from UTC at `t`, in minutes (-720..840). */
function offsetMin(t: number, zone: string): number {
  const utc = Math.floor(t / 60_000) % 1440;
  let d = (localMinuteOfDay(t, zone) - utc + 1440) % 1440;
  if (d > 840) d -= 1440;
  return d;
}

export function inWindow(minuteOfDay: number, w: Pick<QuietWindow, 'startMin' | 'endMin'>): boolean {
  return w.startMin < w.endMin ? minuteOfDay >= w.startMin && minuteOfDay < w.endMin : minuteOfDay >= w.startMin || minuteOfDay < w.endMin;
}

/** When the window that holds `t` ends in `zone`: local end time, corrected across a DST change. */
function windowEnd(t: number, zone: string, w: QuietWindow): number {
  const mins = (w.endMin - localMinuteOfDay(t, zone) + 1440) % 1440 || 1440;
  let end = Math.floor(t / 60_000) * 60_000 + mins * 60_000;
  // A clock change between now and then moves the local end by the change (EU: 2026-10-25,
  // 07:00 local comes an hour later in UTC than it would have without it).
  end -= (offsetMin(end, zone) - offsetMin(t, zone)) * 60_000;
  return end > t ? end : t + 60_000;
}

/**
 * The first moment at or after `at` outside the window in every one of `zones`, or undefined
 * when `at` is outside it already. A country of several zones is quiet while any of its zones
 * is (the conservative reading: nobody in it is woken). When its zones together leave no minute
 * free (a window longer than a day less the country's spread), the first zone alone decides.
 */
export function quietUntil(at: number, zones: readonly string[], w: QuietWindow): number | undefined {
  if (zones.length === 0) return undefined;
  let t = at;
  // Jumping to the latest end among the zones that are quiet skips no free moment: that zone is
  // quiet all the way there.
  for (let i = 0; i < 4 * zones.length + 8; i++) {
    const quiet = zones.filter((z) => inWindow(localMinuteOfDay(t, z), w));
    if (quiet.length === 0) return t === at ? undefined : t;
    t = Math.max(...quiet.map((z) => windowEnd(t, z, w)));
  }
  if (!inWindow(localMinuteOfDay(at, zones[0]), w)) return undefined;
  let u = windowEnd(at, zones[0], w);
  for (let i = 0; i < 3 && inWindow(localMinuteOfDay(u, zones[0]), w); i++) u = windowEnd(u, zones[0], w);
  return u;
}
