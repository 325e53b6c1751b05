/**
 * MCP upstreams added through the admin API and per-user credentials survive a restart of the
 * gateway on the same app directory / database, on SQLite and PostgreSQL: the upstream is
 * connected again on start and its tools are listed and called with its (encrypted) static
 * header; a caller's stored per-user header still works; a deleted upstream stays deleted;
 * upstreams from the config file are read-only through the API. Two replicas on one PostgreSQL
 * database and Redis apply each other's changes without a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startGovernedGateway, type GovernedGateway } from '../src/admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { connectMcpClient, startHeaderEchoMcpServer, waitFor } from '../src/testing/mcp-test-servers.js';
import {
  createScratchPostgresDatabase,
  deleteRedisKeys,
  REDIS_TEST_URL,
  scratchRedisPrefix,
  skipWithoutPostgres,
  skipWithoutRedis,
  type ScratchPostgresDatabase,
} from '../src/testing/services.js';

const ADMIN_TOKEN = 'mcp-persistence-admin-token-0123456789';
const STATIC_SECRET = 'static-secret-7f3a9c';
const SESSION = 'persistence-session-1';

function textOf(result: Record<string, unknown>): string {
  return ((result as CallToolResult).content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('\n');
}

async function admin(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; data: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, data: (await response.json()) as Record<string, unknown> };
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`MCP upstreams added through the admin API across restarts (${backend})`, async () => {
    const skip = backend === 'postgres' ? await skipWithoutPostgres() : false;
    it('are connected again on start with their secrets; deleted ones stay deleted', { skip, timeout: 120_000 }, async () => {
      const upstream = await startHeaderEchoMcpServer();
      const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-mcp-store-'));
      let scratch: ScratchPostgresDatabase | undefined;
      if (backend === 'postgres') scratch = await createScratchPostgresDatabase();
      const config: HeimdallConfig = { providers: {}, admin: { token: ADMIN_TOKEN }, mcp: { servers: { fromconfig: { url: upstream.url, headers: { 'x-user-token': 'config-token' } } } } };
      const start = (): Promise<GovernedGateway> =>
        startGovernedGateway({ config, appDirectory, environment: {}, port: 0, host: '127.0.0.1', log: () => undefined, ...(scratch === undefined ? {} : { databaseUrl: scratch.url }) });
      try {
        const first = await start();
        try {
          const url = first.gateway.url;
          const created = await admin(url, 'POST', '/api/mcp/clients', { name: 'echo', url: upstream.url, headers: { 'X-User-Token': STATIC_SECRET } });
          assert.equal(created.status, 201, JSON.stringify(created.data));
          assert.equal(created.data.source, 'api');
          assert.equal((await admin(url, 'POST', '/api/mcp/clients', { name: 'personal', url: upstream.url, per_user_headers: ['x-user-token'] })).status, 201);
          const stored = await fetch(`${url}/api/mcp/credentials/personal`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json', 'x-heimdall-mcp-session-id': SESSION },
            body: JSON.stringify({ headers: { 'x-user-token': 'per-user-secret' } }),
          });
          assert.equal(stored.status, 200, await stored.clone().text());

          const refused = await admin(url, 'DELETE', '/api/mcp/clients/fromconfig');
          assert.equal(refused.status, 409, 'config upstreams are read-only through the API');
          assert.match(String((refused.data.error as { message: string }).message), /config file/);
          const listed = await admin(url, 'GET', '/api/mcp/clients');
          assert.deepEqual(
            (listed.data.clients as Array<{ id: string; source: string }>).map((client) => [client.id, client.source]),
            [['echo', 'api'], ['fromconfig', 'config'], ['personal', 'api']],
          );

          const rows = await first.governance.store.database.selectFrom('mcp_upstreams').selectAll().execute();
          assert.equal(rows.length, 2);
          const dump = JSON.stringify(rows) + JSON.stringify(await first.governance.store.database.selectFrom('mcp_credentials').selectAll().execute());
          assert.ok(!dump.includes(STATIC_SECRET) && !dump.includes('per-user-secret'), 'secrets are stored encrypted');
        } finally {
          await first.close();
        }

        const second = await start();
        try {
          await waitFor(() => second.gateway.mcp.manager.list().every((entry) => entry.state === 'connected'), 30_000, 'the stored upstreams to connect');
          const client = await connectMcpClient(second.gateway.url, { 'x-heimdall-mcp-session-id': SESSION });
          const names = (await client.listTools()).tools.map((tool) => tool.name).sort();
          assert.deepEqual(names, ['echo__whoami', 'fromconfig__whoami', 'personal__whoami']);
          assert.equal(textOf(await client.callTool({ name: 'echo__whoami', arguments: {} })), `token=${STATIC_SECRET}`);
          assert.equal(textOf(await client.callTool({ name: 'personal__whoami', arguments: {} })), 'token=per-user-secret');
          await client.close();

          const changed = await admin(second.gateway.url, 'PUT', '/api/mcp/clients/echo', { url: upstream.url, headers: { 'x-user-token': 'changed-secret' } });
          assert.equal(changed.status, 200, JSON.stringify(changed.data));
          assert.equal((await admin(second.gateway.url, 'DELETE', '/api/mcp/clients/personal')).status, 200);
        } finally {
          await second.close();
        }

        const third = await start();
        try {
          await waitFor(() => third.gateway.mcp.manager.list().every((entry) => entry.state === 'connected'), 30_000, 'the stored upstream to connect');
          assert.deepEqual(third.gateway.mcp.manager.list().map((entry) => entry.id), ['echo', 'fromconfig']);
          const client = await connectMcpClient(third.gateway.url, { 'x-heimdall-mcp-session-id': SESSION });
          assert.equal(textOf(await client.callTool({ name: 'echo__whoami', arguments: {} })), 'token=changed-secret');
          await client.close();
          assert.equal((await third.governance.store.database.selectFrom('mcp_credentials').selectAll().execute()).length, 0, 'the deleted upstream’s credentials are gone');
        } finally {
          await third.close();
        }
      } finally {
        await upstream.close();
        await scratch?.drop();
        rmSync(appDirectory, { recursive: true, force: true });
      }
    });
  });
}

describe('MCP upstreams added through the admin API on two replicas (PostgreSQL + Redis)', async () => {
  const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());
  it('an upstream added, changed and deleted on one replica is served the same way by the other', { skip, timeout: 120_000 }, async () => {
    const upstream = await startHeaderEchoMcpServer();
    const scratch = await createScratchPostgresDatabase();
    const redisPrefix = scratchRedisPrefix();
    const directories = [mkdtempSync(join(tmpdir(), 'heimdall-mcp-replica-')), mkdtempSync(join(tmpdir(), 'heimdall-mcp-replica-'))];
    const config: HeimdallConfig = { providers: {}, admin: { token: ADMIN_TOKEN }, storage: { redis_url: REDIS_TEST_URL, redis_key_prefix: redisPrefix } };
    const environment = { HEIMDALL_ENCRYPTION_KEY: 'a'.repeat(64) };
    const replicas: GovernedGateway[] = [];
    try {
      for (const appDirectory of directories) {
        replicas.push(await startGovernedGateway({ config, appDirectory, environment, databaseUrl: scratch.url, port: 0, host: '127.0.0.1', log: () => undefined }));
      }
      const [first, second] = replicas;
      const whoamiOnSecond = async (): Promise<string> => {
        await waitFor(() => second.gateway.mcp.manager.get('echo')?.state === 'connected', 30_000, 'the second replica to connect the upstream');
        const client = await connectMcpClient(second.gateway.url, { 'x-heimdall-mcp-session-id': SESSION });
        try {
          return textOf(await client.callTool({ name: 'echo__whoami', arguments: {} }));
        } finally {
          await client.close();
        }
      };
      assert.equal((await admin(first.gateway.url, 'POST', '/api/mcp/clients', { name: 'echo', url: upstream.url, headers: { 'x-user-token': 'first' } })).status, 201);
      await waitFor(() => second.gateway.mcp.manager.get('echo') !== undefined, 10_000, 'the second replica to hear of the new upstream');
      assert.equal(await whoamiOnSecond(), 'token=first');

      assert.equal((await admin(first.gateway.url, 'PUT', '/api/mcp/clients/echo', { url: upstream.url, headers: { 'x-user-token': 'second' } })).status, 200);
      await waitFor(async () => (await whoamiOnSecond()) === 'token=second', 10_000, 'the second replica to apply the change');

      assert.equal((await admin(first.gateway.url, 'DELETE', '/api/mcp/clients/echo')).status, 200);
      await waitFor(() => second.gateway.mcp.manager.get('echo') === undefined, 10_000, 'the second replica to remove the upstream');
    } finally {
      for (const replica of replicas) await replica.close();
      await upstream.close();
      await scratch.drop();
      await deleteRedisKeys(redisPrefix);
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    }
  });
});
