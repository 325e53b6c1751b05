import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_GOVERNANCE_SETTINGS, type AuthResult, type GovernanceContext } from '../governance/governance-service.js';
import { GovernanceMcpIdentityResolver } from './governance-mcp-identity.js';
import type { McpIdentity } from './mcp-identity.js';
import { hasUpstreamAccess, isToolAllowed } from './mcp-tool-access.js';

const everything = { id: 'everything', tools: '*' as const };
const filesystem = { id: 'filesystem', tools: '*' as const };

/** A resolver over a governance service that always answers `result`. */
function resolverAnswering(result: AuthResult, enforceAuthOnInference = false): GovernanceMcpIdentityResolver {
  return new GovernanceMcpIdentityResolver({ settings: { ...DEFAULT_GOVERNANCE_SETTINGS, enforceAuthOnInference }, authenticate: () => Promise.resolve(result) });
}

/** A valid authentication of a key with the given `mcpTools`. */
function validKey(mcpTools: string[] | undefined): AuthResult {
  const virtualKey = { id: 'vk-1', ...(mcpTools === undefined ? {} : { mcpTools }) } as unknown as GovernanceContext['virtualKey'];
  return { status: 'valid', context: { virtualKey, budgets: [], rateLimits: [], credentialSource: 'authorization' } };
}

describe('GovernanceMcpIdentityResolver', () => {
  it('maps valid keys to pattern identities, invalid keys and (enforced) missing keys to 401, missing keys to sessions', async () => {
    assert.deepEqual(await resolverAnswering(validKey(['everything__*'])).resolve({}), { kind: 'virtual-key', id: 'vk-1', toolPatterns: ['everything__*'] });
    assert.deepEqual(await resolverAnswering(validKey(undefined)).resolve({}), { kind: 'virtual-key', id: 'vk-1' });
    assert.deepEqual(await resolverAnswering({ status: 'invalid', reason: 'revoked', message: 'was revoked' }).resolve({}), { kind: 'refused', status: 401, message: 'was revoked' });
    const none: AuthResult = { status: 'none', providerCredential: false };
    assert.deepEqual(await resolverAnswering(none).resolve({ 'x-heimdall-mcp-session-id': 'laptop' }), { kind: 'session', id: 'laptop' });
    assert.equal((await resolverAnswering(none, true).resolve({})).kind, 'refused');
  });

  it('matches patterns against <upstream>__<tool>: globs, null = every tool, [] = none', () => {
    const echoOnly: McpIdentity = { kind: 'virtual-key', id: 'a', toolPatterns: ['everything__echo'] };
    assert.equal(isToolAllowed(echoOnly, everything, 'echo'), true);
    assert.equal(isToolAllowed(echoOnly, everything, 'get-sum'), false);
    assert.equal(hasUpstreamAccess(echoOnly, 'everything'), true);
    assert.equal(hasUpstreamAccess(echoOnly, 'filesystem'), false);
    const glob: McpIdentity = { kind: 'virtual-key', id: 'b', toolPatterns: ['file*__read_*'] };
    assert.equal(isToolAllowed(glob, filesystem, 'read_file'), true);
    assert.equal(isToolAllowed(glob, filesystem, 'write_file'), false);
    assert.equal(hasUpstreamAccess(glob, 'filesystem'), true);
    const nothing: McpIdentity = { kind: 'virtual-key', id: 'c', toolPatterns: [] };
    assert.equal(isToolAllowed(nothing, everything, 'echo'), false);
    assert.equal(hasUpstreamAccess(nothing, 'everything'), false);
    const everyTool: McpIdentity = { kind: 'virtual-key', id: 'd' };
    assert.equal(isToolAllowed(everyTool, filesystem, 'write_file'), true);
  });
});
