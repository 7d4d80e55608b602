import { readFile } from 'node:fs/promises';
import { z } from '@faxgate/config';

const entry = z.object({
  name: z.string().optional(),
  company: z.string().optional(),
  address: z.string().optional(),
  phone: z.string().optional(),
  fax: z.string().optional(),
  /** ISO 3166 country of the sender: picks Letter or A4 when the paper is `auto`. */
  country: z.string().regex(/^[A-Za-z]{2}$/).optional(),
});
export type DirectoryEntry = z.infer<typeof entry>;

const fileSchema = z.object({
  /** Keyed by mail address, or by "@domain" for everyone at a domain. */
  senders: z.record(z.string(), entry).default({}),
  /** Keyed by fax number as dialled (E.164 or local digits). */
  recipients: z.record(z.string(), entry.pick({ name: true, company: true })).default({}),
});
export type SenderDirectory = z.infer<typeof fileSchema>;

/**
 * Reads the sender directory, a JSON file the operator keeps:
 * `{ "senders": { "alice@example.com": { "name", "company", "address", "phone", "fax" },
 *    "@example.com": { "company": "Example Ltd" } }, "recipients": { "+12125550100": { "name", "company" } } }`.
 * Read on every render so edits apply without a restart.
 */
export async function loadDirectory(path: string | undefined): Promise<SenderDirectory> {
  if (!path) return { senders: {}, recipients: {} };
  const text = await readFile(path, 'utf8');
  const r = fileSchema.safeParse(JSON.parse(text));
  if (!r.success) throw new Error(`sender directory ${path}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** What the directory knows about a sender: the address's entry over its domain's. */
export function lookupSender(dir: SenderDirectory, address: string): DirectoryEntry {
  const a = address.toLowerCase();
  const domain = a.slice(a.lastIndexOf('@'));
  const find = (k: string) => Object.entries(dir.senders).find(([key]) => key.toLowerCase() === k)?.[1] ?? {};
  return { ...find(domain), ...find(a) };
}

/** The recipient's entry by number, ignoring spaces, dashes and a leading +. */
export function lookupRecipient(dir: SenderDirectory, number: string): { name?: string; company?: string } {
  const norm = (n: string) => n.replace(/[^0-9]/g, '');
  return Object.entries(dir.recipients).find(([k]) => norm(k) === norm(number))?.[1] ?? {};
}
