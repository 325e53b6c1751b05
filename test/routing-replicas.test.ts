/**
 * Routing changes made through one replica's admin API reach another replica sharing PostgreSQL
 * and Redis without a restart: two gateways (in this process, each with its own store connection,
 * counters and Redis change subscription) on one scratch database and one Redis key prefix. A rule
 * or alias saved on replica A routes requests on replica B within a bounded wait (the
 * `{kind: 'routing'}` change over Redis pub/sub), and a deletion on B stops routing on A.
 * Skipped with a notice when PostgreSQL or Redis is absent, a failure with HEIMDALL_REQUIRE_SERVICES=1.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGovernedGateway, type GovernedGateway } from '../src/admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiUsage } from '../src/testing/openai-chat-sse.js';
import {
  REDIS_TEST_URL,
  createScratchPostgresDatabase,
  deleteRedisKeys,
  scratchRedisPrefix,
  skipWithoutPostgres,
  skipWithoutRedis,
  type ScratchPostgresDatabase,
} from '../src/testing/services.js';

const ADMIN_TOKEN = 'routing-replicas-admin-token-0123456789';
/** The longest a change may take to reach the other replica. */
const PROPAGATION_BOUND_MS = 5_000;
const skip = (await skipWithoutPostgres()) || (await skipWithoutRedis());

async function adminCall(baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, data: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

interface Sent {
  status: number;
  route: string | null;
  model: string | null;
}

async function sendMessage(baseUrl: string, model: string): Promise<Sent> {
  const response = await fetch(`${baseUrl}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
  });
  await response.arrayBuffer();
  return { status: response.status, route: response.headers.get('x-heimdall-route'), model: response.headers.get('x-heimdall-model') };
}

/** Sends `model` to `baseUrl` until `accept` holds, at most {@link PROPAGATION_BOUND_MS}; returns the accepted answer and how long it took. */
async function sendUntil(baseUrl: string, model: string, accept: (sent: Sent) => boolean): Promise<{ sent: Sent; waitedMs: number }> {
  const started = Date.now();
  for (;;) {
    const sent = await sendMessage(baseUrl, model);
    const waitedMs = Date.now() - started;
    if (accept(sent)) return { sent, waitedMs };
    if (waitedMs > PROPAGATION_BOUND_MS) assert.fail(`no change within ${PROPAGATION_BOUND_MS} ms; last answer: ${JSON.stringify(sent)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('routing changes across two replicas on PostgreSQL + Redis', { skip }, () => {
  let upstream: MockUpstream;
  let database: ScratchPostgresDatabase;
  const redisPrefix = scratchRedisPrefix();
  const directories: string[] = [];
  const replicas: GovernedGateway[] = [];
  let urlA = '';
  let urlB = '';

  before(async () => {
    upstream = await startMockUpstream((request, response) => {
      const model = (request.json as { model?: string } | undefined)?.model ?? 'unknown';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model, text: `answer from ${model}`, usage: openAiUsage(5, 3) })));
    });
    database = await createScratchPostgresDatabase();
    const config: HeimdallConfig = {
      providers: { openai: { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ name: 'main', value: 'sk-replica' }] } },
      admin: { token: 'env.TEST_ADMIN_TOKEN' },
      storage: { redis_key_prefix: redisPrefix },
    };
    const environment = { TEST_ADMIN_TOKEN: ADMIN_TOKEN, HEIMDALL_ENCRYPTION_KEY: randomBytes(32).toString('hex') };
    // One after the other: the first applies the migrations.
    for (let index = 0; index < 2; index += 1) {
      const appDirectory = mkdtempSync(join(tmpdir(), `heimdall-routing-replica-${index}-`));
      directories.push(appDirectory);
      replicas.push(
        await startGovernedGateway({ config, appDirectory, environment, databaseUrl: database.url, redisUrl: REDIS_TEST_URL, port: 0, host: '127.0.0.1', log: () => undefined }),
      );
    }
    [urlA, urlB] = replicas.map((replica) => replica.gateway.url);
  });

  after(async () => {
    for (const replica of replicas) await replica.close();
    await upstream?.close();
    await database?.drop();
    await deleteRedisKeys(redisPrefix);
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('a rule created on replica A routes on replica B; a deletion on B stops it on A', async (t) => {
    assert.equal((await sendMessage(urlB, 'replica-model')).status, 400, 'before the rule, replica-model names nothing configured');
    const rule = { name: 'replica-rule', expression: 'model == "replica-model"', targets: [{ provider: 'openai', model: 'gpt-replica' }] };
    const created = await adminCall(urlA, 'POST', '/api/routing/rules', rule);
    assert.equal(created.status, 201, JSON.stringify(created.data));

    const onB = await sendUntil(urlB, 'replica-model', (sent) => sent.status === 200);
    assert.deepEqual(onB.sent, { status: 200, route: 'replica-rule', model: 'gpt-replica' });
    t.diagnostic(`rule created on A routed on B after ${onB.waitedMs} ms`);
    assert.equal((upstream.requests.at(-1)?.json as { model: string }).model, 'gpt-replica');
    const listedOnB = (await adminCall(urlB, 'GET', '/api/routing/rules')).data as { data: Array<{ name: string; loaded: boolean }> };
    assert.deepEqual(listedOnB.data.map((entry) => [entry.name, entry.loaded]), [['replica-rule', true]]);

    const updated = await adminCall(urlB, 'PUT', '/api/routing/rules/replica-rule', { ...rule, targets: [{ provider: 'openai', model: 'gpt-replica-2' }] });
    assert.equal(updated.status, 200, JSON.stringify(updated.data));
    t.diagnostic(`rule updated on B routed on A after ${(await sendUntil(urlA, 'replica-model', (sent) => sent.model === 'gpt-replica-2')).waitedMs} ms`);

    assert.equal((await adminCall(urlB, 'DELETE', '/api/routing/rules/replica-rule')).status, 204);
    await sendUntil(urlA, 'replica-model', (sent) => sent.status === 400);
  });

  it('an alias saved on replica B resolves on replica A; its deletion on A reaches B', async () => {
    assert.equal((await adminCall(urlB, 'PUT', '/api/routing/aliases/shared-alias', { target: 'openai/gpt-aliased' })).status, 200);
    const onA = await sendUntil(urlA, 'shared-alias', (sent) => sent.status === 200);
    assert.deepEqual(onA.sent, { status: 200, route: 'default', model: 'gpt-aliased' });

    assert.equal((await adminCall(urlA, 'DELETE', '/api/routing/aliases/shared-alias')).status, 204);
    await sendUntil(urlB, 'shared-alias', (sent) => sent.status === 400);
  });
});
