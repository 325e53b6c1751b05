import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type { GatewayRequest, ReasoningEffort } from '../../core/gateway-request.js';
import type { GeminiThinkingConfig, GeminiThinkingLevel } from './gemini-api-types.js';
import type { GeminiModelFeatures } from './gemini-model-features.js';

/** Largest thinking budget, tokens, still read as `low` effort (Claude Code's "think" ≈ 4,000). */
const LOW_EFFORT_MAX_BUDGET = 4096;
/** Largest thinking budget, tokens, still read as `medium` effort; larger is `high`. */
const MEDIUM_EFFORT_MAX_BUDGET = 16_384;

/** Thinking budget, tokens, for an effort level on budget models (`max` is the model's maximum). */
const BUDGET_FOR_EFFORT: Readonly<Record<Exclude<ReasoningEffort, 'max'>, number>> = { low: 1024, medium: 8192, high: 24_576 };

/** The effort level a budget stands for, for models that take levels. */
function effortForBudget(budgetTokens: number): ReasoningEffort {
  if (budgetTokens <= LOW_EFFORT_MAX_BUDGET) return 'low';
  if (budgetTokens <= MEDIUM_EFFORT_MAX_BUDGET) return 'medium';
  return 'high';
}

/** Gemini 3 level for an effort: Pro models take only `low` and `high`; Flash also `medium`. */
function levelForEffort(effort: ReasoningEffort, features: GeminiModelFeatures): GeminiThinkingLevel {
  switch (effort) {
    case 'low':
      return 'low';
    case 'medium':
      return features.isPro ? 'high' : 'medium';
    case 'high':
    case 'max':
      return 'high';
    default: {
      const unreachable: never = effort;
      throw new Error(`unknown effort ${String(unreachable)}`);
    }
  }
}

/**
 * The `generationConfig.thinkingConfig` for the IR reasoning request on one model, or undefined to
 * leave the model's default.
 *
 * - Level models (Gemini 3+): an explicit `effort` wins, else a budget is read as an effort (up to
 *   4,096 tokens `low`, up to 16,384 `medium`, above `high`); `disabled` is `minimal` on Flash
 *   and `low` on Pro (which cannot stop thinking; recorded); `adaptive` keeps the model's dynamic
 *   default.
 * - Budget models (Gemini 2.5): `thinkingBudget` = the budget, clamped to the model's range
 *   (recorded when changed); `adaptive` = `-1` (dynamic); an effort without budget = 1,024 / 8,192 /
 *   24,576 / the maximum; `disabled` = `0`, or the minimum on Pro models (recorded).
 * - Models without thinking control: `thinking` and `output_config.effort` are dropped (recorded).
 *
 * `includeThoughts: true` whenever reasoning is wanted, so thought summaries stream back as
 * reasoning.
 *
 * @see https://ai.google.dev/gemini-api/docs/thinking
 */
export function convertGeminiThinkingConfig(
  request: Pick<GatewayRequest, 'reasoning' | 'effort'>,
  features: GeminiModelFeatures,
  dropped: DroppedFieldLog,
): GeminiThinkingConfig | undefined {
  const reasoning = request.reasoning;
  if (reasoning === undefined && request.effort === undefined) return undefined;
  if (features.thinkingStyle === 'none') {
    if (reasoning !== undefined && reasoning.mode !== 'disabled') dropped.drop('thinking', 'this model has no reasoning control');
    if (request.effort !== undefined) dropped.drop('output_config.effort', 'this model has no reasoning control');
    return undefined;
  }
  const disabled = reasoning?.mode === 'disabled';
  const budgetTokens = reasoning?.mode === 'enabled' ? reasoning.budgetTokens : undefined;

  if (features.thinkingStyle === 'level') {
    if (disabled) {
      if (features.isPro) dropped.drop('thinking', 'this model cannot turn reasoning off; sent the lowest level');
      return { thinkingLevel: features.isPro ? 'low' : 'minimal' };
    }
    const effort = request.effort ?? (budgetTokens === undefined ? undefined : effortForBudget(budgetTokens));
    const config: GeminiThinkingConfig = { includeThoughts: true };
    if (effort !== undefined) config.thinkingLevel = levelForEffort(effort, features);
    return config;
  }

  // budget models
  if (disabled) {
    if (features.isPro) {
      dropped.drop('thinking', `this model cannot turn reasoning off; sent the smallest budget (${features.minThinkingBudget} tokens)`);
      return { thinkingBudget: features.minThinkingBudget };
    }
    return { thinkingBudget: 0 };
  }
  const config: GeminiThinkingConfig = { includeThoughts: true };
  if (budgetTokens !== undefined) {
    const clamped = Math.min(Math.max(budgetTokens, features.minThinkingBudget), features.maxThinkingBudget);
    if (clamped !== budgetTokens) dropped.drop('thinking.budget_tokens', `changed from ${budgetTokens} to ${clamped}, the model's range`);
    config.thinkingBudget = clamped;
  } else if (request.effort !== undefined) {
    config.thinkingBudget = request.effort === 'max' ? features.maxThinkingBudget : Math.min(BUDGET_FOR_EFFORT[request.effort], features.maxThinkingBudget);
  } else {
    config.thinkingBudget = -1;
  }
  return config;
}
