import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigMcpIdentityResolver, identityKey, presentedVirtualKey, virtualKeyIdForPlaintext } from './mcp-identity.js';

const access = new Map([['vk-alice', { everything: ['echo'] as const }]]);

describe('presentedVirtualKey', () => {
  it('reads x-heimdall-vk, then Authorization: Bearer, then x-api-key', () => {
    assert.equal(presentedVirtualKey({ 'x-heimdall-vk': 'a', authorization: 'Bearer b', 'x-api-key': 'c' }), 'a');
    assert.equal(presentedVirtualKey({ authorization: 'bearer  b ', 'x-api-key': 'c' }), 'b');
    assert.equal(presentedVirtualKey({ authorization: 'Basic xyz', 'x-api-key': 'c' }), 'c');
    assert.equal(presentedVirtualKey({}), undefined);
  });
});

describe('ConfigMcpIdentityResolver', () => {
  it('resolves a configured key to a virtual-key identity with its allowlist and a non-secret id', async () => {
    const resolver = new ConfigMcpIdentityResolver({ access, anonymousAccess: '*', enforceAuth: true });
    const identity = await resolver.resolve({ authorization: 'Bearer vk-alice' });
    assert.deepEqual(identity, { kind: 'virtual-key', id: virtualKeyIdForPlaintext('vk-alice'), toolAllowlist: { everything: ['echo'] } });
    assert.ok(identity.kind === 'virtual-key' && !identity.id.includes('alice'));
    assert.equal(identityKey(identity), `virtual-key:${virtualKeyIdForPlaintext('vk-alice')}`);
  });

  it('refuses requests without a valid key when auth is enforced', async () => {
    const resolver = new ConfigMcpIdentityResolver({ access, anonymousAccess: '*', enforceAuth: true });
    const missing = await resolver.resolve({});
    const wrong = await resolver.resolve({ 'x-api-key': 'vk-mallory' });
    assert.equal(missing.kind, 'refused');
    assert.equal(wrong.kind, 'refused');
    assert.ok(missing.kind === 'refused' && missing.status === 401 && /virtual key is required/.test(missing.message));
  });

  it('identifies callers without a key by their session header when auth is not enforced', async () => {
    const resolver = new ConfigMcpIdentityResolver({ access, anonymousAccess: { everything: '*' }, enforceAuth: false });
    assert.deepEqual(await resolver.resolve({ 'x-heimdall-mcp-session-id': 'laptop-1' }), { kind: 'session', id: 'laptop-1', toolAllowlist: { everything: '*' } });
    assert.deepEqual(await resolver.resolve({ 'mcp-session-id': 'transport-9' }), { kind: 'session', id: 'transport-9', toolAllowlist: { everything: '*' } });
    assert.deepEqual(await resolver.resolve({ 'x-api-key': 'unknown' }), { kind: 'session', id: 'anonymous', toolAllowlist: { everything: '*' } });
    const open = new ConfigMcpIdentityResolver({ access, anonymousAccess: '*', enforceAuth: false });
    assert.deepEqual(await open.resolve({}), { kind: 'session', id: 'anonymous' });
  });
});
