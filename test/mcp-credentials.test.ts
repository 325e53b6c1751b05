/**
 * Per-user upstream credentials, OAuth discovery answers and DNS-rebinding protection of `/mcp`.
 *
 * - An upstream with `per_user_headers`: a call without the caller's credential is a tool error
 *   naming `PUT /api/mcp/credentials/<upstream>`; after the caller stores it there, the next call
 *   goes through their own connection with their header; another key stays separate.
 * - OAuth discovery (what Claude Code probes on "Re-authenticate"): 404s and a 400
 *   `invalid_client_metadata` from `/register` whose description explains the header; the SDK's
 *   OAuth flow reports it, and the header-authenticated connection keeps working.
 * - A request whose Host or Origin is not a loopback name is refused (403).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { NO_OAUTH_MESSAGE } from '../src/mcp/mcp-oauth-discovery.js';
import { connectMcpClient, startHeaderEchoMcpServer, waitFor } from '../src/testing/mcp-test-servers.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

function textOf(result: Record<string, unknown>): string {
  return ((result as CallToolResult).content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('\n');
}

test('per-user credentials: a call without one says where to store it; once stored, the caller’s own header reaches the upstream', { timeout: 60_000 }, async () => {
  const upstream = await startHeaderEchoMcpServer();
  const gateway = await startTestGateway({
    providers: {},
    mcp: {
      enforce_auth_on_inference: true,
      servers: { personal: { url: upstream.url, per_user_headers: ['X-User-Token'] } },
      access: { 'vk-alice': { personal: '*' }, 'vk-bob': { personal: '*' } },
    },
  });
  try {
    await waitFor(() => gateway.mcp.manager.get('personal')?.state === 'connected', 30_000, 'the upstream to connect');
    const alice = await connectMcpClient(gateway.url, { authorization: 'Bearer vk-alice' });
    const bob = await connectMcpClient(gateway.url, { authorization: 'Bearer vk-bob' });

    const first = await alice.callTool({ name: 'personal__whoami', arguments: {} });
    assert.equal(first.isError, true);
    const instructions = textOf(first);
    const credentialsUrl = `${gateway.url}/api/mcp/credentials/personal`;
    assert.ok(instructions.includes(`PUT ${credentialsUrl}`), instructions);
    assert.match(instructions, /x-user-token/);
    assert.deepEqual(upstream.tokensSeen, [], 'nothing reached the upstream without the credential');

    const refused = await fetch(credentialsUrl, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ headers: { 'x-user-token': 'x' } }) });
    assert.equal(refused.status, 401, 'storing needs the caller’s identity');
    const wrongHeader = await fetch(credentialsUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-heimdall-vk': 'vk-alice' },
      body: JSON.stringify({ headers: { authorization: 'x' } }),
    });
    assert.equal(wrongHeader.status, 400);
    const stored = await fetch(credentialsUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-heimdall-vk': 'vk-alice' },
      body: JSON.stringify({ headers: { 'X-User-Token': 'alice-token' } }),
    });
    assert.equal(stored.status, 200);

    assert.equal(textOf(await alice.callTool({ name: 'personal__whoami', arguments: {} })), 'token=alice-token');
    const bobFirst = await bob.callTool({ name: 'personal__whoami', arguments: {} });
    assert.equal(bobFirst.isError, true, 'another key does not get alice’s credential');
    const listed = await fetch(`${gateway.url}/api/mcp/credentials`, { headers: { authorization: 'Bearer vk-alice' } });
    assert.deepEqual(((await listed.json()) as { upstreams: string[] }).upstreams, ['personal']);

    await fetch(credentialsUrl, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-api-key': 'vk-bob' }, body: JSON.stringify({ headers: { 'x-user-token': 'bob-token' } }) });
    assert.equal(textOf(await bob.callTool({ name: 'personal__whoami', arguments: {} })), 'token=bob-token');
    assert.equal(textOf(await alice.callTool({ name: 'personal__whoami', arguments: {} })), 'token=alice-token');
    assert.deepEqual(upstream.tokensSeen, ['alice-token', 'bob-token', 'alice-token']);

    const deleted = await fetch(credentialsUrl, { method: 'DELETE', headers: { 'x-heimdall-vk': 'vk-alice' } });
    assert.equal(((await deleted.json()) as { deleted: boolean }).deleted, true);
    assert.equal((await alice.callTool({ name: 'personal__whoami', arguments: {} })).isError, true);
    await alice.close();
    await bob.close();
  } finally {
    await gateway.close();
    await upstream.close();
  }
});

/** The smallest OAuth client provider: enough for the SDK's discovery and registration steps. */
function probingProvider(): OAuthClientProvider {
  let information: OAuthClientInformationMixed | undefined;
  return {
    get redirectUrl() {
      return 'http://127.0.0.1:1/callback';
    },
    get clientMetadata(): OAuthClientMetadata {
      return { client_name: 'probe', redirect_uris: ['http://127.0.0.1:1/callback'] };
    },
    clientInformation: () => information,
    saveClientInformation: (next) => {
      information = next;
    },
    tokens: (): OAuthTokens | undefined => undefined,
    saveTokens: () => undefined,
    redirectToAuthorization: () => undefined,
    saveCodeVerifier: () => undefined,
    codeVerifier: () => 'verifier',
  };
}

test('OAuth discovery answers explain the virtual-key header and leave the connection working; foreign Host/Origin refused', { timeout: 60_000 }, async () => {
  const gateway = await startTestGateway({ providers: {}, mcp: { enforce_auth_on_inference: true, access: { 'vk-1': {} } } });
  try {
    const client = await connectMcpClient(gateway.url, { authorization: 'Bearer vk-1' });
    for (const path of ['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const response = await fetch(`${gateway.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { error_description: string }).error_description, NO_OAUTH_MESSAGE);
    }
    const registration = await fetch(`${gateway.url}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(registration.status, 400);
    assert.deepEqual(await registration.json(), { error: 'invalid_client_metadata', error_description: NO_OAUTH_MESSAGE });

    await assert.rejects(auth(probingProvider(), { serverUrl: `${gateway.url}/mcp` }), (error: unknown) => error instanceof Error && error.message.includes('Heimdall does not use OAuth'));
    assert.deepEqual((await client.listTools()).tools, [], 'the header-authenticated session still answers');
    await client.close();

    const rebinding = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', origin: 'http://evil.example.com', authorization: 'Bearer vk-1' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    assert.equal(rebinding.status, 403);
  } finally {
    await gateway.close();
  }
});
