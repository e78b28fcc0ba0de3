import { Readable } from 'node:stream';
import type { Payload } from './types';

export class PayloadTooLargeError extends Error {}

/** Reads a whole payload (the JSON formats), refusing one larger than `maxBytes`. */
export async function readAll(payload: Payload, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of payload) {
    size += chunk.length;
    if (size > maxBytes) throw new PayloadTooLargeError(`payload is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A payload from one buffer or string: for tests and small bodies. */
export function payloadOf(...parts: (string | Buffer)[]): Payload {
  return Readable.from(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}
