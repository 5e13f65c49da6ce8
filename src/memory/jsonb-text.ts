/**
 * JSON text as PostgreSQL's jsonb gives it back: an object's keys ordered by length, then
 * bytewise, a repeated key keeping its last value. The in-memory backend stores this form, so
 * a handler sees the same object on either backend (`JSON.stringify(payload)` included).
 */
export function jsonbText(text: string): string {
  return JSON.stringify(normalize(JSON.parse(text)));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value).sort(byJsonbOrder);
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = normalize((value as Record<string, unknown>)[key]);
  return out;
}

function byJsonbOrder(a: string, b: string): number {
  const la = Buffer.byteLength(a);
  const lb = Buffer.byteLength(b);
  if (la !== lb) return la - lb;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
