import { rm } from 'node:fs/promises';
import type { BlobWriter } from '@faxgate/store';
import type { QueueSet } from '@faxgate/queue';
import { FaxgateError } from '@faxgate/errors';

export interface PostmasterInput {
  postmasterId: string;
  /** The writer of blobKeys.postmasterMail(postmasterId), holding every byte. */
  message: BlobWriter;
}

/**
 * Makes a mail to postmaster durable (the stored message, then the job that forwards it to the
 * admin); only then may the SMTP server answer 250. On failure the file is removed and the
 * client gets a 451.
 */
export async function takeInPostmasterMail(input: PostmasterInput, deps: { queues: QueueSet }): Promise<string> {
  try {
    await input.message.commit();
  } catch (err) {
    await input.message.abort();
    throw new FaxgateError('STORE_FAILED', (err as Error).message);
  }
  try {
    await deps.queues.add('postmaster-mail', { postmasterId: input.postmasterId });
  } catch (err) {
    await rm(input.message.path, { force: true }).catch(() => {});
    throw new FaxgateError('QUEUE_UNAVAILABLE', (err as Error).message);
  }
  return input.postmasterId;
}
