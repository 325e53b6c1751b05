import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { McpIdentity } from './mcp-identity.js';
import { hasUpstreamAccess, isToolAllowed } from './mcp-tool-access.js';

const everything = { id: 'everything', tools: '*' as const };
const filesystem = { id: 'filesystem', tools: ['read_file', 'list_directory'] };

describe('tool governance', () => {
  it('gives a key the tools its allowlist names, and none of an upstream it has no entry for', () => {
    const key: McpIdentity = { kind: 'virtual-key', id: 'vk_1', toolAllowlist: { everything: ['echo', 'get-sum'] } };
    assert.equal(isToolAllowed(key, everything, 'echo'), true);
    assert.equal(isToolAllowed(key, everything, 'get-env'), false);
    assert.equal(isToolAllowed(key, filesystem, 'read_file'), false);
    assert.equal(hasUpstreamAccess(key, 'everything'), true);
    assert.equal(hasUpstreamAccess(key, 'filesystem'), false);
  });

  it('never exposes a tool the upstream itself does not expose, even to "*"', () => {
    const key: McpIdentity = { kind: 'virtual-key', id: 'vk_2', toolAllowlist: { filesystem: '*' } };
    assert.equal(isToolAllowed(key, filesystem, 'read_file'), true);
    assert.equal(isToolAllowed(key, filesystem, 'write_file'), false);
  });

  it('gives a session without an allowlist every exposed tool', () => {
    const session: McpIdentity = { kind: 'session', id: 's' };
    assert.equal(isToolAllowed(session, everything, 'anything'), true);
    assert.equal(isToolAllowed(session, filesystem, 'write_file'), false);
    assert.equal(hasUpstreamAccess(session, 'whatever'), true);
  });

  it('treats an empty list as no access', () => {
    const key: McpIdentity = { kind: 'virtual-key', id: 'vk_3', toolAllowlist: { everything: [] } };
    assert.equal(isToolAllowed(key, everything, 'echo'), false);
    assert.equal(hasUpstreamAccess(key, 'everything'), false);
  });
});
