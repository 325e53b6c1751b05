/**
 * The MCP gateway end to end with real MCP servers from npm behind it: `server-everything` over
 * stdio, Streamable HTTP and SSE, and `server-filesystem` over stdio. An MCP client (the SDK's)
 * talks to the gateway's `/mcp`: aggregated tools listed and called, filtered per virtual key;
 * upstreams killed and restarted are marked disconnected and then reconnected; the admin API
 * changes upstreams at run time. Health checks run on short intervals here; nothing asserts
 * timings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import type { RunningGateway } from '../src/start-gateway.js';
import {
  connectMcpClient,
  everythingStdioConfig,
  filesystemStdioConfig,
  startEverythingHttp,
  waitFor,
  type HttpMcpServerProcess,
} from '../src/testing/mcp-test-servers.js';
import { startTestGateway } from '../src/testing/test-gateway.js';

const FAST_HEALTH = { interval_ms: 100, timeout_ms: 500, failure_threshold: 5, reconnect_initial_ms: 100, reconnect_max_ms: 400 };

function textOf(result: CallToolResult | Record<string, unknown>): string {
  const content = (result as CallToolResult).content ?? [];
  return content.map((block) => (block.type === 'text' ? block.text : `[${block.type}]`)).join('\n');
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name).sort();
}

async function allConnected(gateway: RunningGateway): Promise<void> {
  await waitFor(() => gateway.mcp.manager.list().every((upstream) => upstream.state === 'connected'), 60_000, 'every upstream to connect');
}

test('real MCP servers behind /mcp: tools listed, called over stdio, Streamable HTTP and SSE, filtered per virtual key', { timeout: 120_000 }, async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-mcp-fs-'));
  writeFileSync(join(directory, 'note.txt'), 'hello from the filesystem server');
  const http = await startEverythingHttp('streamableHttp');
  const sse = await startEverythingHttp('sse');
  const config: HeimdallConfig = {
    providers: {},
    mcp: {
      enforce_auth_on_inference: true,
      servers: {
        everything: everythingStdioConfig(),
        'everything-http': { url: http.url },
        'everything-sse': { transport: 'sse', url: sse.url },
        filesystem: filesystemStdioConfig(directory),
      },
      access: {
        'vk-admin': { everything: '*', 'everything-http': '*', 'everything-sse': '*', filesystem: '*' },
        'vk-echo': { everything: ['echo'], filesystem: ['read_text_file'] },
        'vk-files': { filesystem: '*' },
      },
    },
  };
  const gateway = await startTestGateway(config);
  const clients: Client[] = [];
  try {
    await allConnected(gateway);
    t.diagnostic(`upstreams: ${gateway.mcp.manager.statuses().map((status) => `${status.id} ${status.state} ${status.tools} tools`).join(', ')}`);

    const admin = await connectMcpClient(gateway.url, { authorization: 'Bearer vk-admin' });
    clients.push(admin);
    const all = await toolNames(admin);
    for (const name of ['everything__echo', 'everything-http__echo', 'everything-sse__echo', 'filesystem__read_text_file', 'filesystem__write_file']) {
      assert.ok(all.includes(name), `${name} is listed (got ${all.join(', ')})`);
    }
    assert.ok(all.every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name)), 'every name fits Claude Code tool-name rules');
    for (const upstream of ['everything', 'everything-http', 'everything-sse']) {
      const result = await admin.callTool({ name: `${upstream}__echo`, arguments: { message: `via ${upstream}` } });
      assert.equal(textOf(result), `Echo: via ${upstream}`);
    }
    const sum = await admin.callTool({ name: 'everything-http__get-sum', arguments: { a: 2, b: 3 } });
    assert.match(textOf(sum), /5/);
    const file = await admin.callTool({ name: 'filesystem__read_text_file', arguments: { path: join(directory, 'note.txt') } });
    assert.equal(textOf(file), 'hello from the filesystem server');
    const outside = await admin.callTool({ name: 'filesystem__read_text_file', arguments: { path: '/etc/hostname' } });
    assert.equal(outside.isError, true, 'an upstream tool error comes back as a tool error');

    const limited = await connectMcpClient(gateway.url, { 'x-api-key': 'vk-echo' });
    clients.push(limited);
    assert.deepEqual(await toolNames(limited), ['everything__echo', 'filesystem__read_text_file']);
    assert.equal(textOf(await limited.callTool({ name: 'everything__echo', arguments: { message: 'allowed' } })), 'Echo: allowed');
    await assert.rejects(limited.callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 1 } }), /Tool everything__get-sum not found/);
    await assert.rejects(limited.callTool({ name: 'everything-http__echo', arguments: { message: 'x' } }), /not found/);
    assert.ok((await limited.listResources()).resources.length > 0, 'resources of an upstream the key has access to are listed');
    const filesOnly = await connectMcpClient(gateway.url, { 'x-heimdall-vk': 'vk-files' });
    clients.push(filesOnly);
    assert.ok((await toolNames(filesOnly)).every((name) => name.startsWith('filesystem__')));
    assert.deepEqual((await filesOnly.listResources()).resources, [], 'resources of upstreams without access are hidden');
    assert.deepEqual((await filesOnly.listPrompts()).prompts, []);
    const prompts = (await limited.listPrompts()).prompts.map((prompt) => prompt.name);
    assert.ok(prompts.includes('everything__simple-prompt') && !prompts.some((name) => name.startsWith('everything-http__')), `prompts: ${prompts.join(', ')}`);
    const prompt = await limited.getPrompt({ name: 'everything__simple-prompt' });
    assert.ok(prompt.messages.length > 0);

    await assert.rejects(connectMcpClient(gateway.url), /401|virtual key is required/);
    await assert.rejects(connectMcpClient(gateway.url, { authorization: 'Bearer vk-wrong' }), /401|not valid/);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
    await gateway.close();
    await http.kill();
    await sse.kill();
    rmSync(directory, { recursive: true, force: true });
  }
});

test('a killed upstream is marked disconnected (tools gone, list_changed sent) and reconnected when it is back', { timeout: 120_000 }, async () => {
  let http: HttpMcpServerProcess | undefined = await startEverythingHttp('streamableHttp');
  const gateway = await startTestGateway({
    providers: {},
    mcp: { health_check: FAST_HEALTH, servers: { everything: everythingStdioConfig(), remote: { url: http.url } } },
  });
  let client: Client | undefined;
  try {
    await allConnected(gateway);
    client = await connectMcpClient(gateway.url, { 'x-heimdall-mcp-session-id': 'health-test' });
    let listChanged = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      listChanged += 1;
    });
    // Notifications outside a request travel on the standalone GET stream, which the SDK client opens after initialisation.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok((await toolNames(client)).includes('remote__echo'));

    await http.kill();
    await waitFor(() => gateway.mcp.manager.get('remote')?.state === 'disconnected', 30_000, 'the killed HTTP upstream to be marked disconnected');
    const status = gateway.mcp.manager.get('remote')?.status();
    assert.match(status?.last_error ?? '', /5 consecutive health checks failed/);
    assert.ok(!(await toolNames(client)).some((name) => name.startsWith('remote__')), 'a disconnected upstream serves no tools');
    assert.ok((await toolNames(client)).includes('everything__echo'), 'the other upstream keeps serving');
    await waitFor(() => listChanged > 0, 10_000, 'notifications/tools/list_changed');
    const afterDisconnect = listChanged;

    await http.restart();
    await waitFor(() => gateway.mcp.manager.get('remote')?.state === 'connected', 30_000, 'the restarted HTTP upstream to reconnect');
    assert.equal(textOf(await client.callTool({ name: 'remote__echo', arguments: { message: 'back' } })), 'Echo: back');
    await waitFor(() => listChanged > afterDisconnect, 10_000, 'list_changed after the reconnect');

    const stdio = gateway.mcp.manager.get('everything');
    const firstPid = stdio?.pid;
    assert.ok(firstPid !== undefined);
    process.kill(firstPid, 'SIGKILL');
    await waitFor(() => stdio?.state === 'disconnected', 30_000, 'the killed stdio upstream to be marked disconnected');
    await waitFor(() => stdio?.state === 'connected', 30_000, 'the stdio upstream to be restarted and reconnected');
    assert.notEqual(stdio?.pid, firstPid, 'a new server process runs');
    assert.equal(textOf(await client.callTool({ name: 'everything__echo', arguments: { message: 'new process' } })), 'Echo: new process');

    const reconnect = await fetch(`${gateway.url}/api/mcp/client/remote/reconnect`, { method: 'POST' });
    assert.equal(reconnect.status, 200);
    assert.equal(((await reconnect.json()) as { state: string }).state, 'connected');
  } finally {
    await client?.close();
    await gateway.close();
    await http?.kill();
    http = undefined;
  }
});

test('admin API: upstreams added, changed, reconnected and removed at run time, behind the admin token', { timeout: 120_000 }, async () => {
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-mcp-admin-'));
  const gateway = await startTestGateway({ providers: {}, admin: { token: 'admin-secret' }, mcp: { servers: {} } });
  const api = `${gateway.url}/api/mcp`;
  const authorized = { authorization: 'Bearer admin-secret', 'content-type': 'application/json' };
  let client: Client | undefined;
  try {
    assert.equal((await fetch(`${api}/clients`)).status, 401);
    assert.equal((await fetch(`${api}/clients`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const empty = await fetch(`${api}/clients`, { headers: authorized });
    assert.deepEqual(await empty.json(), { clients: [] });

    const created = await fetch(`${api}/clients`, { method: 'POST', headers: authorized, body: JSON.stringify({ name: 'files', ...filesystemStdioConfig(directory) }) });
    const createdBody = (await created.json()) as { id: string; state: string; tools: number };
    assert.equal(created.status, 201, JSON.stringify(createdBody));
    assert.equal(createdBody.state, 'connected');
    assert.ok(createdBody.tools > 5);
    client = await connectMcpClient(gateway.url);
    assert.ok((await toolNames(client)).includes('files__list_directory'));

    const duplicate = await fetch(`${api}/clients`, { method: 'POST', headers: authorized, body: JSON.stringify({ name: 'files', ...filesystemStdioConfig(directory) }) });
    assert.equal(duplicate.status, 409);
    const invalid = await fetch(`${api}/clients`, { method: 'POST', headers: authorized, body: JSON.stringify({ name: 'bad__name', command: 'x' }) });
    assert.equal(invalid.status, 400);
    const unknownField = await fetch(`${api}/clients`, { method: 'POST', headers: authorized, body: JSON.stringify({ name: 'other', command: 'x', colour: 'red' }) });
    assert.equal(unknownField.status, 400);
    assert.match(((await unknownField.json()) as { error: { message: string } }).error.message, /colour: unknown field/);

    const changed = await fetch(`${api}/clients/files`, { method: 'PUT', headers: authorized, body: JSON.stringify({ ...filesystemStdioConfig(directory), tools: ['list_directory'] }) });
    assert.equal(changed.status, 200);
    assert.deepEqual(await toolNames(client), ['files__list_directory'], 'the upstream allowlist applies without a restart');

    const one = await fetch(`${api}/clients/files`, { headers: authorized });
    assert.equal(((await one.json()) as { tools: number }).tools, 14, 'the status counts every tool the server has');
    const reconnected = await fetch(`${api}/client/files/reconnect`, { method: 'POST', headers: authorized });
    assert.equal(reconnected.status, 200);

    const removed = await fetch(`${api}/clients/files`, { method: 'DELETE', headers: authorized });
    assert.equal(removed.status, 200);
    assert.deepEqual(await toolNames(client), []);
    assert.equal((await fetch(`${api}/clients/files`, { headers: authorized })).status, 404);
    assert.equal((await fetch(`${api}/client/files/reconnect`, { method: 'POST', headers: authorized })).status, 404);
  } finally {
    await client?.close();
    await gateway.close();
    rmSync(directory, { recursive: true, force: true });
  }
});
