import { createHmac, randomBytes } from 'node:crypto';

/** The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'Faxgate-Signature';

/** A new signing secret, shown once at creation (`whsec_` + 32 random bytes, base64url). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * The signature header for a body, as Stripe and Svix sign: HMAC-SHA256 keyed with the whole
 * secret string (UTF-8), over `<t>.<body>` where t is the Unix time in seconds. Binding the
 * time into the MAC lets receivers refuse replays older than a few minutes.
 */
export function signWebhook(secret: string, body: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
