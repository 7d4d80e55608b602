import { runRoles, type RunningGateway } from '@faxgate/runtime';
import type { QuietHoursClock } from '@faxgate/quiet-hours';
import { startTestGateway, textPage, type TestGateway } from '@faxgate/testkit';
import { newFaxId, type Queue } from '@faxgate/queue';
import { writeTiff } from '@faxgate/fax-image';
import { blobKeys, type RecipientRecord } from '@faxgate/store';
import { nodeRole } from '@faxgate/node';
import { notifierRole } from '@faxgate/notifier';
import { dispatchRole } from '../src/index.ts';

/**
 * Dispatch, a node on simulated lines and the notifier (mailing to the testkit's SMTP sink), in
 * this process. Faxes are written as render leaves them (message, one TIFF per recipient,
 * records in state rendered) and handed to dispatch as render does, so each test is about
 * scheduling and not about rendering.
 */
export interface SimBed extends TestGateway<RunningGateway> {
  calls(): Queue;
  fax(o: FaxSpec): Promise<string>;
}

export interface FaxSpec {
  sender?: string;
  numbers: string[];
  /** Header lines of the stored message, e.g. `X-Fax-Priority: urgent`. */
  headers?: string[];
  subject?: string;
  pages?: number;
  /** The document (TIFF Class F) instead of the default text pages; `pages` must match it. */
  document?: Uint8Array;
}

let document: Uint8Array | undefined;
function onePageTiff(pages: number): Uint8Array {
  if (pages === 1 && document) return document;
  const tiff = writeTiff(Array.from({ length: pages }, (_, i) => ({ bitmap: textPage(1728, 400, i + 1), xDpi: 204, yDpi: 98 })), { compression: 'mmr' });
  if (pages === 1) document = tiff;
  return tiff;
}

/** `quietHoursClock`: the clock the roles read quiet hours by, when a test moves it. */
export async function startSimBed(label: string, env: Record<string, string> = {}, opts: { quietHoursClock?: QuietHoursClock } = {}): Promise<SimBed> {
  const h = await startTestGateway((e) => runRoles([dispatchRole, nodeRole, notifierRole], { env: e, ...opts }), { label, env: { FAXGATE_FAX_DOMAINS: 'fax.test', ...env } });
  return Object.assign(h, {
    calls: () => h.gw.ctx.queues.queue('calls', 'sim'),
    async fax(o: FaxSpec): Promise<string> {
      const { records, blobs, queues } = h.gw.ctx;
      const id = newFaxId();
      const sender = o.sender ?? 'alice@example.com';
      const subject = o.subject ?? 'scheduling test';
      const message = [`From: ${sender}`, `To: ${o.numbers.map((n) => `${n.replace(/^\+/, '')}@fax.test`).join(', ')}`, `Subject: ${subject}`, ...(o.headers ?? []), '', 'x', ''].join('\r\n');
      await blobs.put(blobKeys.message(id), message);
      const tiff = o.document ?? onePageTiff(o.pages ?? 1);
      const recipients: RecipientRecord[] = [];
      for (const [index, number] of o.numbers.entries()) {
        const key = blobKeys.recipientDocument(id, index);
        await blobs.put(key, tiff);
        recipients.push({ index, address: `${number.replace(/^\+/, '')}@fax.test`, number, dialString: number.replace(/^\+1/, ''), state: 'waiting', pagesSent: 0, attempts: 0, connectedAttempts: 0, durationMs: 0, documentKey: key, pagesTotal: o.pages ?? 1 });
      }
      await records.create({ id, state: 'rendered', createdAt: new Date().toISOString(), sender, subject, messageKey: blobKeys.message(id), messageBytes: message.length, recipientCount: o.numbers.length, senderTrust: 'client-network', documentPages: o.pages ?? 1 }, recipients);
      await queues.addBulk(o.numbers.map((_, recipient) => ({ name: 'schedule-recipient' as const, data: { faxId: id, recipient } })));
      return id;
    },
  });
}
