import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { RunningGateway } from '../../start-gateway.js';
import { anthropicTextEvents, writeAnthropicSse, anthropicMessageFromEvents } from '../../testing/anthropic-sse.js';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../../testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from '../../testing/openai-chat-sse.js';
import { startTestGateway } from '../../testing/test-gateway.js';
import { azureChatCompletionsUrl, azureFoundryAnthropicUrl, azureResourceRoot } from './azure-urls.js';
import { entraTokenRequestBody, entraTokenUrl } from './entra-token-provider.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

describe('Azure URL building', () => {
  it('builds deployment URLs with api-version, and v1 URLs without', () => {
    for (const base of ['https://res.openai.azure.com', 'https://res.openai.azure.com/', 'https://res.openai.azure.com/openai', 'https://res.openai.azure.com/openai/v1/']) {
      assert.equal(azureResourceRoot(base), 'https://res.openai.azure.com');
      assert.equal(
        azureChatCompletionsUrl(base, 'my gpt/5', '2024-10-21').href,
        'https://res.openai.azure.com/openai/deployments/my%20gpt%2F5/chat/completions?api-version=2024-10-21',
      );
      assert.equal(azureChatCompletionsUrl(base, 'gpt-5', undefined).href, 'https://res.openai.azure.com/openai/v1/chat/completions');
    }
  });

  it('builds Foundry Anthropic URLs whether or not the base ends in /anthropic', () => {
    for (const base of ['https://res.services.ai.azure.com', 'https://res.services.ai.azure.com/anthropic', 'https://res.services.ai.azure.com/anthropic/v1/']) {
      assert.equal(azureFoundryAnthropicUrl(base, '/v1/messages').href, 'https://res.services.ai.azure.com/anthropic/v1/messages');
    }
    assert.equal(azureFoundryAnthropicUrl('https://r.services.ai.azure.com/anthropic', '/v1/messages/count_tokens').pathname, '/anthropic/v1/messages/count_tokens');
  });

  it('builds the Entra client-credentials token request', () => {
    const credentials = { tenantId: 'tenant-1', clientId: 'client-1', clientSecret: 's&cret', authorityHost: 'https://login.example/' };
    assert.equal(entraTokenUrl(credentials).href, 'https://login.example/tenant-1/oauth2/v2.0/token');
    assert.equal(entraTokenUrl({ ...credentials, authorityHost: undefined }).href, 'https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token');
    const form = new URLSearchParams(entraTokenRequestBody(credentials, 'https://cognitiveservices.azure.com/.default'));
    assert.deepEqual(Object.fromEntries(form), {
      grant_type: 'client_credentials',
      client_id: 'client-1',
      client_secret: 's&cret',
      scope: 'https://cognitiveservices.azure.com/.default',
    });
  });
});

