import type { IncomingMessage } from 'node:http';

/** Form posts are a few ids and a token; anything bigger is not one of ours. */
const MAX_BODY_BYTES = 1_000_000;

export class BodyTooLargeError extends Error {}

/**
 * The fields of an `application/x-www-form-urlencoded` body. A repeated field (checkboxes)
 * keeps every value. A body a framework already parsed (Express's urlencoded()) is used as is.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parsed = (req as { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    const form = new URLSearchParams();
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      for (const v of Array.isArray(value) ? value : [value]) form.append(key, String(v));
    }
    return form;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLargeError('form body too large');
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
