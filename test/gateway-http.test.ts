import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildGatewaySettings } from '../src/config/gateway-settings.js';
import { startGateway, type RunningGateway } from '../src/start-gateway.js';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';

/**
 * The gateway's HTTP surface outside the translation paths: health, discovery, CORS, routing
 * errors, body limits, count_tokens and the model list — all answered in Anthropic's shapes.
 */
describe('gateway HTTP surface', () => {
  let anthropicMock: MockUpstream;
  let gateway: RunningGateway;

  before(async () => {
    anthropicMock = await startMockUpstream((request, response) => {
      if (request.url === '/v1/messages/count_tokens') {
        response.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_count' });
        response.end(JSON.stringify({ input_tokens: 4242 }));
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'nope' } }));
    });
    const settings = buildGatewaySettings(
      {
        server: { max_body_bytes: 4096, cors: { allowed_headers: ['X-Custom-Header'] } },
        providers: {
          anthropic: { base_url: anthropicMock.url, keys: [{ value: 'sk-provider' }], models: ['claude-sonnet-4-6', 'claude-haiku-4-5'] },
          estimator: { type: 'anthropic', base_url: anthropicMock.url, keys: [{ value: 'sk-2' }], models: ['x'] },
        },
      },
      {},
    );
    settings.port = 0;
    gateway = await startGateway(settings);
  });

  after(async () => {
    await gateway.close();
    await anthropicMock.close();
  });

  async function errorOf(response: Response): Promise<{ type: string; message: string }> {
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    assert.equal(body.type, 'error');
    return body.error;
  }

  it('answers /health and the HEAD Claude Code sends to its base URL', async () => {
    const health = await fetch(`${gateway.url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', providers: ['anthropic', 'estimator'] });
    const head = await fetch(`${gateway.url}/anthropic`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });

  it('answers CORS preflights with the default and configured headers', async () => {
    const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key' },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), '*');
    const allowed = response.headers.get('access-control-allow-headers') ?? '';
    for (const header of ['content-type', 'authorization', 'x-requested-with', 'x-stainless-timeout', 'x-api-key', 'x-custom-header']) {
      assert.ok(allowed.includes(header), `${header} should be allowed: ${allowed}`);
    }
  });

  it('answers unknown routes and methods in Anthropic error shape', async () => {
    const missing = await fetch(`${gateway.url}/anthropic/v1/nothing`, { method: 'POST', body: '{}' });
    assert.equal(missing.status, 404);
    assert.equal((await errorOf(missing)).type, 'not_found_error');
    const wrongMethod = await fetch(`${gateway.url}/anthropic/v1/messages`);
    assert.equal(wrongMethod.status, 405);
    assert.equal((await errorOf(wrongMethod)).type, 'invalid_request_error');
  });

  it('refuses malformed JSON, a missing model and an oversized body with the right status', async () => {
    const malformed = await fetch(`${gateway.url}/anthropic/v1/messages`, { method: 'POST', body: '{"model":' });
    assert.equal(malformed.status, 400);
    assert.match((await errorOf(malformed)).message, /not valid JSON/);

    const noModel = await fetch(`${gateway.url}/anthropic/v1/messages`, { method: 'POST', body: '{"max_tokens":1,"messages":[]}' });
    assert.equal(noModel.status, 400);
    assert.equal((await errorOf(noModel)).message, 'model: Field required');

    const tooLarge = await fetch(`${gateway.url}/anthropic/v1/messages`, { method: 'POST', body: JSON.stringify({ padding: 'x'.repeat(10_000) }) });
    assert.equal(tooLarge.status, 413);
    assert.equal((await errorOf(tooLarge)).type, 'request_too_large');

    const unknownProvider = await fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      body: JSON.stringify({ model: 'nobody/model', max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(unknownProvider.status, 400);
    assert.match((await errorOf(unknownProvider)).message, /configured providers: anthropic \(claude-sonnet-4-6, claude-haiku-4-5\), estimator \(x\)/);
  });

  it('lists configured models in Anthropic format, with pagination', async () => {
    const response = await fetch(`${gateway.url}/anthropic/v1/models?limit=2`);
    const page = (await response.json()) as { data: Array<{ id: string; type: string }>; has_more: boolean; first_id: string; last_id: string };
    assert.deepEqual(
      page.data.map((model) => model.id),
      ['claude-sonnet-4-6', 'claude-haiku-4-5'],
    );
    assert.equal(page.has_more, true);
    assert.equal(page.data[0].type, 'model');
    const next = (await (await fetch(`${gateway.url}/anthropic/v1/models?after_id=${page.last_id}`)).json()) as { data: Array<{ id: string }>; has_more: boolean };
    assert.deepEqual(
      next.data.map((model) => model.id),
      ['estimator/x'],
    );
    assert.equal(next.has_more, false);
    const one = await fetch(`${gateway.url}/anthropic/v1/models/estimator%2Fx`);
    assert.equal(one.status, 200);
    const unknown = await fetch(`${gateway.url}/anthropic/v1/models/gpt-0`);
    assert.equal(unknown.status, 404);
  });

  it('counts tokens exactly through the provider for Anthropic-speaking providers, never with a completion call', async () => {
    const before = anthropicMock.requests.length;
    const response = await fetch(`${gateway.url}/anthropic/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'x-api-key': 'caller-key' },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hello' }] }),
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-heimdall-token-count'), 'exact');
    assert.deepEqual(await response.json(), { input_tokens: 4242 });
    const upstream = anthropicMock.requests.slice(before);
    assert.deepEqual(
      upstream.map((request) => request.url),
      ['/v1/messages/count_tokens'],
    );
    assert.equal(upstream[0].headers['x-api-key'], 'sk-provider');
  });
});
