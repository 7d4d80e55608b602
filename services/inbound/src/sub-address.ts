/**
 * The mailbox a T.30 sub-address (SUB frame, T.30 §5.3.6.2.11) names. Senders dial it FaxPress
 * style, `408-852-8103#1234##`: the fax number, `#`, the mailbox, `##`; some machines pass the
 * whole dial string on in SUB, others only the mailbox digits. Both give "1234" here.
 */
export function mailboxFromSubAddress(sub: string | undefined): string | undefined {
  if (!sub) return undefined;
  const s = sub.replace(/[\s-]/g, '');
  const hash = s.indexOf('#');
  const box = hash >= 0 ? s.slice(hash + 1).replace(/#+$/, '').split('#')[0] : s;
  return /^[0-9*]{1,20}$/.test(box) ? box : undefined;
}
