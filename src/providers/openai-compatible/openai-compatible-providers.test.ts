import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerRegistry } from '../registry.js';
import { normalizeToolCallId } from './normalize-tool-call-id.js';
import type { OpenAICompatibleProviderDefinition } from './define-openai-compatible-provider.js';
import { resolveQuirks } from './openai-compatible-quirks.js';

const expected: Array<{ kind: string; baseUrl?: string; keyVariable?: string; requiresKey: boolean }> = [
  { kind: 'openai', baseUrl: 'https://api.openai.com/v1', keyVariable: 'OPENAI_API_KEY', requiresKey: true },
  { kind: 'groq', baseUrl: 'https://api.groq.com/openai/v1', keyVariable: 'GROQ_API_KEY', requiresKey: true },
  { kind: 'mistral', baseUrl: 'https://api.mistral.ai/v1', keyVariable: 'MISTRAL_API_KEY', requiresKey: true },
  { kind: 'deepseek', baseUrl: 'https://api.deepseek.com/v1', keyVariable: 'DEEPSEEK_API_KEY', requiresKey: true },
  { kind: 'xai', baseUrl: 'https://api.x.ai/v1', keyVariable: 'XAI_API_KEY', requiresKey: true },
  { kind: 'cerebras', baseUrl: 'https://api.cerebras.ai/v1', keyVariable: 'CEREBRAS_API_KEY', requiresKey: true },
  { kind: 'openrouter', baseUrl: 'https://openrouter.ai/api/v1', keyVariable: 'OPENROUTER_API_KEY', requiresKey: true },
  { kind: 'together', baseUrl: 'https://api.together.xyz/v1', keyVariable: 'TOGETHER_API_KEY', requiresKey: true },
  { kind: 'fireworks', baseUrl: 'https://api.fireworks.ai/inference/v1', keyVariable: 'FIREWORKS_API_KEY', requiresKey: true },
  { kind: 'perplexity', baseUrl: 'https://api.perplexity.ai', keyVariable: 'PERPLEXITY_API_KEY', requiresKey: true },
  { kind: 'ollama', baseUrl: 'http://localhost:11434/v1', requiresKey: false },
  { kind: 'vllm', requiresKey: false },
  { kind: 'lmstudio', baseUrl: 'http://localhost:1234/v1', requiresKey: false },
  { kind: 'openai-compatible', requiresKey: false },
];

describe('OpenAI-compatible provider definitions', () => {
  it('registers every kind with its base URL, key variable and a chat client', () => {
    for (const entry of expected) {
      const definition = providerRegistry.get(entry.kind) as OpenAICompatibleProviderDefinition | undefined;
      assert.ok(definition !== undefined, `${entry.kind} is registered`);
      assert.equal(definition.defaultBaseUrl, entry.baseUrl, entry.kind);
      assert.equal(definition.apiKeyEnvironmentVariable, entry.keyVariable, entry.kind);
      assert.equal(definition.requiresKey, entry.requiresKey, entry.kind);
      assert.ok(definition.displayName.length > 0);
      const client = definition.createClient({
        name: entry.kind,
        definition,
        baseUrl: entry.baseUrl ?? 'http://127.0.0.1:1/v1',
        keys: [],
        headers: {},
        models: [],
        timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
      });
      assert.ok(client.chat !== undefined, `${entry.kind} has a chat client`);
      assert.equal(client.messages, undefined);
    }
  });

  it('resolves model overrides in order, leaving other models alone', () => {
    const openAI = (providerRegistry.get('openai') as OpenAICompatibleProviderDefinition).quirks;
    assert.equal(resolveQuirks(openAI, 'o3-mini').systemRole, 'developer');
    assert.equal(resolveQuirks(openAI, 'gpt-5.1').supportsSamplingParameters, false);
    assert.equal(resolveQuirks(openAI, 'gpt-5-chat-latest').systemRole, 'system');
    assert.equal(resolveQuirks(openAI, 'gpt-4.1').reasoning.style, 'none');
    assert.equal('modelOverrides' in resolveQuirks(openAI, 'o3'), false);
  });

  it('maps tool call ids to fixed-length alphanumeric ids deterministically', () => {
    assert.equal(normalizeToolCallId('gSIMJiOkT', 9), 'gSIMJiOkT');
    const mapped = normalizeToolCallId('toolu_01A09q90qw90lq917835lq9', 9);
    assert.match(mapped, /^[A-Za-z0-9]{9}$/);
    assert.equal(normalizeToolCallId('toolu_01A09q90qw90lq917835lq9', 9), mapped);
    assert.notEqual(normalizeToolCallId('toolu_01B', 9), normalizeToolCallId('toolu_01C', 9));
    assert.equal(normalizeToolCallId('x', 40).length, 40);
  });
});
