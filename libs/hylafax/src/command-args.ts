/**
 * hfaxd's parser takes a string argument either bare (one token) or between double quotes, with
 * no escape for a quote inside. Values that cannot be carried are refused here, before they
 * could be cut short or run into the next command on the server.
 */
export function quoteString(value: string, what: string): string {
  if (/["\r\n\0]/.test(value)) throw new TypeError(`${what} cannot contain a double quote, CR, LF or NUL: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

/** A bare token (a password, a path) when it has no blanks, quoted otherwise. */
export function tokenOrQuoted(value: string, what: string): string {
  if (value.length > 0 && /^[^\s"]+$/.test(value)) return value;
  return quoteString(value, what);
}

/** A non-negative integer argument. */
export function integerArg(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, not ${value}`);
  return String(value);
}

/**
 * JPARM LASTTIME takes DDHHMM, the time the job may stay queued, relative to submission
 * (hfaxd Parser: "[DDHHSS]", sendfax -k).
 */
export function lastTimeArg(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 60) throw new RangeError(`lastTime must be at least 60 seconds, not ${seconds}`);
  const totalMinutes = Math.floor(seconds / 60);
  const days = Math.floor(totalMinutes / 1440);
  if (days > 99) throw new RangeError(`lastTime must be under 100 days, not ${seconds} s`);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  return [days, hours, minutes].map((n) => String(n).padStart(2, '0')).join('');
}

/** JPARM RETRYTIME takes MMSS: the delay before HylaFAX retries after a failed call (seen: 0030 → 30 s). */
export function retryTimeArg(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 99 * 60 + 59) throw new RangeError(`retryTime must be 0..5999 seconds, not ${seconds}`);
  return `${String(Math.floor(seconds / 60)).padStart(2, '0')}${String(seconds % 60).padStart(2, '0')}`;
}
