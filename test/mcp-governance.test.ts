/**
 * `/mcp` on a gateway with storage and governance: callers are identified by the store's virtual
 * keys, and each key's `mcp_tools` patterns (over `<upstream>__<tool>`) decide which tools it sees
 * and may call. Keys are issued and revoked through the admin API; a revoked key is refused (401);
 * forwarded tool calls show up in `/metrics` (`heimdall_mcp_tool_calls_total`).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { connectMcpClient, everythingStdioConfig, waitFor } from '../src/testing/mcp-test-servers.js';

const ADMIN_TOKEN = 'test-admin-token-mcp-governance-0123456789';

/** Calls the admin API with the admin token. */
async function adminCall(gateway: GovernedTestGateway, method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown; text: string }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, data: text === '' ? undefined : (JSON.parse(text) as unknown), text };
}

/** Issues a virtual key with the given `mcp_tools` and returns its secret. */
async function issueKey(gateway: GovernedTestGateway, name: string, mcpTools: string[]): Promise<string> {
  const reply = await adminCall(gateway, 'POST', '/api/virtual-keys', { name, mcp_tools: mcpTools });
  assert.equal(reply.status, 201, reply.text);
  return (reply.data as { secret: string }).secret;
}

/** The value of `heimdall_mcp_tool_calls_total{server,outcome}` in `/metrics`, 0 when absent. */
async function toolCallCount(gateway: GovernedTestGateway, server: string, outcome: string): Promise<number> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  assert.equal(response.status, 200);
  const text = await response.text();
  const line = text.split('\n').find((candidate) => candidate.startsWith('heimdall_mcp_tool_calls_total{') && candidate.includes(`server="${server}"`) && candidate.includes(`outcome="${outcome}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Sorted names of the tools a client sees. */
async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

test('/mcp with governance: virtual keys from the store, mcp_tools patterns, revocation, tool-call metric', { timeout: 120_000 }, async () => {
  const gateway = await startGovernedTestGateway(
    { providers: {}, admin: { token: 'env.TEST_ADMIN_TOKEN' }, mcp: { servers: { everything: everythingStdioConfig() } } },
    { environment: { TEST_ADMIN_TOKEN: ADMIN_TOKEN } },
  );
  const clients: Client[] = [];
  try {
    const mcp = gateway.running.gateway.mcp;
    await waitFor(() => mcp.manager.list().every((upstream) => upstream.state === 'connected'), 60_000, 'the everything upstream to connect');

    const echoSecret = await issueKey(gateway, 'echo-only', ['everything__echo']);
    const noneSecret = await issueKey(gateway, 'no-tools', []);

    const echoClient = await connectMcpClient(gateway.url, { authorization: `Bearer ${echoSecret}` });
    clients.push(echoClient);
    assert.deepEqual(await toolNames(echoClient), ['everything__echo']);

    const noneClient = await connectMcpClient(gateway.url, { authorization: `Bearer ${noneSecret}` });
    clients.push(noneClient);
    assert.deepEqual(await toolNames(noneClient), []);
    await assert.rejects(noneClient.callTool({ name: 'everything__echo', arguments: { message: 'no' } }), /not found/);

    const before = await toolCallCount(gateway, 'everything', 'ok');
    const result = (await echoClient.callTool({ name: 'everything__echo', arguments: { message: 'governed' } })) as CallToolResult;
    assert.deepEqual(result.content, [{ type: 'text', text: 'Echo: governed' }]);
    assert.equal(await toolCallCount(gateway, 'everything', 'ok'), before + 1);

    const revoked = await adminCall(gateway, 'POST', '/api/virtual-keys/echo-only/revoke');
    assert.equal(revoked.status, 200, revoked.text);
    const refused = await fetch(`${gateway.url}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${echoSecret}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    assert.equal(refused.status, 401);
    assert.match(await refused.text(), /revoked/);
  } finally {
    for (const client of clients) await client.close().catch(() => undefined);
    await gateway.close();
  }
});