describe('Azure providers through the gateway', () => {
  let azureMock: MockUpstream;
  let tokenMock: MockUpstream;
  let gateway: RunningGateway;
  let tokensIssued = 0;

  before(async () => {
    azureMock = await startMockUpstream(async (request, response) => {
      const path = new URL(request.url, 'http://mock').pathname;
      if (path.endsWith('/chat/completions')) {
        if (isRecord(request.json) && request.json.stream === true) {
          await writeOpenAiChatSse(response, openAiChatStreamChunks({ model: 'gpt-5', text: 'azure streamed answer', usage: openAiUsage(10, 4) }));
        } else {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(openAiChatCompletion({ model: 'gpt-5', text: 'azure answer' })));
        }
        return;
      }
      if (path === '/anthropic/v1/messages') {
        await writeAnthropicSse(response, anthropicTextEvents({ model: 'foundry-deployment', text: 'foundry answer' }));
        return;
      }
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"no route"}}');
    });
    tokenMock = await startMockUpstream((_request, response) => {
      tokensIssued += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, access_token: `entra-token-${tokensIssued}` }));
    });
    const entra = { tenant_id: 'tenant-1', client_id: 'client-1', client_secret: 'secret-1', authority_host: tokenMock.url };
    gateway = await startTestGateway({
      providers: {
        azure: {
          base_url: `${azureMock.url}/`,
          api_version: '2024-10-21',
          keys: [{ value: 'azure-key-1', deployments: { 'gpt-5': 'key-gpt5-deployment' } }],
          deployments: { 'gpt-5': 'provider-gpt5-deployment', 'gpt-4o': 'provider-gpt4o-deployment' },
        },
        'azure-v1': { type: 'azure', base_url: `${azureMock.url}/openai/v1`, keys: [{ value: 'azure-key-2' }], deployments: { 'gpt-5': 'v1-deployment' } },
        'azure-entra': { type: 'azure', base_url: azureMock.url, api_version: '2025-01-01-preview', entra },
        foundry: {
          type: 'azure-foundry',
          base_url: `${azureMock.url}/anthropic`,
          keys: [{ value: 'foundry-key' }],
          deployments: { 'claude-sonnet-4-6': 'my-claude-deployment' },
        },
        'foundry-entra': { type: 'azure-foundry', base_url: azureMock.url, entra: { ...entra, tenant_id: 'tenant-2' } },
      },
    });
  });

  after(async () => {
    await gateway.close();
    await azureMock.close();
    await tokenMock.close();
  });

  beforeEach(() => {
    azureMock.requests.length = 0;
    tokenMock.requests.length = 0;
  });

  function post(model: string, stream = false): Promise<Response> {
    return fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
  }

  function single(requests: RecordedRequest[]): RecordedRequest {
    assert.equal(requests.length, 1);
    return requests[0];
  }

  it("calls the key's deployment with api-version and api-key, with OpenAI's quirks for the typed model", async () => {
    const response = await post('azure/gpt-5');
    assert.equal(response.status, 200);
    const message = (await response.json()) as { content: unknown[] };
    assert.deepEqual(message.content, [{ type: 'text', text: 'azure answer' }]);
    const upstream = single(azureMock.requests);
    assert.equal(upstream.url, '/openai/deployments/key-gpt5-deployment/chat/completions?api-version=2024-10-21', "the key's deployment wins over the provider's");
    assert.equal(upstream.headers['api-key'], 'azure-key-1');
    assert.equal(upstream.headers.authorization, undefined);
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.max_completion_tokens, 64, 'gpt-5 gets the reasoning-model quirks');
  });

  it("falls back to the provider's deployment, and streams", async () => {
    const response = await post('azure/gpt-4o', true);
    const events = (await response.text())
      .split('\n\n')
      .filter((frame) => frame.includes('data: '))
      .map((frame) => JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as unknown);
    assert.deepEqual(anthropicMessageFromEvents(events).content, [{ type: 'text', text: 'azure streamed answer' }]);
    assert.equal(single(azureMock.requests).url, '/openai/deployments/provider-gpt4o-deployment/chat/completions?api-version=2024-10-21');
  });

  it('uses the v1 API without api-version, the deployment as model', async () => {
    assert.equal((await post('azure-v1/gpt-5')).status, 200);
    const upstream = single(azureMock.requests);
    assert.equal(upstream.url, '/openai/v1/chat/completions');
    assert.equal(upstream.headers['api-key'], 'azure-key-2');
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.model, 'v1-deployment');
  });

  it('fetches an Entra ID token once, caches it, and sends it as Bearer', async () => {
    const before = tokensIssued;
    assert.equal((await post('azure-entra/gpt-4o')).status, 200);
    assert.equal((await post('azure-entra/gpt-4o')).status, 200);
    assert.equal(tokensIssued - before, 1, 'the token is reused while valid');
    for (const upstream of azureMock.requests) {
      assert.equal(upstream.headers.authorization, `Bearer entra-token-${tokensIssued}`);
      assert.equal(upstream.headers['api-key'], undefined);
      assert.equal(upstream.url, '/openai/deployments/gpt-4o/chat/completions?api-version=2025-01-01-preview', 'without a mapping the model name is the deployment');
    }
    const tokenRequest = tokenMock.requests[0];
    assert.equal(tokenRequest.url, '/tenant-1/oauth2/v2.0/token');
    assert.equal(tokenRequest.headers['content-type'], 'application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(tokenRequest.body.toString('utf8')));
    assert.deepEqual(form, { grant_type: 'client_credentials', client_id: 'client-1', client_secret: 'secret-1', scope: 'https://cognitiveservices.azure.com/.default' });
  });

  it('passes Claude through Foundry with the deployment as model and x-api-key', async () => {
    const response = await post('foundry/claude-sonnet-4-6', true);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /foundry answer/);
    const upstream = single(azureMock.requests);
    assert.equal(upstream.url, '/anthropic/v1/messages');
    assert.equal(upstream.headers['x-api-key'], 'foundry-key');
    assert.equal(upstream.headers['anthropic-version'], '2023-06-01');
    assert.ok(isRecord(upstream.json));
    assert.equal(upstream.json.model, 'my-claude-deployment');
  });

  it('sends a Foundry Entra token obtained with the Foundry scope', async () => {
    assert.equal((await post('foundry-entra/claude-haiku-4-5')).status, 200);
    const form = Object.fromEntries(new URLSearchParams(tokenMock.requests[0].body.toString('utf8')));
    assert.equal(form.scope, 'https://ai.azure.com/.default');
    assert.equal(tokenMock.requests[0].url, '/tenant-2/oauth2/v2.0/token');
    assert.match(String(azureMock.requests[0].headers.authorization), /^Bearer entra-token-\d+$/);
    assert.equal(azureMock.requests[0].headers['x-api-key'], undefined);
  });
});

describe('Azure Entra failures', () => {
  it('answers 401 with the token endpoint reason', async () => {
    const tokenMock = await startMockUpstream((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }));
    });
    const upstream = await startMockUpstream((_request, response) => {
      response.writeHead(500);
      response.end();
    });
    const gateway = await startTestGateway({
      providers: { azure: { base_url: upstream.url, entra: { tenant_id: 't', client_id: 'c', client_secret: 'wrong', authority_host: tokenMock.url } } },
    });
    try {
      const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'azure/gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(response.status, 401);
      const body = (await response.json()) as { error: { type: string; message: string } };
      assert.equal(body.error.type, 'authentication_error');
      assert.match(body.error.message, /AADSTS7000215/);
      assert.equal(upstream.requests.length, 0, 'nothing reached Azure OpenAI');
    } finally {
      await gateway.close();
      await upstream.close();
      await tokenMock.close();
    }
  });
});
