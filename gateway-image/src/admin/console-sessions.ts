/**
 * Reviewer console sessions. The browser holds only an opaque random id in an HttpOnly cookie; the
 * principal it maps to stays on the gateway and was verified from the issuer's access token at
 * sign-in. State-changing requests must also carry the session's CSRF token in a header, which a
 * page on another origin can neither read nor set.
 *
 * Sessions live in this process's memory: the admin listener runs in the primary process only,
 * and a restart simply asks reviewers to sign in again.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Authenticator } from '../identity/authenticator';
import type { Principal } from '../identity/principal';
import { HttpProblem } from './problem';
import type { RouteContext } from './router';

export const SESSION_COOKIE = 'warden_console';
export const CSRF_HEADER = 'x-warden-csrf';

export interface ConsoleSession {
  readonly id: string;
  readonly principal: Principal;
  readonly csrf: string;
  readonly expiresAt: number;
}

export interface ConsoleSessionsOptions {
  /** Longest a console session lasts, whatever the token's lifetime. @default 28800000 (8 h) */
  readonly maxAgeMs?: number;
  /** Adds `Secure` to cookies; set whenever the admin listener serves TLS. @default false */
  readonly secureCookies?: boolean;
  readonly now?: () => number;
}

export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  readonly secureCookies: boolean;

  constructor(o: ConsoleSessionsOptions = {}) {
    this.maxAgeMs = o.maxAgeMs ?? 8 * 3600_000;
    this.secureCookies = o.secureCookies ?? false;
    this.now = o.now ?? Date.now;
  }

  /** A new session for a freshly verified principal; it ends no later than the principal's token. */
  create(principal: Principal): ConsoleSession {
    this.prune();
    const session: ConsoleSession = {
      id: randomBytes(32).toString('base64url'),
      principal,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: Math.min(principal.expiresAt.getTime(), this.now() + this.maxAgeMs),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session named by the request's cookie, if any. */
  fromRequest(req: IncomingMessage): ConsoleSession | undefined {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  /** `Set-Cookie` for a session; SameSite=Strict keeps it off every cross-site request. */
  cookie(session: ConsoleSession): string {
    const maxAge = Math.max(0, Math.floor((session.expiresAt - this.now()) / 1000));
    return this.cookieLine(SESSION_COOKIE, session.id, maxAge, 'Strict', '/');
  }

  clearCookie(name = SESSION_COOKIE, path = '/'): string {
    return this.cookieLine(name, '', 0, 'Strict', path);
  }

  cookieLine(name: string, value: string, maxAgeSec: number, sameSite: 'Strict' | 'Lax', path: string) {
    const secure = this.secureCookies ? '; Secure' : '';
    return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSec}; HttpOnly; SameSite=${sameSite}${secure}`;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}

/**
 * Who is calling an admin route: a bearer token (CLI, automation) when one is sent, otherwise the
 * console session cookie. A cookie alone never authorizes a state change: anything but GET/HEAD
 * must echo the session's CSRF token.
 */
export function resolveCaller(
  authenticator: Authenticator,
  sessions: ConsoleSessions | undefined,
): (ctx: RouteContext) => Promise<Principal> {
  return async (ctx) => {
    if (ctx.req.headers.authorization !== undefined || !sessions) {
      return authenticator.authenticate(ctx.bearer());
    }
    const session = sessions.fromRequest(ctx.req);
    if (!session) return authenticator.authenticate(ctx.bearer());
    const method = (ctx.req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && !sameToken(ctx.req.headers[CSRF_HEADER], session.csrf)) {
      throw new HttpProblem(403, 'ERR_CSRF', `the ${CSRF_HEADER} header is missing or wrong`);
    }
    return session.principal;
  };
}

function sameToken(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
