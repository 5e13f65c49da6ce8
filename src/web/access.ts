import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A user name and password checked with HTTP basic authentication. */
export interface Credentials {
  username: string;
  password: string;
}

/** Decides whether a request may see the dashboard; your own session check, an SSO header… */
export type Authorize = (req: IncomingMessage) => boolean | Promise<boolean>;

/** Parses `user:password` (the CLI's --auth and PGQ_WEB_AUTH); the password may hold colons. */
export function parseCredentials(text: string): Credentials | null {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) return null;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Compares in constant time, so a wrong guess does not tell how much of it was right. */
function sameSecret(a: string, b: string): boolean {
  const x = createHmac('sha256', 'pgq-compare').update(a).digest();
  const y = createHmac('sha256', 'pgq-compare').update(b).digest();
  return timingSafeEqual(x, y);
}

export function basicAuthOk(req: IncomingMessage, credentials: Credentials): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!match) return false;
  const given = parseCredentials(Buffer.from(match[1]!, 'base64').toString('utf8'));
  if (!given) return false;
  // Both compared always: no early exit that tells a right user name from a wrong one.
  const user = sameSecret(given.username, credentials.username);
  const password = sameSecret(given.password, credentials.password);
  return user && password;
}

const SESSION_COOKIE = 'pgq_session';

/**
 * CSRF tokens bound to a browser session: the session is a random cookie (HttpOnly,
 * SameSite=Strict), the token its HMAC under a secret only this server knows. A forged
 * form on another site can neither read the token nor compute it; a cookie planted by a
 * sibling subdomain does not help without the secret.
 */
export class CsrfTokens {
  private readonly secret: Buffer;

  constructor(secret?: string) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32);
  }

  /** The request's session id, or a new one with the Set-Cookie header that stores it. */
  session(req: IncomingMessage, cookiePath: string): { id: string; setCookie?: string } {
    const existing = cookieValue(req, SESSION_COOKIE);
    if (existing && /^[A-Za-z0-9_-]{20,64}$/.test(existing)) return { id: existing };
    const id = randomBytes(18).toString('base64url');
    // Secure when the browser reached us over TLS (directly or through a proxy that says so).
    const tls = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true || req.headers['x-forwarded-proto'] === 'https';
    return { id, setCookie: `${SESSION_COOKIE}=${id}; Path=${cookiePath}; HttpOnly; SameSite=Strict${tls ? '; Secure' : ''}` };
  }

  token(sessionId: string): string {
    return createHmac('sha256', this.secret).update(sessionId).digest('base64url');
  }

  verify(req: IncomingMessage, token: string | undefined): boolean {
    const session = cookieValue(req, SESSION_COOKIE);
    if (!session || !token) return false;
    return sameSecret(this.token(session), token);
  }
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * True when a state-changing request comes from a page of this same origin. Browsers send
 * Origin on every POST (and Sec-Fetch-Site); a request with neither (curl, old clients)
 * is judged by its CSRF token alone.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (origin === 'null') return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin';
  return true;
}
