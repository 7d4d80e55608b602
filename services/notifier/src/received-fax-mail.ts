import type { DeliveryRecord, InboundRecord } from '@faxgate/store';
import type { MailMessage } from '@faxgate/mail';
import { formatDuration } from './result-mail.ts';
import { mailDomain } from './delivered-mails.ts';

export interface ReceivedFaxMailInput {
  fax: InboundRecord;
  delivery: DeliveryRecord;
  from: string;
  pdf?: Uint8Array;
  tiff?: Uint8Array;
  /** Page 1 as PNG, shown inline above the details. */
  preview?: Buffer;
  /** Why this mail went to the unaddressed mailbox instead of its owner. */
  fallbackReason?: string;
}

/**
 * The mail that brings a received fax to its owner: "Fax from <CSID or number>, N pages", the
 * call's details and quality warnings, the fax as PDF and/or TIFF, page 1 as an inline preview.
 */
export function composeReceivedFaxMail(i: ReceivedFaxMailInput): MailMessage {
  const { fax, delivery } = i;
  const who = fax.csid?.trim() || fax.callingNumber || 'unknown sender';
  const pages = `${fax.pages} page${fax.pages === 1 ? '' : 's'}`;
  const subject = `Fax from ${who}, ${pages}${fax.partial ? ' (incomplete)' : ''}`;

  const warnings: string[] = [];
  if (fax.partial) warnings.push(`The call ended before the sender finished: only the ${pages} received are attached${fax.reason ? ` (${fax.reason})` : ''}.`);
  if (fax.badRows > 0) warnings.push(`${fax.badRows} row${fax.badRows === 1 ? ' was' : 's were'} damaged on the line and repeated from the row above; look for streaks.`);
  if (i.fallbackReason) warnings.push(`This fax was meant for ${delivery.fallbackFor !== undefined ? 'another mailbox' : 'a user'} but could not be delivered there: ${i.fallbackReason}`);
  if (fax.route?.rule === 'unaddressed' && !i.fallbackReason) warnings.push(`No directory rule matched this fax (${fax.route.detail}), so it came to the unaddressed mailbox.`);

  const rows: Array<[string, string | number | undefined]> = [
    ['Received', fax.receivedAt ?? fax.createdAt],
    ['Pages', `${fax.pages}${fax.partial ? ' (incomplete)' : ''}`],
    ['From number', fax.callingNumber || 'not given'],
    ['From name', fax.callingName],
    ['CSID', fax.csid || 'not given'],
    ['To (DID)', fax.did],
    ['Sub-address', fax.subAddress],
    ['Duration', formatDuration(fax.durationMs)],
    ['Line', fax.line ? `${fax.line} (pool ${fax.pool})` : `pool ${fax.pool}`],
    ['Routed by', fax.route ? `${fax.route.rule}: ${fax.route.detail}` : undefined],
    ['Fax id', fax.id],
  ];
  const lines: string[] = [`You received a fax from ${who}, ${pages}.`, ''];
  if (warnings.length) {
    lines.push('Warnings:');
    for (const w of warnings) lines.push(`  ! ${w}`);
    lines.push('');
  }
  for (const [k, v] of rows) if (v !== undefined && v !== '') lines.push(`  ${`${k}:`.padEnd(13)} ${v}`);
  const attached = [i.pdf ? 'PDF' : '', i.tiff ? 'TIFF' : ''].filter(Boolean).join(' and ');
  if (attached) lines.push('', `The fax is attached as ${attached}.`);

  const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>You received a fax from <b>${esc(who)}</b>, ${esc(pages)}.</p>`,
    warnings.length ? `<ul style="color:#a40000">${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>` : '',
    `<table>${rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('')}</table>`,
    i.preview ? '<p>Page 1:</p><p><img src="cid:page1@faxgate" alt="page 1 of the fax" style="max-width:100%;border:1px solid #888"></p>' : '',
    '</body></html>',
  ].join('\n');

  const base = `fax-${fax.id}`;
  const attachments: NonNullable<MailMessage['attachments']> = [];
  if (i.preview) attachments.push({ filename: 'page1.png', content: i.preview, contentType: 'image/png', cid: 'page1@faxgate', contentDisposition: 'inline' });
  if (i.pdf) attachments.push({ filename: `${base}.pdf`, content: Buffer.from(i.pdf), contentType: 'application/pdf' });
  if (i.tiff) attachments.push({ filename: `${base}.tif`, content: Buffer.from(i.tiff), contentType: 'image/tiff' });
  return {
    // One per delivery, the same when its job runs again (the record of deliveries knows it by this).
    messageId: `<inbound-${fax.id}-d${delivery.index}@${mailDomain(i.from)}>`,
    from: i.from,
    to: delivery.to,
    subject,
    text: `${lines.join('\n')}\n`,
    html,
    headers: {
      'X-Faxgate-Inbound-Id': fax.id,
      'X-Faxgate-Delivery': String(delivery.index),
      ...(fax.csid ? { 'X-Faxgate-CSID': fax.csid } : {}),
      'X-Faxgate-Calling-Number': fax.callingNumber,
      ...(fax.callingName ? { 'X-Faxgate-Calling-Name': fax.callingName } : {}),
      'X-Faxgate-DID': fax.did,
      'Auto-Submitted': 'auto-generated',
    },
    attachments,
  };
}
