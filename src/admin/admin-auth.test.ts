import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import {
  AdminAuthenticator,
  authenticateAdmin,
  bindAdminAuthenticator,
  bearerTokenOf,
  cookieValue,
  isLoopbackAddress,
  resolveAdminToken,
  resolveInitialAdminUser,
} from './admin-auth.js';
import type { AdminSession, AdminUserStore } from './admin-user-store.js';

function fakeRequest(options: { headers?: Record<string, string>; method?: string; remoteAddress?: string }): IncomingMessage {
  return { headers: options.headers ?? {}, method: options.method ?? 'GET', socket: { remoteAddress: options.remoteAddress ?? '127.0.0.1' } } as unknown as IncomingMessage;
}

/** An AdminUserStore stand-in: one session token, and whether users exist. */
function fakeUsers(options: { hasUsers: boolean; sessionToken?: string }): AdminUserStore {
  const session: AdminSession = {
    tokenHash: 'h',
    user: { id: 'u1', username: 'alice', createdAt: 0, updatedAt: 0 },
    createdAt: 0,
    expiresAt: 9_999_999_999_999,
  };
  return {
    hasUsers: async () => options.hasUsers,
    findSession: async (token: string) => (token === options.sessionToken ? session : undefined),
  } as unknown as AdminUserStore;
}

describe('admin authentication', () => {
  it('recognises loopback addresses only', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackAddress(address), true, address);
    for (const address of [undefined, '10.0.0.1', '::ffff:10.0.0.1', '128.0.0.1', 'fe80::1', '1127.0.0.1']) assert.equal(isLoopbackAddress(address), false, String(address));
  });

  it('reads bearer tokens and cookies', () => {
    assert.equal(bearerTokenOf(fakeRequest({ headers: { authorization: 'Bearer abc' } })), 'abc');
    assert.equal(bearerTokenOf(fakeRequest({ headers: { authorization: 'bearer   abc ' } })), 'abc');
    assert.equal(bearerTokenOf(fakeRequest({ headers: { authorization: 'Basic abc' } })), undefined);
    const request = fakeRequest({ headers: { cookie: 'a=1; heimdall_session=tok%2Den; b=2' } });
    assert.equal(cookieValue(request, 'heimdall_session'), 'tok-en');
    assert.equal(cookieValue(request, 'missing'), undefined);
  });

  it('resolves the token and the first admin user from the config, then the environment', () => {
    assert.equal(resolveAdminToken({ token: 'env.T' }, { T: 'from-config-var', HEIMDALL_ADMIN_TOKEN: 'ignored' }), 'from-config-var');
    assert.equal(resolveAdminToken(undefined, { HEIMDALL_ADMIN_TOKEN: 'from-env' }), 'from-env');
    assert.equal(resolveAdminToken(undefined, {}), undefined);
    assert.deepEqual(resolveInitialAdminUser({ username: 'root', password: 'env.P' }, { P: 'p'.repeat(12) }), { username: 'root', password: 'p'.repeat(12) });
    assert.deepEqual(resolveInitialAdminUser(undefined, { HEIMDALL_ADMIN_PASSWORD: 'x'.repeat(12) }), { username: 'admin', password: 'x'.repeat(12) });
    assert.equal(resolveInitialAdminUser({ username: 'root' }, {}), undefined);
  });

  it('admits the token, refuses a wrong one (401); with no credential at all admits loopback only (else 403)', async () => {
    const withToken = new AdminAuthenticator({ token: 'secret-token' });
    assert.deepEqual(await withToken.authenticate(fakeRequest({ headers: { authorization: 'Bearer secret-token' }, remoteAddress: '10.1.1.1' })), { kind: 'token' });
    const wrong = await withToken.check(fakeRequest({ headers: { authorization: 'Bearer nope' } }));
    assert.equal(wrong.kind === 'refused' && wrong.status, 401);
    assert.equal((await withToken.check(fakeRequest({}))).kind, 'refused', 'a token exists, so loopback alone is not enough');

    const open = new AdminAuthenticator({ users: fakeUsers({ hasUsers: false }) });
    assert.deepEqual(await open.authenticate(fakeRequest({ remoteAddress: '::1' })), { kind: 'loopback' });
    const remote = await open.check(fakeRequest({ remoteAddress: '192.168.1.5' }));
    assert.equal(remote.kind === 'refused' && remote.status, 403);
    assert.equal(remote.kind === 'refused' && remote.code, 'loopback_only');
  });

  it('admits a session cookie; refuses it cross-origin on unsafe methods (403)', async () => {
    const authenticator = new AdminAuthenticator({ users: fakeUsers({ hasUsers: true, sessionToken: 'good' }) });
    const cookie = { cookie: 'heimdall_session=good', host: 'gw.example:8080' };
    const admitted = await authenticator.authenticate(fakeRequest({ headers: cookie, remoteAddress: '10.0.0.9' }));
    assert.equal(admitted?.kind, 'session');
    assert.equal((await authenticator.authenticate(fakeRequest({ headers: { ...cookie, origin: 'http://gw.example:8080' }, method: 'POST' })))?.kind, 'session');
    const crossOrigin = await authenticator.check(fakeRequest({ headers: { ...cookie, origin: 'http://evil.example' }, method: 'DELETE' }));
    assert.equal(crossOrigin.kind === 'refused' && crossOrigin.status, 403);
    const expired = await authenticator.check(fakeRequest({ headers: { cookie: 'heimdall_session=old' } }));
    assert.equal(expired.kind === 'refused' && expired.code, 'session_expired');
  });

  it('authenticateAdmin uses the authenticator bound to the request; unbound requests are loopback-only', async () => {
    const request = fakeRequest({ headers: { authorization: 'Bearer t' }, remoteAddress: '10.0.0.1' });
    assert.equal(await authenticateAdmin(request), undefined);
    bindAdminAuthenticator(request, new AdminAuthenticator({ token: 't' }));
    assert.deepEqual(await authenticateAdmin(request), { kind: 'token' });
    assert.deepEqual(await authenticateAdmin(fakeRequest({ remoteAddress: '127.0.0.1' })), { kind: 'loopback' });
  });
});
