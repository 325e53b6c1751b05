/**
 * `GET /api/mcp/clients/{id}/tools` (the dashboard's MCP page): the tools an upstream serves, with
 * the name callers see and the `<upstream>__<tool>` name that virtual keys' `mcp_tools` patterns
 * match; admin credential required; 404 for an unknown upstream. Against server-everything (stdio).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startGovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { everythingStdioConfig, waitFor } from '../src/testing/mcp-test-servers.js';

const ADMIN_TOKEN = 'mcp-tools-admin-token-0123456789';

test('lists an upstream MCP server\'s tools for the dashboard', { timeout: 120_000 }, async () => {
  const gateway = await startGovernedTestGateway(
    { providers: {}, admin: { token: 'env.TEST_ADMIN_TOKEN' }, mcp: { servers: { everything: everythingStdioConfig() } } },
    { environment: { TEST_ADMIN_TOKEN: ADMIN_TOKEN } },
  );
  try {
    await waitFor(() => gateway.running.gateway.mcp.manager.get('everything')?.state === 'connected', 60_000, 'server-everything to connect');
    const authorization = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const response = await fetch(`${gateway.url}/api/mcp/clients/everything/tools`, { headers: authorization });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { id: string; state: string; tools: Array<{ name: string; exposed_name: string; access_name: string; description?: string }> };
    assert.equal(body.state, 'connected');
    const echo = body.tools.find((tool) => tool.name === 'echo');
    assert.ok(echo !== undefined, `echo among ${body.tools.map((tool) => tool.name).join(', ')}`);
    assert.equal(echo.exposed_name, 'everything__echo');
    assert.equal(echo.access_name, 'everything__echo');
    assert.equal(typeof echo.description, 'string');
    const status = (await (await fetch(`${gateway.url}/api/mcp/clients/everything`, { headers: authorization })).json()) as { tools: number };
    assert.equal(body.tools.length, status.tools);

    assert.equal((await fetch(`${gateway.url}/api/mcp/clients/everything/tools`)).status, 401);
    assert.equal((await fetch(`${gateway.url}/api/mcp/clients/nope/tools`, { headers: authorization })).status, 404);
  } finally {
    await gateway.close();
  }
});
