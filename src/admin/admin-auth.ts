import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { resolveSecret } from '../config/load-config.js';
import type { AdminConfig } from './admin-config-schema.js';
import type { AdminUserStore } from './admin-user-store.js';

/**
 * Who may use the admin API (`/api/…`, the MCP gateway's `/api/mcp/…` included). One module, one
 * rule set:
 *
 * 1. `Authorization: Bearer <admin token>` (config `admin.token`, or env `HEIMDALL_ADMIN_TOKEN`),
 *    compared in constant time — scripts and the `heimdall` CLI;
 * 2. the `heimdall_session` cookie of a username/password login (`POST /api/auth/login`) — the
 *    dashboard. HttpOnly, SameSite=Strict; an unsafe method (POST, PATCH, PUT, DELETE) with the
 *    cookie is refused when its `Origin` is not the gateway's own (defence in depth beside
 *    SameSite);
 * 3. with **no admin credential configured at all** (no token and no admin user in the database),
 *    requests from the loopback interface (127.0.0.1, ::1). A fresh install is manageable from the
 *    machine it runs on and from nowhere else; the start banner says so. Behind a reverse proxy on
 *    the same host every request looks local: configure a token or a user there.
 *
 * Anything else gets no principal: the caller answers 401.
 *
 * Other parts of the gateway (the MCP admin API) call {@link authenticateAdmin} with the request:
 * the HTTP server binds each request to the gateway's {@link AdminAuthenticator} first
 * ({@link bindAdminAuthenticator}).
 */

/** Who an admin request was authenticated as. */
export type AdminPrincipal =
  /** The configured admin token. */
  | { kind: 'token' }
  /** A dashboard login. */
  | { kind: 'session'; userId: string; username: string; expiresAt: number }
  /** No admin credential is configured and the request came from loopback. */
  | { kind: 'loopback' };

/** The outcome of {@link AdminAuthenticator.check}. */
export type AdminAuthOutcome =
  | { kind: 'admitted'; principal: AdminPrincipal }
  | { kind: 'refused'; status: 401 | 403; code: string; message: string };

/** Environment variable holding the admin token when the config has none. */
export const ADMIN_TOKEN_VARIABLE = 'HEIMDALL_ADMIN_TOKEN';
/** Environment variable holding the first admin user's password when the config has none. */
export const ADMIN_PASSWORD_VARIABLE = 'HEIMDALL_ADMIN_PASSWORD';
/** Environment variable naming the first admin user when the config does not. */
export const ADMIN_USERNAME_VARIABLE = 'HEIMDALL_ADMIN_USERNAME';
/** User name of the first admin when neither the config nor the environment names one. */
export const DEFAULT_ADMIN_USERNAME = 'admin';
/** The session cookie's name. */
export const SESSION_COOKIE_NAME = 'heimdall_session';
/** How long a login lasts when `admin.session_ttl_hours` is not set. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3_600_000;
/** How long "is there any admin user?" is reused before the database is asked again. */
const USERS_PRESENCE_TTL_MS = 5_000;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The admin token: `admin.token` (may be `env.NAME`), else env `HEIMDALL_ADMIN_TOKEN`.
 * @throws ConfigError when `admin.token` names an unset variable
 */
export function resolveAdminToken(admin: AdminConfig | undefined, environment: NodeJS.ProcessEnv): string | undefined {
  if (admin?.token !== undefined) return resolveSecret(admin.token, 'admin.token', environment);
  return environment[ADMIN_TOKEN_VARIABLE] || undefined;
}

/**
 * The first admin user from `admin.username` / `admin.password` (the password may be `env.NAME`),
 * else env `HEIMDALL_ADMIN_USERNAME` / `HEIMDALL_ADMIN_PASSWORD`; user name `admin` by default.
 * @returns undefined when no password is configured
 * @throws ConfigError when `admin.password` names an unset variable
 */
export function resolveInitialAdminUser(admin: AdminConfig | undefined, environment: NodeJS.ProcessEnv): { username: string; password: string } | undefined {
  const password = admin?.password !== undefined ? resolveSecret(admin.password, 'admin.password', environment) : environment[ADMIN_PASSWORD_VARIABLE] || undefined;
  if (password === undefined) return undefined;
  return { username: admin?.username ?? (environment[ADMIN_USERNAME_VARIABLE] || DEFAULT_ADMIN_USERNAME), password };
}

