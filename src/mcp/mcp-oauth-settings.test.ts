import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../config/load-config.js';
import { InMemoryMcpOAuthEntries, McpOAuthStore, upstreamOfState } from './mcp-oauth-store.js';
import { buildMcpSettings, buildMcpUpstreamSettings } from './mcp-settings.js';

describe('per_user_oauth settings', () => {
  it('resolves the client secret and keeps scope and client id; {} means discovery and registration', () => {
    const settings = buildMcpUpstreamSettings('secure', { url: 'http://127.0.0.1:1/mcp', per_user_oauth: { client_id: 'heimdall', client_secret: 'env.SECRET', scope: 'tools' } }, { SECRET: 's3cret' });
    assert.deepEqual(settings.perUserOAuth, { clientId: 'heimdall', clientSecret: 's3cret', scope: 'tools' });
    assert.deepEqual(buildMcpUpstreamSettings('open', { url: 'http://127.0.0.1:1/mcp', per_user_oauth: {} }, {}).perUserOAuth, {});
    assert.equal(buildMcpUpstreamSettings('plain', { url: 'http://127.0.0.1:1/mcp' }, {}).perUserOAuth, undefined);
  });

  it('refuses stdio, a mix with oauth or per_user_headers, and a secret without a client id', () => {
    assert.throws(() => buildMcpUpstreamSettings('x', { command: 'node', per_user_oauth: {} }, {}), (error: unknown) => error instanceof ConfigError && /HTTP transport/.test(error.message));
    assert.throws(
      () => buildMcpUpstreamSettings('x', { url: 'http://127.0.0.1:1/mcp', per_user_oauth: {}, per_user_headers: ['x-token'] }, {}),
      (error: unknown) => error instanceof ConfigError && /cannot be combined/.test(error.message),
    );
    assert.throws(
      () => buildMcpUpstreamSettings('x', { url: 'http://127.0.0.1:1/mcp', per_user_oauth: { client_secret: 'literal' } }, {}),
      (error: unknown) => error instanceof ConfigError && /per_user_oauth\.client_secret: needs client_id/.test(error.message),
    );
  });

  it('takes mcp.public_url without a trailing slash', () => {
    assert.equal(buildMcpSettings({ public_url: 'https://heimdall.example.com/' }, undefined, {}).publicUrl, 'https://heimdall.example.com');
  });
});

describe('McpOAuthStore', () => {
  it('hands out an authorization in progress once, and not after it expired', async () => {
    const store = new McpOAuthStore(new InMemoryMcpOAuthEntries());
    const pending = { upstreamId: 'secure', identityKey: 'virtual-key:a', codeVerifier: 'v', redirectUrl: 'http://g/api/mcp/oauth/callback', expiresAt: 1_000 };
    assert.equal(upstreamOfState('secure.abc'), 'secure');
    assert.equal(upstreamOfState('nodot'), undefined);
    await store.savePending('secure.abc', pending, 0);
    assert.deepEqual(await store.takePending('secure.abc', 999), pending);
    assert.equal(await store.takePending('secure.abc', 999), undefined, 'used once');
    await store.savePending('secure.def', pending, 0);
    assert.equal(await store.takePending('secure.def', 1_000), undefined, 'expired');
    await store.savePending('secure.old', pending, 0);
    await store.savePending('secure.new', { ...pending, expiresAt: 5_000 }, 2_000);
    assert.equal(await store.takePending('secure.old', 0), undefined, 'an expired one is dropped when another starts');
    assert.equal((await store.takePending('secure.new', 2_000))?.expiresAt, 5_000);
    assert.equal(await store.takePending('other.def', 0), undefined, 'a state names its upstream');
  });

  it('names the caller who authorised most recently, and forgets an upstream', async () => {
    const store = new McpOAuthStore(new InMemoryMcpOAuthEntries());
    const grant = (accessToken: string) => ({ tokens: { access_token: accessToken, token_type: 'Bearer' }, redirectUrl: 'http://g/cb', obtainedAt: 0 });
    assert.equal(await store.latestAuthorizedIdentity('secure'), undefined);
    await store.saveGrant('secure', 'virtual-key:a', grant('a'));
    await store.saveGrant('secure', 'virtual-key:b', grant('b'));
    assert.equal(await store.latestAuthorizedIdentity('secure'), 'virtual-key:b');
    await store.saveGrant('secure', 'virtual-key:a', grant('a2'));
    assert.equal(await store.latestAuthorizedIdentity('secure'), 'virtual-key:a');
    await store.deleteUpstream('secure');
    assert.equal(await store.grant('secure', 'virtual-key:a'), undefined);
  });
});
