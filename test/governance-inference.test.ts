/**
 * Governance on the inference path, end to end on a gateway with its store: virtual keys in the
 * three headers, enforcement, allowed models, rate limits, budgets under concurrency, revocation,
 * and Claude Code run headless with a virtual key — on SQLite, and on PostgreSQL + Redis when they
 * are reachable (skipped with a notice otherwise, a failure with HEIMDALL_REQUIRE_SERVICES=1).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { scriptedClaudeCodeHandler } from '../src/testing/claude-code-mock.js';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from '../src/testing/openai-chat-sse.js';
import { claudeCodeAvailability, describeClaudeCodeRun, runClaudeCode } from '../src/testing/run-claude-code.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { REDIS_TEST_URL, scratchRedisPrefix, deleteRedisKeys, skipWithoutPostgres, skipWithoutRedis } from '../src/testing/services.js';

const ADMIN_TOKEN = 'admin-token-governance-test-0123456789';
const UPSTREAM_KEY = 'sk-upstream-secret-value';
/** Every mock answer uses 10 input + 10 output tokens; at $1,000 per million tokens that is $0.02. */
const COST_PER_REQUEST_USD = 0.02;

const availability = claudeCodeAvailability();
const e2eRequired = process.env.HEIMDALL_REQUIRE_E2E === '1';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Chat Completions mock: streamed or not, 10 + 10 tokens, after a short pause so requests overlap. */
async function answerChat(request: RecordedRequest, response: import('node:http').ServerResponse): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 15));
  const body = isRecord(request.json) ? request.json : {};
  const identity = { model: typeof body.model === 'string' ? body.model : 'gpt-test' };
  if (body.stream === true) {
    await writeOpenAiChatSse(response, openAiChatStreamChunks({ ...identity, text: 'governed hello', usage: openAiUsage(10, 10) }));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(openAiChatCompletion({ ...identity, text: 'governed hello', usage: openAiUsage(10, 10) })));
}

const backends: Array<{ name: string; backend: 'sqlite' | 'postgres'; redis: boolean; skip: () => Promise<false | string> }> = [
  { name: 'SQLite, counters in memory', backend: 'sqlite', redis: false, skip: async () => false },
  {
    name: 'PostgreSQL, counters in Redis',
    backend: 'postgres',
    redis: true,
    skip: async () => (await skipWithoutPostgres()) || (await skipWithoutRedis()),
  },
];

