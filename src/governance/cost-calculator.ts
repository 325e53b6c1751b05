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

/** USD per token (and per request) of a model whose dataset price is linear in its usage up to `maxInputTokens`. */
interface LinearRates {
  /** Largest total input (cache reads and writes included) the rates hold for: the first tier's start, or unbounded. */
  maxInputTokens: number;
  perRequest: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * A dataset match remembered: the provider narrowed to the one model that matched (so that
 * `calcPrice` with `{ provider }` finds it at once) and, when the model's price has no tiers and
 * no time or date constraints, its per-token rates; null when the dataset has no price.
 */
type RememberedMatch = { provider: Provider; modelId: string; rates: LinearRates | undefined } | null;

/** The dataset's usage fields for Heimdall's token counts (the dataset counts input tokens in total, cache reads and writes included). */
function datasetUsage(inputTokens: number, outputTokens: number, cacheReadTokens: number, cacheWriteTokens: number): Record<string, number> {
  return {
    input_tokens: inputTokens + cacheReadTokens + cacheWriteTokens,
    output_tokens: outputTokens,
    cache_read_tokens: cacheReadTokens,
    cache_write_tokens: cacheWriteTokens,
  };
}

function applyRates(rates: LinearRates, inputTokens: number, outputTokens: number, cacheReadTokens: number, cacheWriteTokens: number): number {
  return rates.perRequest + inputTokens * rates.input + outputTokens * rates.output + cacheReadTokens * rates.cacheRead + cacheWriteTokens * rates.cacheWrite;
}

/**
 * The per-token rates of a model's price below its first tier (long-context surcharges start
 * above a total input size), measured with the dataset's own calculation — one request with no
 * tokens, then N tokens of each kind — and checked against it on one more usage; undefined for
 * time-dependent prices (the dataset then prices every request itself). The dataset's general
 * calculation validates its unit tables on every call, which costs tens of µs per request.
 */
function linearRates(provider: Provider, model: string): LinearRates | undefined {
  const prices = provider.models[0]?.prices;
  if (prices === undefined || Array.isArray(prices)) return undefined;
  let maxInputTokens = Number.POSITIVE_INFINITY;
  for (const value of Object.values(prices)) {
    if (typeof value !== 'object' || value === null) continue;
    for (const tier of value.tiers) maxInputTokens = Math.min(maxInputTokens, tier.start);
  }
  const probeTokens = Math.min(TOKENS_PER_MILLION, maxInputTokens);
  if (!(probeTokens >= 1_000)) return undefined;
  const price = (usage: Record<string, number>): number => {
    const result = calcPrice(usage, model, { provider });
    if (result === null || !Number.isFinite(result.total_price)) throw new Error(`no price for ${model}`);
    return result.total_price;
  };
  const tokens = probeTokens;
  const perRequest = price(datasetUsage(0, 0, 0, 0));
  const rates: LinearRates = {
    maxInputTokens,
    perRequest,
    input: (price(datasetUsage(tokens, 0, 0, 0)) - perRequest) / tokens,
    output: (price(datasetUsage(0, tokens, 0, 0)) - perRequest) / tokens,
    cacheRead: (price(datasetUsage(0, 0, tokens, 0)) - perRequest) / tokens,
    cacheWrite: (price(datasetUsage(0, 0, 0, tokens)) - perRequest) / tokens,
  };
  const probe = [Math.floor(tokens / 3), 2_345, Math.floor(tokens / 5), Math.floor(tokens / 7)] as const;
  const expected = price(datasetUsage(...probe));
  return Math.abs(applyRates(rates, ...probe) - expected) <= 1e-9 * Math.max(1, Math.abs(expected)) ? rates : undefined;
}

/** Computes request costs. Stateless apart from the overrides and a memory of dataset matches; safe to share. */
export class CostCalculator {
  readonly #overrides: ReadonlyMap<string, ModelPrice>;
  /**
   * `providerId \0 model` → the dataset's match and, for linear prices, the per-token rates.
   * Finding a provider and a model in the dataset (case-folded pattern matching over every model)
   * and its general price calculation cost tens of µs per request; tiered and time-dependent
   * prices are still computed by the dataset per request, from the matched model.
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
      const matchKey = `${providerId}\u0000${target.model}`;
      let remembered = this.#matches.get(matchKey);
      if (remembered === undefined) {
        const found = calcPrice(datasetUsage(0, 0, 0, 0), target.model, { providerId });
        const provider: Provider | undefined = found === null ? undefined : { ...found.provider, models: [found.model], fallback_model_providers: undefined };
        remembered = provider === undefined || found === null ? null : { provider, modelId: found.model.id, rates: linearRates(provider, target.model) };
        this.#remember(matchKey, remembered);
      }
      if (remembered === null) return unpriced();
      let costUsd: number;
      if (remembered.rates !== undefined && inputTokens + cacheReadTokens + cacheWriteTokens <= remembered.rates.maxInputTokens) {
        costUsd = applyRates(remembered.rates, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens);
      } else {
        const result = calcPrice(datasetUsage(inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens), target.model, { provider: remembered.provider });
        if (result === null) return unpriced();
        costUsd = result.total_price;
      }
      if (!Number.isFinite(costUsd)) return unpriced();
      return { costUsd, costMicroUsd: toMicroUsd(costUsd), priced: true, source: 'genai-prices', pricedModel: remembered.modelId };
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
