import { calcPrice, type Provider } from '@pydantic/genai-prices';
import type { Usage } from '../core/gateway-response.js';

/**
 * Cost of a request in USD from its token usage: per-model overrides from the config first, then
 * the maintained `@pydantic/genai-prices` dataset (bundled with the package; updated by upgrading
 * it). Input, output, cache-read and cache-write tokens are priced separately, and tiered prices
 * (long-context surcharges) are applied by the dataset. An unknown model costs 0 with
 * `priced: false`; nothing here throws.
 */

/** A model's price, USD per million tokens. */
export interface ModelPrice {
  inputPerMillionTokensUsd: number;
  outputPerMillionTokensUsd: number;
  /** Default: the input price (conservative when the provider has no cache discount). */
  cacheReadPerMillionTokensUsd?: number;
  /** Default: the input price. */
  cacheWritePerMillionTokensUsd?: number;
}

/** Where a cost came from. */
export type CostSource = 'override' | 'genai-prices' | 'unpriced';

/** The cost of one request. */
export interface CostResult {
  /** USD. */
  costUsd: number;
  /** Integer micro-USD (1e-6 USD), rounded to nearest: what budgets are charged. */
  costMicroUsd: number;
  /** False when no price was found: the cost is 0 and the request was not charged. */
  priced: boolean;
  source: CostSource;
  /** The dataset's model id that matched, when the dataset priced it. */
  pricedModel?: string;
}

/** Which model a cost is for. */
export interface PricingTarget {
  /** Provider instance name (the `provider/` prefix of model names). */
  provider: string;
  /** Provider kind in the registry (`openai`, `bedrock`, …): picks the dataset's provider. */
  providerKind: string;
  /** The model name as the upstream knows it. */
  model: string;
}

/**
 * Heimdall provider kinds → `@pydantic/genai-prices` provider ids. Kinds absent here (local
 * servers: ollama, vllm, lmstudio, openai-compatible) are not priced unless the config gives an
 * override: guessing a cloud price for a self-hosted model would be wrong.
 */
export const PRICING_PROVIDER_IDS: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  groq: 'groq',
  mistral: 'mistral',
  deepseek: 'deepseek',
  xai: 'x-ai',
  bedrock: 'aws',
  vertex: 'google',
  gemini: 'google',
  azure: 'azure',
  openrouter: 'openrouter',
  together: 'together',
  fireworks: 'fireworks',
  cerebras: 'cerebras',
  perplexity: 'perplexity',
};

const TOKENS_PER_MILLION = 1_000_000;

/** USD → integer micro-USD, rounded to nearest. */
export function toMicroUsd(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/** Integer micro-USD → USD. */
export function fromMicroUsd(microUsd: number): number {
  return microUsd / 1_000_000;
}

function sanitizeCount(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** Distinct provider/model dataset matches remembered before the memory starts over. */
const MAX_REMEMBERED_MATCHES = 1_000;

/**
 * A dataset match remembered: the provider narrowed to the one model that matched (so that
 * `calcPrice` with `{ provider }` finds it at once), or null when the dataset has no price.
 */
type RememberedMatch = Provider | null;

/** Computes request costs. Stateless apart from the overrides and a memory of dataset matches; safe to share. */
export class CostCalculator {
  readonly #overrides: ReadonlyMap<string, ModelPrice>;
  /**
   * `providerId \0 model` → the dataset's match. Finding a provider and a model in the dataset
   * (case-folded pattern matching over every model) costs far more than pricing the usage; the
   * price itself (tiers, time constraints) is still computed per request from the matched model.
   */
  readonly #matches = new Map<string, RememberedMatch>();

  /**
   * @param overrides prices keyed by `provider/model`, where `provider` is an instance name or a
   *   provider kind (the instance name is looked up first)
   */
  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.#overrides = new Map(Object.entries(overrides));
  }

  /** The cost of `usage` (Heimdall's `Usage`: `inputTokens` excludes cache reads and writes). */
  cost(target: PricingTarget, usage: Usage): CostResult {
    const inputTokens = sanitizeCount(usage.inputTokens);
    const outputTokens = sanitizeCount(usage.outputTokens);
    const cacheReadTokens = sanitizeCount(usage.cacheReadTokens);
    const cacheWriteTokens = sanitizeCount(usage.cacheWriteTokens);

    const override = this.#overrides.get(`${target.provider}/${target.model}`) ?? this.#overrides.get(`${target.providerKind}/${target.model}`);
    if (override !== undefined) {
      const costUsd =
        (inputTokens * override.inputPerMillionTokensUsd +
          outputTokens * override.outputPerMillionTokensUsd +
          cacheReadTokens * (override.cacheReadPerMillionTokensUsd ?? override.inputPerMillionTokensUsd) +
          cacheWriteTokens * (override.cacheWritePerMillionTokensUsd ?? override.inputPerMillionTokensUsd)) /
        TOKENS_PER_MILLION;
      return { costUsd, costMicroUsd: toMicroUsd(costUsd), priced: true, source: 'override' };
    }

    const providerId = PRICING_PROVIDER_IDS[target.providerKind];
    if (providerId === undefined) return unpriced();
    try {
      // The dataset counts input tokens in total, cache reads and writes included.
      const datasetUsage = {
        input_tokens: inputTokens + cacheReadTokens + cacheWriteTokens,
        output_tokens: outputTokens,
        cache_read_tokens: cacheReadTokens,
        cache_write_tokens: cacheWriteTokens,
      };
      const matchKey = `${providerId}\u0000${target.model}`;
      const remembered = this.#matches.get(matchKey);
      if (remembered === null) return unpriced();
      const result = calcPrice(datasetUsage, target.model, remembered === undefined ? { providerId } : { provider: remembered });
      if (remembered === undefined) this.#remember(matchKey, result === null ? null : { ...result.provider, models: [result.model], fallback_model_providers: undefined });
      if (result === null || !Number.isFinite(result.total_price)) return unpriced();
      return { costUsd: result.total_price, costMicroUsd: toMicroUsd(result.total_price), priced: true, source: 'genai-prices', pricedModel: result.model.id };
    } catch {
      return unpriced();
    }
  }

  #remember(key: string, match: RememberedMatch): void {
    if (this.#matches.size >= MAX_REMEMBERED_MATCHES) this.#matches.clear();
    this.#matches.set(key, match);
  }

  /**
   * The cost of an expected usage, rounded up to whole micro-USD (what a reservation holds).
   * `priced: false` means the estimate is 0 because the model has no price.
   */
  estimate(target: PricingTarget, expected: { inputTokens: number; outputTokens: number }): CostResult {
    const result = this.cost(target, { inputTokens: expected.inputTokens, outputTokens: expected.outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 });
    return { ...result, costMicroUsd: Math.max(0, Math.ceil(result.costUsd * 1_000_000 - 1e-9)) };
  }
}

function unpriced(): CostResult {
  return { costUsd: 0, costMicroUsd: 0, priced: false, source: 'unpriced' };
}
