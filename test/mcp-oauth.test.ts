/**
 * Per-user OAuth towards an upstream MCP server that requires it (`per_user_oauth`), end to end
 * over HTTP against a local authorization server + MCP resource server
 * (`src/testing/mock-oauth-mcp-server.ts`): discovery from the server's 401, dynamic client
 * registration, PKCE, the gateway's callback exchanging the code, each caller's calls carrying
 * their own token, a caller who has not authorised refused with a tool error holding their
 * authorization link, refresh when the token expires, and (with storage) tokens kept encrypted
 * across a restart. The authorize redirect is followed programmatically; the user "signs in" at
 * the mock with `login_as`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startGovernedGateway } from '../src/admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { connectMcpClient, waitFor } from '../src/testing/mcp-test-servers.js';
import { startMockOAuthMcpServer, type MockOAuthMcpServer } from '../src/testing/mock-oauth-mcp-server.js';
import { createScratchPostgresDatabase, skipWithoutPostgres } from '../src/testing/services.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

function textOf(result: Record<string, unknown>): string {
  return ((result as CallToolResult).content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('\n');
}

async function whoami(client: Client): Promise<{ isError: boolean; text: string }> {
  const result = await client.callTool({ name: 'secure__whoami', arguments: {} });
  return { isError: result.isError === true, text: textOf(result) };
}

/** Plays the user's browser: opens the authorization URL signed in as `user`, follows the redirect to the gateway's callback. */
async function authorizeInBrowser(authorizationUrl: string, user: string, gatewayUrl: string): Promise<Response> {
  const url = new URL(authorizationUrl);
  url.searchParams.set('login_as', user);
  const atServer = await fetch(url, { redirect: 'manual' });
  assert.equal(atServer.status, 302, await atServer.clone().text());
  const callback = atServer.headers.get('location') ?? '';
  assert.ok(callback.startsWith(`${gatewayUrl}/api/mcp/oauth/callback?`), callback);
  return fetch(callback);
}

