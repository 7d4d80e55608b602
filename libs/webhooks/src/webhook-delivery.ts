import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature.ts';
import { WebhookTargetError, resolveTarget } from './webhook-target.ts';

/** How long a receiver has to answer one try. */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface DeliveryResult {
  ok: boolean;
  /** Worth another try later: 5xx, 408, 429, a timeout, a refused or reset connection. */
  retry: boolean;
  status?: number;
  error?: string;
  ms: number;
}

export interface DeliveryRequest {
  url: string;
  secret: string;
  body: string;
  event: string;
  eventId: string;
  allowPrivate: boolean;
  timeoutMs?: number;
}

/**
 * One POST of a signed event. Redirects are not followed (a 3xx is a failure naming where it
 * pointed): following one would send the fax event to a host nobody checked. The connection
 * goes to the address resolveTarget checked, with the URL's host name for TLS (SNI) and Host.
 */
export async function deliverWebhook(req: DeliveryRequest): Promise<DeliveryResult> {
  const started = Date.now();
  const ms = () => Date.now() - started;
  let target: Awaited<ReturnType<typeof resolveTarget>>;
  try {
    target = await resolveTarget(req.url, req.allowPrivate);
  } catch (err) {
    // A host that does not resolve may come back; a private address will not.
    const transient = err instanceof WebhookTargetError && /cannot be resolved/.test(err.message);
    return { ok: false, retry: transient, error: (err as Error).message, ms: ms() };
  }
  const { url, address, family } = target;
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(req.body)),
    'user-agent': 'faxgate-webhooks/1',
    'faxgate-event': req.event,
    'faxgate-delivery': req.eventId,
    [SIGNATURE_HEADER.toLowerCase()]: signWebhook(req.secret, req.body),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DeliveryResult>((resolve) => {
    const r = send(
      url,
      {
        method: 'POST',
        headers,
        // Connect to the checked address only (no second DNS answer).
        lookup: (_host, opts, cb) => {
          if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
          else cb(null, address, family);
        },
        timeout: req.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        // Read (and drop) up to 4 KiB of the answer: enough to quote an error, bounded.
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 4096) text += c;
        });
        res.on('end', () => {
          if (status >= 200 && status < 300) return resolve({ ok: true, retry: false, status, ms: ms() });
          if (status >= 300 && status < 400) return resolve({ ok: false, retry: false, status, error: `redirect to ${res.headers.location ?? '(no location)'} not followed: give the final URL`, ms: ms() });
          const retry = status >= 500 || status === 408 || status === 429;
          resolve({ ok: false, retry, status, error: `HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 200)}` : ''}`, ms: ms() });
        });
        res.on('error', (err) => resolve({ ok: false, retry: true, status, error: err.message, ms: ms() }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${(req.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s`)));
    r.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, retry: true, error: err.code ? `${err.code} ${err.message}` : err.message, ms: ms() }));
    r.end(req.body);
  });
}
