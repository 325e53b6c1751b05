/**
 * The admin API endpoints the dashboard's Providers and Settings pages use, end to end through a
 * governed gateway: `POST /api/providers/{name}/test` against a mock upstream (success, and the
 * upstream's 401 through a bad key), `GET /api/provider-kinds`, and `GET/PUT /api/settings` —
 * auth enforcement, CORS origins and request logging changed at run time and seen on the next
 * request, refused values, reset to the config's value, and saved settings applied again after a
 * restart on the same app directory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { findRoute } from '../src/admin/admin-router.js';
import { ADMIN_ROUTES } from '../src/admin/admin-routes.js';
import { startGovernedGateway } from '../src/admin/start-governed-gateway.js';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiUsage, writeOpenAiError } from '../src/testing/openai-chat-sse.js';

const ADMIN_TOKEN = 'dashboard-admin-token-0123456789';
const ENVIRONMENT = { TEST_ADMIN_TOKEN: ADMIN_TOKEN };

interface Reply {
  status: number;
  data: unknown;
}

async function adminCall(baseUrl: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const data = text === '' ? undefined : (JSON.parse(text) as unknown);
  // A success answer must match the schema the OpenAPI document publishes for the route.
  const match = findRoute(ADMIN_ROUTES, method, new URL(path, 'http://x').pathname);
  if (match.kind === 'found' && response.status === match.route.success.status && match.route.success.schema !== undefined) {
    const validate = successValidator(match.route.success.schema);
    assert.ok(validate(data), `${method} ${path}: response does not match its documented schema: ${ajv.errorsText(validate.errors)}`);
  }
  return { status: response.status, data };
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = new WeakMap<TSchema, ValidateFunction>();

function successValidator(schema: TSchema): ValidateFunction {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = ajv.compile(schema);
    validators.set(schema, validator);
  }
  return validator;
}

function sendMessage(baseUrl: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${baseUrl}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: JSON.stringify({ model: 'openai/gpt-test', max_tokens: 16, messages: [{ role: 'user', content: 'hello' }] }),
  });
}

function configFor(upstream: MockUpstream): HeimdallConfig {
  return {
    providers: {
      openai: {
        type: 'openai',
        base_url: `${upstream.url}/v1`,
        models: ['gpt-test'],
        keys: [
          { name: 'good', value: 'sk-good-0123456789abcdef' },
          { name: 'revoked', value: 'sk-bad-0123456789abcdef', models: ['gpt-unused'] },
        ],
      },
    },
    admin: { token: 'env.TEST_ADMIN_TOKEN' },
    server: { cors: { allowed_origins: ['*'] } },
  };
}

interface SettingsView {
  settings: Record<string, unknown>;
  sources: Record<string, string>;
  config: Record<string, unknown>;
}

function startUpstream(): Promise<MockUpstream> {
  return startMockUpstream((request, response) => {
    if (String(request.headers.authorization).includes('sk-bad')) return writeOpenAiError(response, 401, 'Incorrect API key provided');
    const model = (request.json as { model?: string } | undefined)?.model ?? 'unknown';
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(openAiChatCompletion({ model, text: 'OK', usage: openAiUsage(5, 1) })));
  });
}

for (const backend of ['sqlite', 'postgres'] as const) describe(`dashboard admin endpoints on ${backend}`, () => {
  let upstream: MockUpstream;
  let gateway: GovernedTestGateway;

  before(async () => {
    upstream = await startUpstream();
    gateway = await startGovernedTestGateway(configFor(upstream), { backend, environment: ENVIRONMENT });
  });
  after(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('tests a provider key: the answer through the good key, the upstream 401 through the bad one', async () => {
    const good = await adminCall(gateway.url, 'POST', '/api/providers/openai/test', { key: 'good' });
    assert.equal(good.status, 200, JSON.stringify(good.data));
    const result = good.data as { ok: boolean; status: number; model: string; output_text: string; latency_ms: number; key: string };
    assert.deepEqual({ ok: result.ok, status: result.status, model: result.model, output: result.output_text, key: result.key }, { ok: true, status: 200, model: 'gpt-test', output: 'OK', key: 'good' });
    assert.equal(typeof result.latency_ms, 'number');
    assert.equal(upstream.requests.at(-1)?.headers.authorization, 'Bearer sk-good-0123456789abcdef');

    const bad = await adminCall(gateway.url, 'POST', '/api/providers/openai/test', { key: 'revoked', model: 'gpt-test' });
    assert.equal(bad.status, 200);
    const failed = bad.data as { ok: boolean; status: number; error: string };
    assert.equal(failed.ok, false);
    assert.equal(failed.status, 401);
    assert.match(failed.error, /Incorrect API key/);
    assert.ok(!JSON.stringify(bad.data).includes('sk-bad-0123456789abcdef'), 'the key value is never echoed');

    assert.equal((await adminCall(gateway.url, 'POST', '/api/providers/openai/test', { key: 'missing' })).status, 404);
    assert.equal((await adminCall(gateway.url, 'POST', '/api/providers/nope/test', {})).status, 404);
    assert.equal((await adminCall(gateway.url, 'POST', '/api/providers/openai/test', { key: 'good', extra: 1 })).status, 400);
  });

  it('shows and changes model → deployment mappings of a provider and of a key', async () => {
    const patched = await adminCall(gateway.url, 'PATCH', '/api/providers/openai', { deployments: { 'gpt-test': 'gpt-test-2025' } });
    assert.equal(patched.status, 200, JSON.stringify(patched.data));
    assert.deepEqual((patched.data as { deployments: Record<string, string> }).deployments, { 'gpt-test': 'gpt-test-2025' });
    const key = await adminCall(gateway.url, 'PATCH', '/api/providers/openai/keys/good', { deployments: { 'gpt-test': 'gpt-test-key-pinned' } });
    assert.equal(key.status, 200, JSON.stringify(key.data));
    const provider = (await adminCall(gateway.url, 'GET', '/api/providers/openai')).data as { deployments: Record<string, string>; keys: Array<{ name: string; deployments: Record<string, string> }> };
    assert.deepEqual(provider.deployments, { 'gpt-test': 'gpt-test-2025' });
    assert.deepEqual(provider.keys.find((candidate) => candidate.name === 'good')?.deployments, { 'gpt-test': 'gpt-test-key-pinned' });
    await adminCall(gateway.url, 'PATCH', '/api/providers/openai/keys/good', { deployments: {} });
    const cleared = await adminCall(gateway.url, 'PATCH', '/api/providers/openai', { deployments: null });
    assert.deepEqual((cleared.data as { deployments: Record<string, string> }).deployments, {});
  });

  it('lists the provider kinds for the add-provider form', async () => {
    const kinds = await adminCall(gateway.url, 'GET', '/api/provider-kinds');
    assert.equal(kinds.status, 200);
    const openai = (kinds.data as { data: Array<{ kind: string; default_base_url: string | null; requires_key: boolean }> }).data.find((kind) => kind.kind === 'openai');
    assert.equal(openai?.requires_key, true);
    assert.match(openai?.default_base_url ?? '', /^https:\/\//);
  });

  it('turns auth enforcement on and off at run time, and back to the config value', async () => {
    const initial = (await adminCall(gateway.url, 'GET', '/api/settings')).data as SettingsView;
    assert.equal(initial.settings.enforce_auth_on_inference, false);
    assert.equal(initial.sources.enforce_auth_on_inference, 'config');
    assert.equal((await sendMessage(gateway.url)).status, 200);

    const changed = await adminCall(gateway.url, 'PUT', '/api/settings', { enforce_auth_on_inference: true });
    assert.equal(changed.status, 200, JSON.stringify(changed.data));
    assert.equal((changed.data as SettingsView).sources.enforce_auth_on_inference, 'api');
    const refused = await sendMessage(gateway.url);
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { type: string }).type, 'error');

    const reset = await adminCall(gateway.url, 'PUT', '/api/settings', { enforce_auth_on_inference: null });
    assert.equal((reset.data as SettingsView).settings.enforce_auth_on_inference, false);
    assert.equal((reset.data as SettingsView).sources.enforce_auth_on_inference, 'config');
    assert.equal((await sendMessage(gateway.url)).status, 200);
  });

  it('changes the CORS origins and headers on the next request', async () => {
    const put = await adminCall(gateway.url, 'PUT', '/api/settings', { cors_allowed_origins: ['http://dashboard.example:3000'], cors_allowed_headers: ['X-Team'] });
    assert.equal(put.status, 200, JSON.stringify(put.data));
    const foreign = await fetch(`${gateway.url}/health`, { headers: { origin: 'http://elsewhere.example' } });
    assert.equal(foreign.status, 403);
    await foreign.text();
    const allowed = await fetch(`${gateway.url}/health`, { method: 'OPTIONS', headers: { origin: 'http://dashboard.example:3000', 'access-control-request-headers': 'x-team' } });
    assert.equal(allowed.headers.get('access-control-allow-origin'), 'http://dashboard.example:3000');
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /x-team/);
    await adminCall(gateway.url, 'PUT', '/api/settings', { cors_allowed_origins: null, cors_allowed_headers: null });
    const anyOrigin = await fetch(`${gateway.url}/health`, { headers: { origin: 'http://elsewhere.example' } });
    assert.equal(anyOrigin.status, 200);
    await anyOrigin.text();
  });

  it('stops and restarts request logging at run time', async () => {
    const queue = gateway.running.gateway.observability.logQueue;
    assert.ok(queue !== undefined);
    const countLogs = async () => {
      await queue.flush();
      return ((await adminCall(gateway.url, 'GET', '/api/logs?limit=200')).data as { data: unknown[] }).data.length;
    };
    const before = await countLogs();
    await adminCall(gateway.url, 'PUT', '/api/settings', { request_logging: false });
    await (await sendMessage(gateway.url)).text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await countLogs(), before, 'not logged while off');
    await adminCall(gateway.url, 'PUT', '/api/settings', { request_logging: true });
    await (await sendMessage(gateway.url)).text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await countLogs(), before + 1, 'logged again once on');
  });

  it('refuses bad values naming the setting, and saves nothing then', async () => {
    const badOrigin = await adminCall(gateway.url, 'PUT', '/api/settings', { cors_allowed_origins: ['dashboard.example/path'], log_retention_days: 7 });
    assert.equal(badOrigin.status, 400);
    assert.equal((badOrigin.data as { error: { param: string } }).error.param, 'cors_allowed_origins');
    assert.equal(((await adminCall(gateway.url, 'GET', '/api/settings')).data as SettingsView).sources.log_retention_days, 'config');
    const badRetention = await adminCall(gateway.url, 'PUT', '/api/settings', { log_retention_days: 0 });
    assert.equal(badRetention.status, 400);
    assert.equal((badRetention.data as { error: { param: string } }).error.param, 'log_retention_days');
    assert.equal((await adminCall(gateway.url, 'PUT', '/api/settings', { unknown_setting: true })).status, 400);
  });
});

describe('saved settings after a restart (SQLite)', () => {
  let upstream: MockUpstream;
  let appDirectory: string;

  before(async () => {
    upstream = await startUpstream();
    appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-settings-'));
  });
  after(async () => {
    await upstream?.close();
    rmSync(appDirectory, { recursive: true, force: true });
  });

  it('applies the saved settings before serving the first request', async () => {
    const start = () => startGovernedGateway({ config: configFor(upstream), appDirectory, environment: ENVIRONMENT, port: 0, host: '127.0.0.1', log: () => undefined });
    const first = await start();
    try {
      const put = await adminCall(first.gateway.url, 'PUT', '/api/settings', { enforce_auth_on_inference: true, log_retention_days: 7 });
      assert.equal(put.status, 200);
    } finally {
      await first.close();
    }
    const second = await start();
    try {
      assert.equal((await sendMessage(second.gateway.url)).status, 401);
      const view = (await adminCall(second.gateway.url, 'GET', '/api/settings')).data as SettingsView;
      assert.equal(view.settings.log_retention_days, 7);
      assert.equal(view.config.log_retention_days, 30);
      assert.equal(second.gateway.observability.settings.logging.retentionDays, 7);
    } finally {
      await second.close();
    }
  });
});