function linkIn(text: string): string {
  const match = /(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/.exec(text);
  assert.ok(match, `an authorization link in: ${text}`);
  return match[1];
}

test('per-user OAuth: each caller authorises once, calls carry their own token, others are refused until they authorise; tokens refresh', { timeout: 90_000 }, async () => {
  const mock = await startMockOAuthMcpServer();
  const gateway = await startTestGateway({
    providers: {},
    mcp: {
      enforce_auth_on_inference: true,
      servers: { secure: { url: mock.mcpUrl, per_user_oauth: {} } },
      access: { 'vk-alice': { secure: '*' }, 'vk-bob': { secure: '*' } },
      health_check: { reconnect_initial_ms: 50, reconnect_max_ms: 200 },
    },
  });
  try {
    const upstream = gateway.mcp.manager.get('secure');
    await waitFor(() => upstream?.status().last_error !== undefined, 10_000, 'the first connection attempt');
    assert.notEqual(upstream?.state, 'connected');
    assert.match(upstream?.status().last_error ?? '', /waiting for a first user to authorise/);
    const alice = await connectMcpClient(gateway.url, { authorization: 'Bearer vk-alice' });
    const bob = await connectMcpClient(gateway.url, { authorization: 'Bearer vk-bob' });
    assert.deepEqual((await alice.listTools()).tools.map((tool) => tool.name), ['secure__authorize'], 'until someone signs in, only the authorize tool is listed');
    const viaTool = await alice.callTool({ name: 'secure__authorize', arguments: {} });
    assert.notEqual(viaTool.isError, true);
    assert.ok(linkIn(textOf(viaTool)).startsWith(`${mock.issuerUrl}/authorize?`));

    const authorizePath = `${gateway.url}/api/mcp/oauth/secure/authorize`;
    assert.equal((await fetch(authorizePath, { method: 'POST' })).status, 401, 'starting an authorization needs the caller’s identity');
    const started = await fetch(authorizePath, { method: 'POST', headers: { 'x-heimdall-vk': 'vk-alice' } });
    assert.equal(started.status, 200, await started.clone().text());
    const { authorization_url: aliceLink } = (await started.json()) as { authorization_url: string };
    assert.ok(aliceLink.startsWith(`${mock.issuerUrl}/authorize?`), aliceLink);
    assert.match(aliceLink, /code_challenge_method=S256/);
    assert.equal(mock.registrations.length, 1, 'Heimdall registered itself dynamically');

    const page = await authorizeInBrowser(aliceLink, 'alice', gateway.url);
    assert.equal(page.status, 200, await page.clone().text());
    assert.match(await page.text(), /Heimdall is authorised/);
    const replay = await fetch(`${gateway.url}/api/mcp/oauth/callback?code=x&state=${encodeURIComponent(new URL(aliceLink).searchParams.get('state') ?? '')}`);
    assert.equal(replay.status, 400, 'a state is used once');
    await replay.text();

    await waitFor(() => upstream?.state === 'connected', 10_000, 'the upstream to connect with the first authorised token');
    assert.deepEqual((await alice.listTools()).tools.map((tool) => tool.name), ['secure__whoami']);

    assert.deepEqual(await whoami(alice), { isError: false, text: 'user=alice' });
    const aliceToken = mock.calls.at(-1)?.token;
    const callsBefore = mock.calls.length;
    const bobRefused = await whoami(bob);
    assert.equal(bobRefused.isError, true);
    assert.match(bobRefused.text, /needs you to sign in with your own account \(OAuth\)/);
    assert.equal(mock.calls.length, callsBefore, 'bob’s call did not reach the server');

    const bobPage = await authorizeInBrowser(linkIn(bobRefused.text), 'bob', gateway.url);
    assert.equal(bobPage.status, 200, await bobPage.clone().text());
    assert.deepEqual(await whoami(bob), { isError: false, text: 'user=bob' });
    assert.notEqual(mock.calls.at(-1)?.token, aliceToken, 'bob’s call carried his own token');
    assert.deepEqual(await whoami(alice), { isError: false, text: 'user=alice' });
    assert.equal(mock.calls.at(-1)?.token, aliceToken);
    assert.equal(mock.registrations.length, 1, 'the registration is reused');

    const listed = await fetch(`${gateway.url}/api/mcp/oauth`, { headers: { 'x-heimdall-vk': 'vk-alice' } });
    assert.deepEqual(((await listed.json()) as { upstreams: unknown }).upstreams, [{ id: 'secure', authorized: true }]);

    mock.expireAccessTokens();
    const refreshesBefore = mock.refreshes;
    assert.deepEqual(await whoami(alice), { isError: false, text: 'user=alice' }, 'an expired token is refreshed');
    assert.ok(mock.refreshes > refreshesBefore);
    assert.notEqual(mock.calls.at(-1)?.token, aliceToken);

    const forgotten = await fetch(`${gateway.url}/api/mcp/oauth/secure`, { method: 'DELETE', headers: { 'x-heimdall-vk': 'vk-bob' } });
    assert.deepEqual(await forgotten.json(), { upstream: 'secure', deleted: true });
    assert.equal((await whoami(bob)).isError, true, 'after forgetting, bob must authorise again');

    const denied = await fetch(`${gateway.url}/api/mcp/oauth/callback?error=access_denied&error_description=user%20said%20no`);
    assert.equal(denied.status, 400);
    assert.match(await denied.text(), /access_denied: user said no/);
    await alice.close();
    await bob.close();
  } finally {
    await gateway.close();
    await mock.close();
  }
});

for (const backend of ['sqlite', 'postgres'] as const) test(`per-user OAuth with storage (${backend}): tokens are stored encrypted and still work after a restart`, { skip: backend === 'postgres' ? await skipWithoutPostgres() : false, timeout: 90_000 }, async () => {
  const mock: MockOAuthMcpServer = await startMockOAuthMcpServer();
  const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-mcp-oauth-'));
  const scratch = backend === 'postgres' ? await createScratchPostgresDatabase() : undefined;
  const config: HeimdallConfig = {
    providers: {},
    admin: { token: 'mcp-oauth-admin-token-0123456789' },
    mcp: { servers: { secure: { url: mock.mcpUrl, per_user_oauth: {} } }, health_check: { reconnect_initial_ms: 50, reconnect_max_ms: 200 } },
  };
  const start = () =>
    startGovernedGateway({ config, appDirectory, environment: {}, port: 0, host: '127.0.0.1', log: () => undefined, ...(scratch === undefined ? {} : { databaseUrl: scratch.url }) });
  const session = { 'x-heimdall-mcp-session-id': 'oauth-session-1' };
  try {
    const first = await start();
    try {
      const started = await fetch(`${first.gateway.url}/api/mcp/oauth/secure/authorize`, { method: 'POST', headers: session });
      const { authorization_url: link } = (await started.json()) as { authorization_url: string };
      assert.equal((await authorizeInBrowser(link, 'carol', first.gateway.url)).status, 200);
      const rows = await first.governance.store.database.selectFrom('mcp_credentials').selectAll().execute();
      assert.deepEqual(rows.map((row) => [row.identity, row.kind]).sort(), [['', 'oauth-client'], ['session:oauth-session-1', 'oauth-tokens']]);
      for (const row of rows) assert.match(row.encrypted_value, /^v1:/, 'stored encrypted');
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      await waitFor(() => second.gateway.mcp.manager.get('secure')?.state === 'connected', 10_000, 'the upstream to connect with the stored token');
      const client = await connectMcpClient(second.gateway.url, session);
      assert.deepEqual(await whoami(client), { isError: false, text: 'user=carol' });
      assert.equal(mock.registrations.length, 1, 'the stored registration is reused after the restart');
      await client.close();
    } finally {
      await second.close();
    }
  } finally {
    await mock.close();
    await scratch?.drop();
    rmSync(appDirectory, { recursive: true, force: true });
  }
});
