import type { Readable } from 'node:stream';
import type { BlobWriter } from '@faxgate/store';
import { MAX_HEADER_BYTES } from '@faxgate/intake';

export interface ReceivedMessage {
  /** Bytes the client sent in DATA (after dot-unstuffing), counted also past the limit. */
  bytes: number;
  /** Whether the message passed the size limit (nothing past the limit was kept). */
  exceeded: boolean;
  /** The header section (up to and including the blank line), or undefined when it has no end within MAX_HEADER_BYTES. */
  head: Buffer | undefined;
}

/**
 * Reads a DATA stream into a blob writer as it arrives, so a message is never held whole in
 * memory. Bytes are counted as they stream; once the count passes `maxBytes` the blob is
 * aborted and the rest is read and discarded (RFC 5321 §4.5.3.1.10 leaves the 552 for the end
 * of DATA: a client that is still sending would not read an earlier reply), so memory stays
 * bounded whatever the client sends. The header section is kept apart for parsing.
 * Rejects when the stream fails (the client went away); the blob is aborted then too.
 */
export async function receiveMessage(stream: Readable, writer: BlobWriter, maxBytes: number): Promise<ReceivedMessage> {
  let bytes = 0;
  let exceeded = false;
  const headChunks: Buffer[] = [];
  let headBytes = 0;
  let head: Buffer | undefined;
  let headDone = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (!headDone) {
        headChunks.push(chunk);
        headBytes += chunk.length;
        const sofar = Buffer.concat(headChunks);
        headChunks.length = 0;
        headChunks.push(sofar);
        const end = headerEnd(sofar);
        if (end >= 0) {
          head = sofar.subarray(0, end);
          headDone = true;
        } else if (headBytes > MAX_HEADER_BYTES) {
          headDone = true;
        }
        if (headDone) headChunks.length = 0;
      }
      if (exceeded) continue;
      if (bytes > maxBytes) {
        exceeded = true;
        await writer.abort();
        continue;
      }
      await writer.write(chunk);
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  // A message without a blank line is all header (RFC 5322 §3.5: the body is optional).
  if (!headDone && !exceeded) head = Buffer.concat(headChunks);
  return { bytes, exceeded, head };
}

/** Where the header section ends: after the first empty line (CRLF CRLF, or bare LF LF). */
function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  const candidates = [crlf >= 0 ? crlf + 4 : -1, lf >= 0 ? lf + 2 : -1].filter((x) => x >= 0);
  return candidates.length ? Math.min(...candidates) : -1;
}
