/**
 * Routing rules through the admin API, end to end: a rule saved with `POST /api/routing/rules`
 * routes the next request (to a mock OpenAI upstream on 127.0.0.1, `x-heimdall-route` naming the
 * rule), a bad CEL expression is refused with its position, changes and deletions apply without a
 * restart, `explain` names the matching rule, config rules are read-only, and saved rules survive
 * a restart on the same app directory (SQLite). Model aliases likewise: created, replaced and
 * deleted through `/api/routing/aliases/{name}`, validated, applied at once, kept across a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGovernedGateway } from '../src/admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiUsage } from '../src/testing/openai-chat-sse.js';

const ADMIN_TOKEN = 'routing-admin-token-0123456789';
const ENVIRONMENT = { TEST_ADMIN_TOKEN: ADMIN_TOKEN };

interface Reply {
  status: number;
  data: unknown;
  headers: Headers;
}

async function adminCall(baseUrl: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, data: text === '' ? undefined : (JSON.parse(text) as unknown), headers: response.headers };
}

async function sendMessage(baseUrl: string, model: string): Promise<Response> {
  return fetch(`${baseUrl}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
  });
}

function configFor(upstream: MockUpstream): HeimdallConfig {
  return {
    providers: {
      openai: { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ name: 'main', value: 'sk-test' }] },
      anthropic: { type: 'anthropic', base_url: 'http://127.0.0.1:9', keys: [{ name: 'main', value: 'sk-ant-test' }] },
    },
    routing: { rules: [{ name: 'from-config', expression: 'model == "config-model"', targets: [{ provider: 'openai', model: 'gpt-config' }] }] },
    aliases: { 'config-alias': 'openai/gpt-config-alias' },
    admin: { token: 'env.TEST_ADMIN_TOKEN' },
  };
}

const SONNET_RULE = { name: 'sonnet-to-openai', expression: 'model == "sonnet-model"', targets: [{ provider: 'openai', model: 'gpt-test' }] };

for (const backend of ['sqlite', 'postgres'] as const) describe(`routing rules through the admin API on ${backend}`, () => {
  let upstream: MockUpstream;
  let gateway: GovernedTestGateway;

  before(async () => {
    upstream = await startMockUpstream((request, response) => {
      const model = (request.json as { model?: string } | undefined)?.model ?? 'unknown';
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model, text: `answer from ${model}`, usage: openAiUsage(5, 3) })));
    });
    gateway = await startGovernedTestGateway(configFor(upstream), { backend, environment: ENVIRONMENT });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('saves a rule that routes the next request, marked source api after the config rule', async () => {
    const created = await adminCall(gateway.url, 'POST', '/api/routing/rules', SONNET_RULE);
    assert.equal(created.status, 201, JSON.stringify(created.data));
    assert.equal((created.data as { source: string }).source, 'api');

    const before = upstream.requests.length;
    const response = await sendMessage(gateway.url, 'sonnet-model');
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(response.headers.get('x-heimdall-route'), 'sonnet-to-openai');
    await response.json();
    assert.equal(upstream.requests.length, before + 1);
    assert.equal((upstream.requests.at(-1)?.json as { model: string }).model, 'gpt-test');

    const listed = await adminCall(gateway.url, 'GET', '/api/routing/rules');
    const rules = (listed.data as { data: Array<{ name: string; source: string; loaded: boolean }> }).data;
    assert.deepEqual(
      rules.map((rule) => [rule.name, rule.source, rule.loaded]),
      [
        ['from-config', 'config', true],
        ['sonnet-to-openai', 'api', true],
      ],
    );
  });

  it('refuses a bad expression with the CEL error and its position, and validates without saving', async () => {
    const refused = await adminCall(gateway.url, 'POST', '/api/routing/rules', { ...SONNET_RULE, name: 'broken', expression: 'model == "a" &&' });
    assert.equal(refused.status, 400);
    const error = (refused.data as { error: { message: string; type: string; param: string; code: string } }).error;
    assert.equal(error.param, 'expression');
    assert.equal(error.code, 'invalid_routing_rule');
    assert.match(error.message, /line 1, column \d+/);

    const unknownVariable = await adminCall(gateway.url, 'POST', '/api/routing/validate', { ...SONNET_RULE, name: 'draft', expression: 'modle == "x"' });
    assert.equal(unknownVariable.status, 200);
    const validation = unknownVariable.data as { valid: boolean; problems: Array<{ field: string; position?: { line: number; column: number } }> };
    assert.equal(validation.valid, false);
    assert.equal(validation.problems[0].field, 'expression');
    assert.deepEqual(validation.problems[0].position && { line: validation.problems[0].position.line, column: validation.problems[0].position.column }, { line: 1, column: 1 });

    const fine = await adminCall(gateway.url, 'POST', '/api/routing/validate', { ...SONNET_RULE, name: 'draft' });
    assert.deepEqual(fine.data, { valid: true, problems: [] });
    const names = ((await adminCall(gateway.url, 'GET', '/api/routing/rules')).data as { data: Array<{ name: string }> }).data.map((rule) => rule.name);
    assert.ok(!names.includes('draft') && !names.includes('broken'));
  });

  it('explains which rule matches, in which scope, and the target', async () => {
    const reply = await adminCall(gateway.url, 'POST', '/api/routing/explain', { model: 'sonnet-model' });
    assert.equal(reply.status, 200);
    const explanation = reply.data as { decision: { route_name: string; rule: { scope: { type: string } }; target: { provider: string; model: string } }; evaluations: Array<{ rule: string; outcome: string }> };
    assert.equal(explanation.decision.route_name, 'sonnet-to-openai');
    assert.equal(explanation.decision.rule.scope.type, 'global');
    assert.deepEqual(explanation.decision.target, { provider: 'openai', model: 'gpt-test' });
    assert.deepEqual(
      explanation.evaluations.map((evaluation) => [evaluation.rule, evaluation.outcome]),
      [
        ['from-config', 'no-match'],
        ['sonnet-to-openai', 'matched'],
      ],
    );
  });

  it('keeps config rules read-only (409) and answers 404 for an unknown rule', async () => {
    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/rules/from-config')).status, 409);
    assert.equal((await adminCall(gateway.url, 'PUT', '/api/routing/rules/from-config', SONNET_RULE)).status, 409);
    assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', { ...SONNET_RULE, name: 'from-config' })).status, 409);
    assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', SONNET_RULE)).status, 409);
    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/rules/nothing-here')).status, 404);
  });

  it('applies an update and a deletion to the next request without a restart', async () => {
    const updated = await adminCall(gateway.url, 'PUT', '/api/routing/rules/sonnet-to-openai', { ...SONNET_RULE, targets: [{ provider: 'openai', model: 'gpt-updated' }] });
    assert.equal(updated.status, 200, JSON.stringify(updated.data));
    const response = await sendMessage(gateway.url, 'sonnet-model');
    assert.equal(response.status, 200);
    await response.json();
    assert.equal((upstream.requests.at(-1)?.json as { model: string }).model, 'gpt-updated');

    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/rules/sonnet-to-openai')).status, 204);
    const unrouted = await sendMessage(gateway.url, 'sonnet-model');
    assert.equal(unrouted.status, 400, 'sonnet-model names nothing configured without the rule');
    await unrouted.text();
  });

  it('creates and replaces a model alias through the API; the next request follows it', async () => {
    const created = await adminCall(gateway.url, 'PUT', '/api/routing/aliases/haiku-model', { target: 'openai/gpt-haiku' });
    assert.equal(created.status, 200, JSON.stringify(created.data));
    assert.deepEqual(
      { ...(created.data as Record<string, unknown>), created_at: null, updated_at: null },
      { name: 'haiku-model', target: 'openai/gpt-haiku', source: 'api', loaded: true, created_at: null, updated_at: null },
    );
    const response = await sendMessage(gateway.url, 'haiku-model');
    assert.equal(response.status, 200, await response.clone().text());
    await response.json();
    assert.equal((upstream.requests.at(-1)?.json as { model: string }).model, 'gpt-haiku');

    assert.equal((await adminCall(gateway.url, 'PUT', '/api/routing/aliases/haiku-model', { target: 'openai/gpt-haiku-2' })).status, 200);
    const replaced = await sendMessage(gateway.url, 'haiku-model');
    assert.equal(replaced.status, 200);
    await replaced.json();
    assert.equal((upstream.requests.at(-1)?.json as { model: string }).model, 'gpt-haiku-2');

    const listed = await adminCall(gateway.url, 'GET', '/api/routing/aliases');
    const body = listed.data as { data: Record<string, string>; aliases: Array<{ name: string; target: string; source: string; loaded: boolean }> };
    assert.deepEqual(body.data, { 'config-alias': 'openai/gpt-config-alias', 'haiku-model': 'openai/gpt-haiku-2' });
    assert.deepEqual(
      body.aliases.map((alias) => [alias.name, alias.target, alias.source, alias.loaded]),
      [
        ['config-alias', 'openai/gpt-config-alias', 'config', true],
        ['haiku-model', 'openai/gpt-haiku-2', 'api', true],
      ],
    );
  });

  it('refuses an alias whose target resolves to nothing or is another alias (400), and config aliases (409)', async () => {
    const unknown = await adminCall(gateway.url, 'PUT', '/api/routing/aliases/lost-model', { target: 'nowhere/model-x' });
    assert.equal(unknown.status, 400);
    const error = (unknown.data as { error: { param: string; code: string; message: string } }).error;
    assert.deepEqual([error.param, error.code], ['target', 'invalid_routing_alias']);
    assert.match(error.message, /nowhere/);
    const chained = await adminCall(gateway.url, 'PUT', '/api/routing/aliases/chained-model', { target: 'config-alias' });
    assert.equal(chained.status, 400);
    assert.match((chained.data as { error: { message: string } }).error.message, /do not chain/);
    assert.equal((await adminCall(gateway.url, 'PUT', '/api/routing/aliases/bad%20name', { target: 'openai/gpt-x' })).status, 400);
    assert.equal((await adminCall(gateway.url, 'PUT', '/api/routing/aliases/lost-model', { target: 'openai/gpt-x', extra: true })).status, 400);
    assert.equal((await adminCall(gateway.url, 'PUT', '/api/routing/aliases/config-alias', { target: 'openai/gpt-x' })).status, 409);
    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/aliases/config-alias')).status, 409);
    const names = Object.keys(((await adminCall(gateway.url, 'GET', '/api/routing/aliases')).data as { data: Record<string, string> }).data);
    assert.deepEqual(names.sort(), ['config-alias', 'haiku-model'], 'nothing refused was saved');
  });

  it('deletes an alias at once, unless a rule falls back to it (409)', async () => {
    const rule = { name: 'falls-back-to-alias', expression: 'model == "x-model"', targets: [{ provider: 'openai', model: 'gpt-x' }], fallbacks: ['haiku-model'] };
    assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', rule)).status, 201);
    const inUse = await adminCall(gateway.url, 'DELETE', '/api/routing/aliases/haiku-model');
    assert.equal(inUse.status, 409);
    assert.match((inUse.data as { error: { message: string } }).error.message, /falls-back-to-alias/);
    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/rules/falls-back-to-alias')).status, 204);

    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/aliases/haiku-model')).status, 204);
    const unresolved = await sendMessage(gateway.url, 'haiku-model');
    assert.equal(unresolved.status, 400, 'haiku-model names nothing configured without the alias');
    await unresolved.text();
    assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/aliases/haiku-model')).status, 404);
  });
});

describe('saved routing rules across a restart (SQLite)', () => {
  it('loads the saved rule again on the same app directory', async () => {
    const upstream = await startMockUpstream((request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-test', text: 'answer', usage: openAiUsage(5, 3) })));
    });
    const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-routing-'));
    const start = () => startGovernedGateway({ config: configFor(upstream), appDirectory, environment: ENVIRONMENT, port: 0, host: '127.0.0.1', log: () => undefined });
    try {
      const first = await start();
      try {
        assert.equal((await adminCall(first.gateway.url, 'POST', '/api/routing/rules', SONNET_RULE)).status, 201);
        assert.equal((await adminCall(first.gateway.url, 'PUT', '/api/routing/aliases/haiku-model', { target: 'openai/gpt-haiku' })).status, 200);
      } finally {
        await first.close();
      }
      const second = await start();
      try {
        const response = await sendMessage(second.gateway.url, 'sonnet-model');
        assert.equal(response.status, 200, await response.clone().text());
        assert.equal(response.headers.get('x-heimdall-route'), 'sonnet-to-openai');
        await response.json();
        const aliased = await sendMessage(second.gateway.url, 'haiku-model');
        assert.equal(aliased.status, 200, await aliased.clone().text());
        await aliased.json();
        // A provider reload rebuilds the routing runtime: the saved rule and alias stay.
        const previousRuntime = second.settings.routing;
        await second.governance.notifier.publish({ kind: 'providers' });
        for (let waited = 0; second.settings.routing === previousRuntime && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.notEqual(second.settings.routing, previousRuntime, 'the provider reload swapped in a new routing runtime');
        const afterReload = await adminCall(second.gateway.url, 'POST', '/api/routing/explain', { model: 'sonnet-model' });
        assert.equal((afterReload.data as { decision: { route_name: string } }).decision.route_name, 'sonnet-to-openai');
        const aliasAfterReload = await adminCall(second.gateway.url, 'POST', '/api/routing/explain', { model: 'haiku-model' });
        assert.deepEqual((aliasAfterReload.data as { decision: { alias: string; target: unknown } }).decision.alias, 'haiku-model');
      } finally {
        await second.close();
      }
    } finally {
      await upstream.close();
      rmSync(appDirectory, { recursive: true, force: true });
    }
  });
});
