import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convertOpenAIUsage } from './convert-openai-usage.js';

describe('convertOpenAIUsage', () => {
  it('takes cached prompt tokens out of the input tokens', () => {
    assert.deepEqual(
      convertOpenAIUsage({ prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050, prompt_tokens_details: { cached_tokens: 800 } }),
      { inputTokens: 200, outputTokens: 50, cacheReadTokens: 800, cacheWriteTokens: 0 },
    );
  });

  it('reads DeepSeek’s prompt_cache_hit_tokens and Moonshot’s top-level cached_tokens', () => {
    assert.equal(convertOpenAIUsage({ prompt_tokens: 339, completion_tokens: 1, prompt_cache_hit_tokens: 320 })?.cacheReadTokens, 320);
    assert.equal(convertOpenAIUsage({ prompt_tokens: 20, completion_tokens: 1, cached_tokens: 10 })?.inputTokens, 10);
  });

  it('keeps reasoning inside output tokens where completion_tokens includes it (OpenAI)', () => {
    assert.deepEqual(
      convertOpenAIUsage({ prompt_tokens: 10, completion_tokens: 300, total_tokens: 310, completion_tokens_details: { reasoning_tokens: 250 } }),
      { inputTokens: 10, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 250 },
    );
  });

  it('adds reasoning to output tokens where the total shows it was left out (xAI)', () => {
    assert.deepEqual(
      convertOpenAIUsage({ prompt_tokens: 10, completion_tokens: 50, total_tokens: 310, completion_tokens_details: { reasoning_tokens: 250 } }),
      { inputTokens: 10, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 250 },
    );
  });

  it('returns undefined for missing or empty usage and never goes negative', () => {
    assert.equal(convertOpenAIUsage(null), undefined);
    assert.equal(convertOpenAIUsage(undefined), undefined);
    assert.equal(convertOpenAIUsage({ queue_time: 0.1 }), undefined);
    assert.equal(convertOpenAIUsage({ prompt_tokens: 5, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 9 } })?.inputTokens, 0);
  });
});
