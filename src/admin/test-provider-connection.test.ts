import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import type { ProviderInstance } from '../providers/provider.js';
import { anthropicTextMessage, writeAnthropicError } from '../testing/anthropic-sse.js';
import { startMockUpstream, type MockUpstream } from '../testing/mock-upstream.js';
import { openAiChatCompletion, openAiUsage, writeOpenAiError } from '../testing/openai-chat-sse.js';
import { AdminApiError } from './admin-api-errors.js';
import { testProviderConnection } from './test-provider-connection.js';

function instanceOf(name: string, entry: Record<string, unknown>): ProviderInstance {
  const instance = buildGatewaySettings({ providers: { [name]: entry } } as Parameters<typeof buildGatewaySettings>[0], {}).providers.get(name);
  assert.ok(instance !== undefined);
  return instance;
}

describe('testProviderConnection', () => {
  let upstream: MockUpstream;

  before(async () => {
    upstream = await startMockUpstream((request, response) => {
      const authorization = String(request.headers.authorization ?? request.headers['x-api-key'] ?? '');
      const bad = authorization.includes('bad');
      if (request.url.startsWith('/v1/chat/completions')) {
        if (bad) return writeOpenAiError(response, 401, 'Incorrect API key provided: sk-bad');
        const model = (request.json as { model: string }).model;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(openAiChatCompletion({ model, text: 'OK', usage: openAiUsage(12, 1) })));
        return;
      }
      if (request.url.startsWith('/v1/messages')) {
        if (bad) return writeAnthropicError(response, 401, 'authentication_error', 'invalid x-api-key');
        const model = (request.json as { model: string }).model;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(anthropicTextMessage({ model, text: 'OK', inputTokens: 12, outputTokens: 1 })));
        return;
      }
      response.writeHead(404).end();
    });
  });
  after(() => upstream.close());

  it('sends one token through an OpenAI-compatible key (translated) and reports the answer', async () => {
    const instance = instanceOf('openai', { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ name: 'main', value: 'sk-good', models: ['gpt-test', 'gpt-*'] }] });
    const result = await testProviderConnection(instance);
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(result.status, 200);
    assert.equal(result.path, 'chat');
    assert.equal(result.model, 'gpt-test');
    assert.equal(result.key, 'main');
    assert.equal(result.output_text, 'OK');
    assert.ok(result.latency_ms >= 0);
    const sent = upstream.requests.at(-1)?.json as { model: string; max_tokens?: number; max_completion_tokens?: number; messages: unknown[] };
    assert.equal(sent.model, 'gpt-test');
    assert.equal(sent.max_completion_tokens ?? sent.max_tokens, 1);
    assert.equal(upstream.requests.at(-1)?.headers.authorization, 'Bearer sk-good');
  });

  it("reports the upstream's 401 and its message as a failed result, through the key asked for", async () => {
    const instance = instanceOf('openai', {
      type: 'openai',
      base_url: `${upstream.url}/v1`,
      keys: [
        { name: 'main', value: 'sk-good' },
        { name: 'old', value: 'sk-bad' },
      ],
    });
    const result = await testProviderConnection(instance, { key: 'old', model: 'gpt-other' });
    assert.equal(result.ok, false);
    assert.equal(result.status, 401);
    assert.equal(result.key, 'old');
    assert.equal(result.model, 'gpt-other');
    assert.match(result.error ?? '', /Incorrect API key/);
    assert.equal(result.output_text, undefined);
  });

  it('goes through the Anthropic passthrough for an Anthropic provider, success and 401', async () => {
    const good = instanceOf('anthropic', { type: 'anthropic', base_url: upstream.url, keys: [{ name: 'k1', value: 'sk-ant-good' }] });
    const result = await testProviderConnection(good, { model: 'claude-test' });
    assert.deepEqual({ ok: result.ok, status: result.status, path: result.path, output: result.output_text }, { ok: true, status: 200, path: 'messages', output: 'OK' });
    const sent = upstream.requests.at(-1);
    assert.equal(sent?.headers['x-api-key'], 'sk-ant-good');
    assert.equal((sent?.json as { max_tokens: number }).max_tokens, 1);

    const bad = instanceOf('anthropic', { type: 'anthropic', base_url: upstream.url, keys: [{ name: 'k1', value: 'sk-ant-bad' }] });
    const refused = await testProviderConnection(bad, { model: 'claude-test' });
    assert.deepEqual({ ok: refused.ok, status: refused.status, error: refused.error }, { ok: false, status: 401, error: 'invalid x-api-key' });
  });

  it('reports an unreachable upstream with status null', async () => {
    const instance = instanceOf('openai', { type: 'openai', base_url: 'http://127.0.0.1:9/v1', keys: [{ name: 'main', value: 'sk-good' }] });
    const result = await testProviderConnection(instance, { model: 'gpt-test' });
    assert.equal(result.ok, false);
    assert.equal(result.status, null);
    assert.ok((result.error ?? '').length > 0);
  });

  it('refuses an unknown key (404) and a provider without any model to test (400)', async () => {
    const instance = instanceOf('openai', { type: 'openai', base_url: `${upstream.url}/v1`, keys: [{ name: 'main', value: 'sk-good' }] });
    await assert.rejects(testProviderConnection(instance, { key: 'nope', model: 'm' }), (error: unknown) => error instanceof AdminApiError && error.status === 404);
    await assert.rejects(testProviderConnection(instance), (error: unknown) => error instanceof AdminApiError && error.status === 400 && error.param === 'model');
  });
});
