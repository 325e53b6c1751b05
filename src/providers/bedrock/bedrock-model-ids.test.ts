import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { anthropicModelNameFromBedrockId, bedrockBaseUrl, bedrockRuntimeUrl, isAnthropicModel } from './bedrock-model-ids.js';

describe('Bedrock model ids', () => {
  it('maps Claude model and profile ids to Anthropic model names', () => {
    const cases: Array<[string, string | undefined]> = [
      ['us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5-20250929'],
      ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'claude-sonnet-4-5-20250929'],
      ['eu.anthropic.claude-haiku-4-5-20251001-v1:0', 'claude-haiku-4-5-20251001'],
      ['apac.anthropic.claude-3-5-sonnet-20241022-v2:0', 'claude-3-5-sonnet-20241022'],
      ['anthropic.claude-3-5-haiku-20241022-v1:0', 'claude-3-5-haiku-20241022'],
      ['anthropic.claude-3-sonnet-20240229-v1:0:200k', 'claude-3-sonnet-20240229'],
      ['anthropic.claude-opus-4-6-v1', 'claude-opus-4-6'],
      ['us.anthropic.claude-sonnet-4-6', 'claude-sonnet-4-6'],
      ['meta.llama3-3-70b-instruct-v1:0', undefined],
      ['arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc', undefined],
    ];
    for (const [id, name] of cases) assert.equal(anthropicModelNameFromBedrockId(id), name, id);
  });

  it('recognises Claude by id, by ARN, or by the typed name for opaque profile ARNs', () => {
    assert.equal(isAnthropicModel('x', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'), true);
    assert.equal(isAnthropicModel('x', 'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0'), true);
    assert.equal(isAnthropicModel('claude-sonnet-4-6', 'arn:aws:bedrock:us-east-1:1:application-inference-profile/abc'), true);
    assert.equal(isAnthropicModel('my-llama', 'arn:aws:bedrock:us-east-1:1:application-inference-profile/abc'), false);
    assert.equal(isAnthropicModel('amazon.nova-pro-v1:0', 'amazon.nova-pro-v1:0'), false);
  });

  it('builds runtime URLs with the model id as one encoded path segment', () => {
    assert.equal(
      bedrockRuntimeUrl('https://bedrock-runtime.us-west-2.amazonaws.com/', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0', 'invoke-with-response-stream').href,
      'https://bedrock-runtime.us-west-2.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream',
    );
    assert.equal(
      bedrockRuntimeUrl('http://127.0.0.1:9', 'arn:aws:bedrock:us-east-1:1:application-inference-profile/abc', 'converse').pathname,
      '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Aapplication-inference-profile%2Fabc/converse',
    );
    assert.equal(bedrockBaseUrl('https://bedrock-runtime.{region}.amazonaws.com', 'eu-central-1'), 'https://bedrock-runtime.eu-central-1.amazonaws.com');
  });
});