for (const variant of backends) {
  const skip = await variant.skip();
  describe(`governance on the inference path (${variant.name})`, { skip }, () => {
    let upstream: MockUpstream;
    let gateway: GovernedTestGateway;
    const redisPrefix = scratchRedisPrefix();

    before(async () => {
      upstream = await startMockUpstream(answerChat);
      const config: HeimdallConfig = {
        providers: { openai: { base_url: `${upstream.url}/v1`, keys: [{ name: 'main', value: 'env.TEST_UPSTREAM_KEY' }] } },
        pricing: { 'openai/gpt-test': { input_per_mtok: 1000, output_per_mtok: 1000 } },
        admin: { token: 'env.TEST_ADMIN_TOKEN' },
        governance: { enforce_auth_on_inference: true },
        ...(variant.redis ? { storage: { redis_url: REDIS_TEST_URL, redis_key_prefix: redisPrefix } } : {}),
      };
      gateway = await startGovernedTestGateway(config, {
        backend: variant.backend,
        environment: { TEST_UPSTREAM_KEY: UPSTREAM_KEY, TEST_ADMIN_TOKEN: ADMIN_TOKEN },
      });
    });

    after(async () => {
      await gateway.close();
      await upstream.close();
      if (variant.redis) await deleteRedisKeys(redisPrefix);
    });

    async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      assert.ok(response.ok, `${method} ${path} → ${response.status} ${text}`);
      return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    }

    async function createKey(spec: Record<string, unknown>): Promise<{ id: string; secret: string }> {
      const created = await admin('POST', '/api/virtual-keys', spec);
      const secret = created.secret ?? (isRecord(created.virtual_key) ? created.virtual_key.secret : undefined);
      const id = isRecord(created.virtual_key) ? created.virtual_key.id : created.id;
      assert.equal(typeof secret, 'string', JSON.stringify(created));
      assert.equal(typeof id, 'string', JSON.stringify(created));
      return { id: id as string, secret: secret as string };
    }

    async function infer(headers: Record<string, string>, options: { model?: string; stream?: boolean } = {}): Promise<{ status: number; body: string; headers: Headers }> {
      const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ model: options.model ?? 'openai/gpt-test', max_tokens: 10, stream: options.stream ?? false, messages: [{ role: 'user', content: 'hi' }] }),
      });
      return { status: response.status, body: await response.text(), headers: response.headers };
    }

    function errorOf(body: string): { type: string; message: string } {
      const parsed = JSON.parse(body) as { type: string; error: { type: string; message: string } };
      assert.equal(parsed.type, 'error');
      return parsed.error;
    }

    it('refuses a request without a virtual key when enforcement is on, before reaching the provider', async () => {
      const before = upstream.requests.length;
      const reply = await infer({});
      assert.equal(reply.status, 401);
      assert.equal(errorOf(reply.body).type, 'authentication_error');
      assert.equal(upstream.requests.length, before);
    });

    it('accepts a virtual key in each of the three headers and never forwards it upstream', async () => {
      const key = await createKey({ name: `three-headers-${variant.backend}` });
      const headerVariants: Array<Record<string, string>> = [{ authorization: `Bearer ${key.secret}` }, { 'x-api-key': key.secret }, { 'x-heimdall-vk': key.secret }];
      for (const headers of headerVariants) {
        const reply = await infer(headers);
        assert.equal(reply.status, 200, reply.body);
        const sent = upstream.requests.at(-1);
        assert.equal(sent?.headers.authorization, `Bearer ${UPSTREAM_KEY}`);
        assert.ok(!JSON.stringify(sent?.headers).includes(key.secret), 'the virtual key must not reach the provider');
      }
      const streamed = await infer({ authorization: `Bearer ${key.secret}` }, { stream: true });
      assert.equal(streamed.status, 200);
      const text = streamed.body
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => JSON.parse(line.slice(6)) as { type: string; delta?: { text?: string } })
        .map((event) => (event.type === 'content_block_delta' ? (event.delta?.text ?? '') : ''))
        .join('');
      assert.equal(text, 'governed hello');
    });

    it("governs Claude Code's Bedrock and Vertex surfaces too: no key is refused, a valid key is served", async () => {
      const key = await createKey({ name: `cloud-surfaces-${variant.backend}` });
      const anthropicBody = JSON.stringify({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      const surfaces = [
        `${gateway.url}/bedrock/model/${encodeURIComponent('openai/gpt-test')}/invoke`,
        `${gateway.url}/genai/projects/p/locations/us-east5/publishers/anthropic/models/${encodeURIComponent('openai/gpt-test')}:rawPredict`,
      ];
      for (const url of surfaces) {
        const before = upstream.requests.length;
        const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: anthropicBody });
        const refusedText = await refused.text();
        assert.ok(refused.status === 401 || refused.status === 403, `${url} without a key: ${refused.status} ${refusedText}`);
        assert.match(refusedText, /virtual key/i);
        assert.equal(upstream.requests.length, before, 'nothing reaches the provider');
        const served = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-heimdall-vk': key.secret }, body: anthropicBody });
        assert.equal(served.status, 200, `${url} with a key: ${await served.text()}`);
      }
    });

    it('refuses a model the key may not use with 403 naming what it may use', async () => {
      const key = await createKey({ name: `narrow-${variant.backend}`, allowed_models: ['gpt-other'] });
      const reply = await infer({ authorization: `Bearer ${key.secret}` });
      assert.equal(reply.status, 403);
      const error = errorOf(reply.body);
      assert.equal(error.type, 'permission_error');
      assert.match(error.message, /gpt-other/);
    });

    it('refuses a revoked key with 401', async () => {
      const key = await createKey({ name: `revoked-${variant.backend}` });
      assert.equal((await infer({ authorization: `Bearer ${key.secret}` })).status, 200);
      await admin('POST', `/api/virtual-keys/${key.id}/revoke`);
      const reply = await infer({ authorization: `Bearer ${key.secret}` });
      assert.equal(reply.status, 401);
      assert.equal(reply.headers.get('x-should-retry'), 'false');
      assert.match(errorOf(reply.body).message, /revoked/i);
    });

    it('holds a request rate limit exactly under concurrency, answering 429 with retry-after', async () => {
      const key = await createKey({ name: `rate-${variant.backend}`, rate_limits: [{ requests: 5, window: '1h' }] });
      const replies = await Promise.all(Array.from({ length: 20 }, () => infer({ authorization: `Bearer ${key.secret}` })));
      assert.equal(replies.filter((reply) => reply.status === 200).length, 5);
      const refused = replies.filter((reply) => reply.status !== 200);
      assert.equal(refused.length, 15);
      for (const reply of refused) {
        assert.equal(reply.status, 429);
        assert.equal(errorOf(reply.body).type, 'rate_limit_error');
        assert.ok(Number(reply.headers.get('retry-after')) > 0);
      }
    });

    it('200 concurrent requests on a budget that covers 50: no overshoot beyond the requests in flight, every refusal the documented error', async () => {
      const budgetUsd = 50 * COST_PER_REQUEST_USD;
      const key = await createKey({ name: `budget-${variant.backend}`, budgets: [{ limit_usd: budgetUsd, period: '1M' }] });
      const replies = await Promise.all(Array.from({ length: 200 }, (_, index) => infer({ authorization: `Bearer ${key.secret}` }, { stream: index % 2 === 0 })));
      const served = replies.filter((reply) => reply.status === 200).length;
      const refused = replies.filter((reply) => reply.status !== 200);
      assert.ok(served >= 1 && served <= 50, `served ${served}`);
      for (const reply of refused) {
        assert.equal(reply.status, 400, reply.body);
        assert.equal(reply.headers.get('x-should-retry'), 'false');
        const error = errorOf(reply.body);
        assert.equal(error.type, 'invalid_request_error');
        assert.match(error.message, /budget/i);
      }
      // Charged exactly for what was served (settlement happens as each response closes).
      let spentUsd = 0;
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const budgets = await admin('GET', `/api/budgets?virtual_key_id=${key.id}`);
        const list = Array.isArray(budgets.data) ? budgets.data : Array.isArray(budgets.budgets) ? budgets.budgets : [];
        const first = list.find(isRecord);
        const status = first !== undefined && isRecord(first.current) ? first.current : undefined;
        spentUsd = typeof status?.spent_usd === 'number' ? status.spent_usd : Number.NaN;
        if (Math.abs(spentUsd - served * COST_PER_REQUEST_USD) < 1e-9) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(Math.abs(spentUsd - served * COST_PER_REQUEST_USD) < 1e-9, `spent ${spentUsd} for ${served} served`);
      assert.ok(spentUsd <= budgetUsd + 1e-9);
    });

    // Claude Code runs once, on the SQLite variant (the storage backend does not change what it sees).
    if (variant.backend !== 'sqlite') return;
    it(
      'Claude Code works with a virtual key in ANTHROPIC_AUTH_TOKEN and shows the authentication error once it is revoked',
      { skip: availability.available || e2eRequired ? false : `Claude Code cannot run here: ${availability.available ? '' : availability.reason}`, timeout: 300_000 },
      async () => {
        const key = await createKey({ name: 'claude-code-user' });
        const workingDirectory = mkdtempSync(join(tmpdir(), 'heimdall-governed-cc-'));
        const home = mkdtempSync(join(tmpdir(), 'heimdall-governed-home-'));
        const filePath = join(workingDirectory, 'hello.txt');
        upstream.setHandler(scriptedClaudeCodeHandler({ format: 'openai', filePath, fileContent: 'Hello from Heimdall', finalText: 'Done: wrote hello.txt' }));
        try {
          const base = { prompt: 'Create hello.txt containing exactly: Hello from Heimdall', model: 'openai/gpt-test', baseUrl: `${gateway.url}/anthropic`, cwd: workingDirectory, home };
          const run = await runClaudeCode({ ...base, authToken: key.secret, extraArguments: ['--allowedTools', 'Write', '--permission-mode', 'acceptEdits'] });
          assert.equal(run.exitCode, 0, describeClaudeCodeRun(run));
          assert.equal(readFileSync(filePath, 'utf8'), 'Hello from Heimdall');
          assert.match(run.stdout, /Done: wrote hello\.txt/);

          await admin('POST', `/api/virtual-keys/${key.id}/revoke`);
          const refused = await runClaudeCode({ ...base, authToken: key.secret, timeoutMs: 120_000 });
          assert.ok(!refused.timedOut && refused.exitCode !== 0, describeClaudeCodeRun(refused));
          assert.match(`${refused.stdout}\n${refused.stderr}`, /revoked|401|authentication/i, describeClaudeCodeRun(refused));
        } finally {
          upstream.setHandler(answerChat);
          rmSync(workingDirectory, { recursive: true, force: true });
          rmSync(home, { recursive: true, force: true });
        }
      },
    );
  });
}
