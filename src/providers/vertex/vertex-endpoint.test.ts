import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VERTEX_ANTHROPIC_VERSION, vertexAnthropicBody } from './vertex-anthropic-client.js';
import { VERTEX_GLOBAL_BASE_URL, encodeModelSegment, vertexBaseUrl } from './vertex-endpoint.js';
import { anthropicClaudeModelName, isClaudeModelName, vertexClaudeModelName } from './vertex-model-name.js';

describe('Vertex AI endpoint and names', () => {
  it('derives the API origin from the location unless a base URL is configured', () => {
    assert.equal(vertexBaseUrl({ baseUrl: VERTEX_GLOBAL_BASE_URL, region: 'us-east5' }), 'https://us-east5-aiplatform.googleapis.com');
    assert.equal(vertexBaseUrl({ baseUrl: VERTEX_GLOBAL_BASE_URL, region: 'global' }), 'https://aiplatform.googleapis.com');
    assert.equal(vertexBaseUrl({ baseUrl: VERTEX_GLOBAL_BASE_URL }), 'https://aiplatform.googleapis.com');
    assert.equal(vertexBaseUrl({ baseUrl: 'http://127.0.0.1:9999/', region: 'us-east5' }), 'http://127.0.0.1:9999');
  });

  it('maps Claude model names between Vertex (@date) and Anthropic (-date)', () => {
    assert.equal(vertexClaudeModelName('claude-sonnet-4-5-20250929'), 'claude-sonnet-4-5@20250929');
    assert.equal(vertexClaudeModelName('claude-sonnet-4-5@20250929'), 'claude-sonnet-4-5@20250929');
    assert.equal(vertexClaudeModelName('claude-sonnet-4-6'), 'claude-sonnet-4-6');
    assert.equal(anthropicClaudeModelName('claude-opus-4-1@20250805'), 'claude-opus-4-1-20250805');
    assert.equal(isClaudeModelName('claude-haiku-4-5@20251001'), true);
    assert.equal(isClaudeModelName('gemini-2.5-pro'), false);
    assert.equal(encodeModelSegment('claude-sonnet-4-5@20250929'), 'claude-sonnet-4-5@20250929');
    assert.equal(encodeModelSegment('a/b c'), 'a%2Fb%20c');
  });

  it('turns an Anthropic body into a rawPredict body', () => {
    const body = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5@20250929', max_tokens: 5, messages: [] }));
    assert.deepEqual(JSON.parse(vertexAnthropicBody(body).toString()), { max_tokens: 5, messages: [], anthropic_version: VERTEX_ANTHROPIC_VERSION });
    assert.deepEqual(JSON.parse(vertexAnthropicBody(body, { keepModel: 'claude-x@1' }).toString()), {
      model: 'claude-x@1',
      max_tokens: 5,
      messages: [],
      anthropic_version: VERTEX_ANTHROPIC_VERSION,
    });
    assert.throws(() => vertexAnthropicBody(Buffer.from('[1]')), /JSON object/);
  });
});
