import { z } from 'zod';

const email = z.string().trim().regex(/^[^\s@<>,;]+@[^\s@<>,;]+\.[^\s@<>,;]+$|^[^\s@<>,;]+@localhost$/, 'not an e-mail address');
/** Phone numbers as written by people: digits with optional +, spaces, dashes, dots, parentheses. */
const phone = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).replace(/[\s().-]/g, ''))
  .pipe(z.string().regex(/^\+?[0-9]{3,20}$/, 'not a phone number (digits, optionally with a leading +)'));
/** T.30 §5.3.6.2.11: SUB carries up to 20 digits (with # and * on some machines). */
const mailbox = z
  .union([z.string(), z.number()])
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(/^[0-9*]{1,20}$/, 'a mailbox is 1 to 20 digits (quote it to keep leading zeros)'));

export const userSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'user ids are letters, digits, . _ and -'),
    name: z.string().max(200).optional(),
    emails: z.array(email).min(1, 'a user needs at least one e-mail address'),
    format: z.enum(['pdf', 'tiff', 'both']).default('pdf'),
    dids: z.array(phone).default([]),
    mailbox: mailbox.optional(),
    /** The user's telephone, shown on the cover of the faxes they send. */
    phone: phone.optional(),
    /** The user's own fax number for replies on their covers; default their first DID. */
    fax: phone.optional(),
  })
  .strict();

export const matchSchema = z
  .object({
    /** Regular expression on the remote station id (TSI), case-insensitive. */
    csid: z.string().min(1).optional(),
    /** Calling number pattern: `*` for any digits, or /regex/. */
    calling: z.string().min(1).optional(),
    pool: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'not a pool name').optional(),
    /** Line id `pool/node/n`; `*` matches any part. */
    line: z.string().min(1).optional(),
  })
  .strict()
  .refine((m) => Object.keys(m).length > 0, 'a route needs at least one of csid, calling, pool, line');

export const routeSchema = z.object({ match: matchSchema, user: z.string().min(1) }).strict();

export const directorySchema = z
  .object({
    unaddressed: z.union([email.transform((e) => [e]), z.array(email).min(1)]),
    users: z.array(userSchema).default([]),
    routes: z.array(routeSchema).default([]),
  })
  .strict();

export type DirectoryUser = z.output<typeof userSchema>;
export type RouteRule = z.output<typeof routeSchema>;
export type Directory = z.output<typeof directorySchema>;
/** A user as the API and CLI accept it (format and dids may be left out). */
export type DirectoryUserInput = z.input<typeof userSchema>;
export type RouteRuleInput = z.input<typeof routeSchema>;
