import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { SESSION_COOKIE_NAME, cookieValue, type AdminPrincipal } from '../admin-auth.js';
import { AdminApiError } from '../admin-api-errors.js';
import { AdminUserCreateSchema, AdminUserSchema, AdminUserUpdateSchema, listOf, LoginResultSchema, LoginSchema, SessionSchema } from '../admin-api-schemas.js';
import { findAdminUser } from '../admin-references.js';
import { defineRoute, type AdminRoute } from '../admin-router.js';
import type { AdminUserRecord } from '../admin-user-store.js';

/**
 * Dashboard logins and admin users.
 *
 * `POST /api/auth/login` checks a user name and password (scrypt) and sets the session cookie:
 * `heimdall_session=<random 32 bytes>; Path=/api; HttpOnly; SameSite=Strict; Max-Age=<ttl>` (plus
 * `Secure` when the request came over TLS or through a proxy saying `x-forwarded-proto: https`).
 * Only the token's SHA-256 is stored. Failed logins are throttled per user name and per client
 * address (429 with `retry-after`).
 */

function iso(timeMs: number | undefined): string | null {
  return timeMs === undefined ? null : new Date(timeMs).toISOString();
}

function publicAdminUser(user: AdminUserRecord) {
  return { id: user.id, username: user.username, created_at: iso(user.createdAt), updated_at: iso(user.updatedAt), last_login_at: iso(user.lastLoginAt) };
}

function isSecureRequest(request: IncomingMessage): boolean {
  if ((request.socket as TLSSocket).encrypted === true) return true;
  const forwarded = request.headers['x-forwarded-proto'];
  return (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim() === 'https';
}

function sessionCookie(request: IncomingMessage, value: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE_NAME}=${value}; Path=/api; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${isSecureRequest(request) ? '; Secure' : ''}`;
}

function publicPrincipal(principal: AdminPrincipal) {
  return {
    kind: principal.kind,
    user_id: principal.kind === 'session' ? principal.userId : null,
    username: principal.kind === 'session' ? principal.username : null,
  };
}

export const authRoutes: AdminRoute[] = [
  defineRoute({
    method: 'POST',
    path: '/api/auth/login',
    operationId: 'login',
    summary: 'Log in with a user name and password (sets the session cookie)',
    tag: 'auth',
    public: true,
    body: LoginSchema,
    success: { status: 200, description: 'Logged in; `Set-Cookie: heimdall_session=…; HttpOnly; SameSite=Strict`.', schema: LoginResultSchema },
    errors: [429],
    handler: async ({ request, body, services }) => {
      const throttleKeys = [`user:${body.username}`, `address:${request.socket.remoteAddress ?? 'unknown'}`];
      const waitMs = services.throttle.retryAfterMs(throttleKeys);
      if (waitMs > 0) {
        const seconds = Math.max(1, Math.ceil(waitMs / 1000));
        throw new AdminApiError(429, 'rate_limit_error', `too many failed logins; try again in ${seconds} s`, { code: 'login_throttled', headers: { 'retry-after': String(seconds) } });
      }
      const user = await services.users.verifyLogin(body.username, body.password);
      if (user === undefined) {
        services.throttle.recordFailure(throttleKeys);
        throw new AdminApiError(401, 'authentication_error', 'wrong user name or password', { code: 'invalid_credentials' });
      }
      services.throttle.clear(throttleKeys[0]);
      const session = await services.users.openSession(user, services.authenticator.sessionTtlMs);
      return {
        status: 200,
        headers: { 'set-cookie': sessionCookie(request, session.token, Math.floor(services.authenticator.sessionTtlMs / 1000)) },
        body: { user: publicAdminUser(session.user), expires_at: new Date(session.expiresAt).toISOString() },
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/auth/logout',
    operationId: 'logout',
    summary: 'Log out (ends the session and clears the cookie)',
    tag: 'auth',
    public: true,
    success: { status: 204, description: 'Logged out (also when there was no session).' },
    handler: async ({ request, services }) => {
      const token = cookieValue(request, SESSION_COOKIE_NAME);
      if (token !== undefined) await services.users.closeSession(token);
      return { status: 204, headers: { 'set-cookie': sessionCookie(request, '', 0) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/auth/session',
    operationId: 'getSession',
    summary: 'Who the request is authenticated as',
    description: 'Never 401: `authenticated: false` when the request carries no valid admin credential.',
    tag: 'auth',
    public: true,
    success: { status: 200, description: 'The principal, if any.', schema: SessionSchema },
    handler: async ({ request, services }) => {
      const principal = await services.authenticator.authenticate(request);
      return {
        status: 200,
        body: {
          authenticated: principal !== undefined,
          principal: principal === undefined ? null : publicPrincipal(principal),
          expires_at: principal?.kind === 'session' ? new Date(principal.expiresAt).toISOString() : null,
        },
      };
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/api/admin-users',
    operationId: 'listAdminUsers',
    summary: 'List admin users',
    tag: 'admin-users',
    success: { status: 200, description: 'Admin users, by user name.', schema: listOf(AdminUserSchema) },
    handler: async ({ services }) => ({ status: 200, body: { data: (await services.users.listUsers()).map(publicAdminUser) } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/admin-users',
    operationId: 'createAdminUser',
    summary: 'Create an admin user (dashboard login)',
    description: 'Once a user (or an admin token) exists, loopback requests without a credential are no longer admitted.',
    tag: 'admin-users',
    body: AdminUserCreateSchema,
    success: { status: 201, description: 'The user.', schema: AdminUserSchema },
    errors: [409],
    handler: async ({ body, services }) => {
      const user = await services.users.createUser({ username: body.username, password: body.password });
      services.authenticator.usersChanged();
      return { status: 201, body: publicAdminUser(user) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/admin-users/{id}',
    operationId: 'getAdminUser',
    summary: 'Get an admin user',
    tag: 'admin-users',
    success: { status: 200, description: 'The user.', schema: AdminUserSchema },
    errors: [404],
    handler: async ({ params, services }) => ({ status: 200, body: publicAdminUser(await findAdminUser(services.users, params.id)) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/admin-users/{id}',
    operationId: 'updateAdminUser',
    summary: "Set an admin user's password (ends the user's sessions)",
    tag: 'admin-users',
    body: AdminUserUpdateSchema,
    success: { status: 200, description: 'The user.', schema: AdminUserSchema },
    errors: [404],
    handler: async ({ params, body, services }) => {
      const user = await findAdminUser(services.users, params.id);
      return { status: 200, body: publicAdminUser(await services.users.setPassword(user.id, body.password)) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/admin-users/{id}',
    operationId: 'deleteAdminUser',
    summary: 'Delete an admin user and end its sessions',
    tag: 'admin-users',
    success: { status: 204, description: 'Deleted.' },
    errors: [404],
    handler: async ({ params, services }) => {
      const user = await findAdminUser(services.users, params.id);
      await services.users.deleteUser(user.id);
      services.authenticator.usersChanged();
      return { status: 204 };
    },
  }),
];
