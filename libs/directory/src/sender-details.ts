import { readFile } from 'node:fs/promises';
import { parseDirectory } from './directory-parse.ts';
import type { Directory } from './directory-schema.ts';

/** What a cover page shows of a sender the directory knows. */
export interface SenderDetails {
  name?: string;
  phone?: string;
  fax?: string;
}

/**
 * The directory user with this mail address, as the cover of a fax they send shows them: their
 * name, phone and fax number for replies (their `fax`, else the first DID that reaches them).
 */
export function senderDetailsOf(directory: Directory, address: string): SenderDetails | undefined {
  const a = address.trim().toLowerCase();
  const user = directory.users.find((u) => u.emails.some((e) => e.toLowerCase() === a));
  if (!user) return undefined;
  const fax = user.fax ?? user.dids[0];
  return { ...(user.name ? { name: user.name } : {}), ...(user.phone ? { phone: user.phone } : {}), ...(fax ? { fax } : {}) };
}

/**
 * Looks senders up in the directory file, read on each call (a render every few seconds at most;
 * the file is small), so an edit applies to the next fax without a restart. A missing file
 * knows nobody; a file that does not parse is reported through `onError` and knows nobody, so
 * a typo in the directory never stops a fax, only its cover details.
 */
export function directorySenderLookup(path: string, onError: (err: Error) => void): (address: string) => Promise<SenderDetails | undefined> {
  return async (address) => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      onError(err as Error);
      return undefined;
    }
    try {
      return senderDetailsOf(parseDirectory(text, path), address);
    } catch (err) {
      onError(err as Error);
      return undefined;
    }
  };
}
