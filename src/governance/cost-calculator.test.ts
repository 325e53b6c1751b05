import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Usage } from '../core/gateway-response.js';
import { calcPrice } from '@pydantic/genai-prices';
import { CostCalculator, PRICING_PROVIDER_IDS } from './cost-calculator.js';

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheWriteTokens = 0): Usage => ({
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
});

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('CostCalculator', () => {
  const calculator = new CostCalculator({
    'openai/gpt-test': { inputPerMillionTokensUsd: 2, outputPerMillionTokensUsd: 8, cacheReadPerMillionTokensUsd: 0.5, cacheWritePerMillionTokensUsd: 2.5 },
    'local/llama-house': { inputPerMillionTokensUsd: 0.1, outputPerMillionTokensUsd: 0.2 },
    'anthropic/claude-house-finetune': { inputPerMillionTokensUsd: 1, outputPerMillionTokensUsd: 1 },
  });

  it('prices input, output, cache reads and cache writes separately from the dataset (Anthropic usage semantics)', () => {
    // Claude Sonnet 4: $3 input, $15 output, $0.30 cache read, $3.75 cache write per million tokens.
    const result = calculator.cost({ provider: 'claude', providerKind: 'anthropic', model: 'claude-sonnet-4-20250514' }, usage(1_000_000, 1_000_000, 1_000_000, 1_000_000));
    assert.equal(result.source, 'genai-prices');
    assert.equal(result.priced, true);
    close(result.costUsd, 3 + 15 + 0.3 + 3.75);
    assert.equal(result.costMicroUsd, 22_050_000);
    const uncached = calculator.cost({ provider: 'claude', providerKind: 'anthropic', model: 'claude-sonnet-4-20250514' }, usage(1_000_000, 0, 0, 0));
    close(uncached.costUsd, 3);
    const cacheReadOnly = calculator.cost({ provider: 'claude', providerKind: 'anthropic', model: 'claude-sonnet-4-20250514' }, usage(0, 0, 1_000_000, 0));
    close(cacheReadOnly.costUsd, 0.3);
  });

  it('uses config overrides first, by instance name then by kind, with all four prices', () => {
    const result = calculator.cost({ provider: 'openai', providerKind: 'openai', model: 'gpt-test' }, usage(1_000_000, 500_000, 2_000_000, 400_000));
    assert.equal(result.source, 'override');
    close(result.costUsd, 2 + 4 + 1 + 1);
    assert.equal(result.costMicroUsd, 8_000_000);
    const byKind = calculator.cost({ provider: 'my-claude', providerKind: 'anthropic', model: 'claude-house-finetune' }, usage(1_000_000, 1_000_000));
    assert.equal(byKind.source, 'override');
    close(byKind.costUsd, 2);
  });

  it('prices cache tokens of an override without cache prices at the input price', () => {
    const result = calculator.cost({ provider: 'local', providerKind: 'ollama', model: 'llama-house' }, usage(1_000_000, 1_000_000, 1_000_000, 1_000_000));
    close(result.costUsd, 0.1 + 0.2 + 0.1 + 0.1);
  });

  it('returns 0 with priced: false for an unknown model, a local provider kind, or nonsense usage — never throws', () => {
    for (const target of [
      { provider: 'openai', providerKind: 'openai', model: 'no-such-model-xyz' },
      { provider: 'ollama', providerKind: 'ollama', model: 'llama3.1' },
      { provider: 'custom', providerKind: 'unknown-kind', model: 'gpt-4o' },
    ]) {
      assert.deepEqual(calculator.cost(target, usage(1_000, 1_000)), { costUsd: 0, costMicroUsd: 0, priced: false, source: 'unpriced' });
    }
    const weird = calculator.cost({ provider: 'openai', providerKind: 'openai', model: 'gpt-4o' }, usage(Number.NaN, -5, Number.POSITIVE_INFINITY, 0));
    assert.equal(weird.priced, true);
    assert.equal(weird.costUsd, 0);
  });

  it('maps every Heimdall provider kind to a dataset provider that prices a current model', () => {
    const samples: Record<string, string> = {
      openai: 'gpt-4o',
      anthropic: 'claude-sonnet-4-20250514',
      groq: 'llama-3.3-70b-versatile',
      mistral: 'mistral-large-latest',
      deepseek: 'deepseek-chat',
      xai: 'grok-4',
      bedrock: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      vertex: 'claude-sonnet-4@20250514',
      gemini: 'gemini-2.5-pro',
      azure: 'gpt-4o',
      openrouter: 'anthropic/claude-sonnet-4.5',
      together: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
      fireworks: 'accounts/fireworks/models/llama-v3p1-8b-instruct',
      cerebras: 'llama3.1-8b',
      perplexity: 'sonar',
    };
    assert.deepEqual(Object.keys(samples).sort(), Object.keys(PRICING_PROVIDER_IDS).sort());
    for (const [kind, model] of Object.entries(samples)) {
      const result = calculator.cost({ provider: kind, providerKind: kind, model }, usage(1_000, 1_000));
      assert.equal(result.priced, true, `${kind}/${model} is priced`);
      assert.ok(result.costUsd > 0, `${kind}/${model} costs something`);
    }
  });

  it('estimates round up to whole micro-USD, so a tiny request still reserves something', () => {
    const estimate = calculator.estimate({ provider: 'openai', providerKind: 'openai', model: 'gpt-test' }, { inputTokens: 1, outputTokens: 0 });
    close(estimate.costUsd, 0.000002);
    assert.equal(estimate.costMicroUsd, 2);
    const tiny = calculator.estimate({ provider: 'local', providerKind: 'ollama', model: 'llama-house' }, { inputTokens: 1, outputTokens: 0 });
    assert.equal(tiny.costMicroUsd, 1, '0.1 micro-USD rounds up to 1');
    assert.equal(calculator.estimate({ provider: 'x', providerKind: 'ollama', model: 'unknown' }, { inputTokens: 10, outputTokens: 10 }).costMicroUsd, 0);
  });

  it('prices a model as the dataset does, the first time and once its match and rates are remembered (tiers and dated names included)', () => {
    const targets = [
      { provider: 'claude', providerKind: 'anthropic', model: 'claude-sonnet-4-20250514' },
      { provider: 'google', providerKind: 'gemini', model: 'gemini-2.5-pro' },
      { provider: 'bedrock', providerKind: 'bedrock', model: 'us.anthropic.claude-sonnet-4-20250514-v1:0' },
      { provider: 'openrouter', providerKind: 'openrouter', model: 'anthropic/claude-sonnet-4.5' },
      { provider: 'openai', providerKind: 'openai', model: 'gpt-4o' },
      // Time-of-day prices: always priced by the dataset.
      { provider: 'deepseek', providerKind: 'deepseek', model: 'deepseek-chat' },
      { provider: 'openai', providerKind: 'openai', model: 'no-such-model-xyz' },
    ];
    // Under and over Gemini 2.5 Pro's 200k-token tier.
    const usages = [usage(1_000, 1_000, 500, 100), usage(300_000, 2_000, 0, 0), usage(1_000, 1_000)];
    const warm = new CostCalculator();
    for (const target of targets) {
      for (const tokens of usages) {
        const expected = new CostCalculator().cost(target, tokens);
        assert.deepEqual(warm.cost(target, tokens), expected, `${target.model} first`);
        assert.deepEqual(warm.cost(target, tokens), expected, `${target.model} remembered`);
        const dataset = calcPrice(
          {
            input_tokens: tokens.inputTokens + tokens.cacheReadTokens + tokens.cacheWriteTokens,
            output_tokens: tokens.outputTokens,
            cache_read_tokens: tokens.cacheReadTokens,
            cache_write_tokens: tokens.cacheWriteTokens,
          },
          target.model,
          { providerId: PRICING_PROVIDER_IDS[target.providerKind] },
        );
        close(expected.costUsd, dataset?.total_price ?? 0);
        assert.equal(expected.pricedModel, dataset?.model.id);
      }
    }
    const geminiShort = warm.cost(targets[1], usage(150_000, 0));
    const geminiLong = warm.cost(targets[1], usage(300_000, 0));
    assert.ok(geminiLong.costUsd > 2 * geminiShort.costUsd + 1e-9, 'the long-context tier still applies once the match is remembered');
  });
});