/** Whether a socket address is the loopback interface (IPv4 127/8, IPv6 ::1, IPv4-mapped 127/8). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return plain === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(plain);
}

function constantTimeEquals(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left, 'utf8');
  const rightBytes = Buffer.from(right, 'utf8');
  return leftBytes.length === rightBytes.length && timingSafeEqual(leftBytes, rightBytes);
}

/** The bearer token of a request, if it has one. */
export function bearerTokenOf(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization;
  if (authorization === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match === null ? undefined : match[1];
}

/** A cookie's value from the `Cookie` header. */
export function cookieValue(request: IncomingMessage, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    if (part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Whether an unsafe request's `Origin` (when present) is the host it was sent to. */
function sameOriginOrAbsent(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** What an {@link AdminAuthenticator} checks against. */
export interface AdminAuthenticatorOptions {
  /** The admin token; undefined = none configured. */
  token?: string;
  /** Admin users and sessions; undefined when the gateway runs without its store. */
  users?: AdminUserStore;
  /** How long a login lasts, ms. Default 12 h. */
  sessionTtlMs?: number;
  /** ms since the epoch (tests). */
  clock?: () => number;
}

/** Checks admin credentials; one per gateway. */
export class AdminAuthenticator {
  readonly token: string | undefined;
  readonly users: AdminUserStore | undefined;
  readonly sessionTtlMs: number;
  readonly #clock: () => number;
  #usersPresence: { value: boolean; checkedAt: number } | undefined;

  constructor(options: AdminAuthenticatorOptions = {}) {
    this.token = options.token;
    this.users = options.users;
    this.sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Whether any admin credential exists (a token, or at least one admin user). Without one the
   * admin API answers loopback only. The user check is cached for 5 s.
   */
  async credentialConfigured(): Promise<boolean> {
    if (this.token !== undefined) return true;
    if (this.users === undefined) return false;
    const now = this.#clock();
    if (this.#usersPresence === undefined || now - this.#usersPresence.checkedAt > USERS_PRESENCE_TTL_MS) {
      this.#usersPresence = { value: await this.users.hasUsers(), checkedAt: now };
    }
    return this.#usersPresence.value;
  }

  /** Forget the cached "any admin user?" answer (after a user was created or deleted here). */
  usersChanged(): void {
    this.#usersPresence = undefined;
  }

  /**
   * The principal of a request (see the module comment for the rules).
   * @returns undefined when the request carries no valid admin credential
   */
  async authenticate(request: IncomingMessage): Promise<AdminPrincipal | undefined> {
    const outcome = await this.check(request);
    return outcome.kind === 'admitted' ? outcome.principal : undefined;
  }

  /** Like {@link authenticate}, saying why a request is refused (401 or 403, and what to do). */
  async check(request: IncomingMessage): Promise<AdminAuthOutcome> {
    const bearer = bearerTokenOf(request);
    if (bearer !== undefined && this.token !== undefined && constantTimeEquals(bearer, this.token)) return { kind: 'admitted', principal: { kind: 'token' } };
    const sessionToken = cookieValue(request, SESSION_COOKIE_NAME);
    let crossOrigin = false;
    if (sessionToken !== undefined && this.users !== undefined) {
      const session = await this.users.findSession(sessionToken);
      if (session !== undefined) {
        if (!UNSAFE_METHODS.has(request.method ?? 'GET') || sameOriginOrAbsent(request)) {
          return { kind: 'admitted', principal: { kind: 'session', userId: session.user.id, username: session.user.username, expiresAt: session.expiresAt } };
        }
        crossOrigin = true;
      }
    }
    const configured = await this.credentialConfigured();
    if (!configured) {
      if (isLoopbackAddress(request.socket.remoteAddress)) return { kind: 'admitted', principal: { kind: 'loopback' } };
      return {
        kind: 'refused',
        status: 403,
        code: 'loopback_only',
        message: `no admin credential is configured, so the admin API answers only requests from this machine (loopback); set admin.token or ${ADMIN_TOKEN_VARIABLE}, or create an admin user`,
      };
    }
    if (crossOrigin) return { kind: 'refused', status: 403, code: 'cross_origin', message: 'a cross-origin request with the session cookie is refused' };
    if (bearer !== undefined) return { kind: 'refused', status: 401, code: 'invalid_admin_token', message: 'wrong admin token' };
    if (sessionToken !== undefined) return { kind: 'refused', status: 401, code: 'session_expired', message: 'the session has expired or ended; log in again (POST /api/auth/login)' };
    return {
      kind: 'refused',
      status: 401,
      code: 'unauthorized',
      message: `the admin API needs "Authorization: Bearer <admin token>" (admin.token or ${ADMIN_TOKEN_VARIABLE}) or a login session (POST /api/auth/login)`,
    };
  }
}

const authenticatorOfRequest = new WeakMap<IncomingMessage, AdminAuthenticator>();

/** Remembers which authenticator serves a request (done by the HTTP server for every request). */
export function bindAdminAuthenticator(request: IncomingMessage, authenticator: AdminAuthenticator): void {
  authenticatorOfRequest.set(request, authenticator);
}

/**
 * The admin principal of a request, for any admin surface (the MCP gateway's `/api/mcp/…`
 * included): the admin token, a dashboard session, or loopback when no admin credential is
 * configured. A request the server did not bind to an authenticator is treated as a gateway with
 * no admin credential (loopback only).
 * @returns undefined when the request may not use the admin API (answer 401)
 */
export async function authenticateAdmin(request: IncomingMessage): Promise<AdminPrincipal | undefined> {
  const authenticator = authenticatorOfRequest.get(request);
  if (authenticator !== undefined) return authenticator.authenticate(request);
  return isLoopbackAddress(request.socket.remoteAddress) ? { kind: 'loopback' } : undefined;
}
