import type { ModemIdentity } from './capabilities.ts';

// A modem's identity as its probe found it (ATI, ATI3, T.31 §8 +FMI/+FMM/+FMR), to notice when a
// device path reopened after a call or a failure now leads to another modem: a USB modem swapped
// on the same /dev/ttyACM0, or a dead iaxmodem's pty link pointing at a pty another program got
// (docs/modems.md). Two modems of one make and firmware answer alike, so this finds a different
// kind of modem, never a second unit of the same kind.

const FIELDS = [
  ['ATI', (i: ModemIdentity) => i.ati.join(' ')],
  ['ATI3', (i: ModemIdentity) => i.ati3.join(' ')],
  ['+FMI', (i: ModemIdentity) => i.manufacturer ?? ''],
  ['+FMM', (i: ModemIdentity) => i.model ?? ''],
  ['+FMR', (i: ModemIdentity) => i.revision ?? ''],
] as const;

/** The identity in one line for logs and the console, the unanswered queries left out. */
export function identitySummary(id: ModemIdentity): string {
  return FIELDS.map(([name, get]) => [name, get(id)] as const)
    .filter(([, v]) => v.length > 0)
    .map(([name, v]) => `${name} "${v}"`)
    .join(', ');
}

/**
 * What differs between the identity a device answered with before and now, field by field
 * (`+FMM "A" → "B"`), or undefined when every query answered the same.
 */
export function identityChange(before: ModemIdentity, now: ModemIdentity): string | undefined {
  const changes = FIELDS.filter(([, get]) => get(before) !== get(now)).map(([name, get]) => `${name} "${get(before)}" → "${get(now)}"`);
  return changes.length > 0 ? changes.join(', ') : undefined;
}
