import type { DroppedFieldLog } from '../../core/dropped-fields.js';
import type { GatewayRequest, ReasoningEffort } from '../../core/gateway-request.js';
import type { OpenAIChatRequestBody } from './openai-chat-api-types.js';
import type { ResolvedQuirks } from './openai-compatible-quirks.js';

/** The reasoning fields of a Chat Completions body. */
export type ReasoningRequestFields = Pick<OpenAIChatRequestBody, 'reasoning_effort' | 'reasoning' | 'thinking'>;

/** Largest thinking budget, in tokens, still read as `low` effort. */
export const LOW_EFFORT_MAX_BUDGET = 4096;
/** Largest thinking budget, in tokens, still read as `medium` effort; larger budgets are `high`. */
export const MEDIUM_EFFORT_MAX_BUDGET = 16384;

/**
 * The effort level a thinking budget stands for, for providers that take levels rather than
 * budgets: up to 4,096 tokens `low`, up to 16,384 `medium`, above that `high`. (Claude Code's
 * "think" asks for about 4,000 tokens, "think hard" about 10,000, "ultrathink" about 32,000.)
 * A budget never maps to `max`; only an explicit effort does.
 */
export function effortForBudget(budgetTokens: number): ReasoningEffort {
  if (budgetTokens <= LOW_EFFORT_MAX_BUDGET) return 'low';
  if (budgetTokens <= MEDIUM_EFFORT_MAX_BUDGET) return 'medium';
  return 'high';
}

/**
 * Turns the IR reasoning request (`reasoning` mode/budget and `effort`) into the provider's fields.
 *
 * - An explicit `effort` wins over a budget; a budget is read through {@link effortForBudget}.
 * - `adaptive` without an effort leaves the level to the provider (its default), except that a
 *   thinking toggle (DeepSeek) is switched on and OpenRouter gets `reasoning: {enabled: true}`.
 * - `disabled` sends the provider's off switch where it has one (a `reasoning_effort` value, the
 *   thinking toggle, OpenRouter's `enabled: false`), otherwise the lowest effort level: models that
 *   always reason (OpenAI's o-series) then reason as little as they can.
 * - Providers without any reasoning control drop `thinking` and `output_config.effort` (logged).
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create#chat-create-reasoning_effort
 * @see https://api-docs.deepseek.com/guides/thinking_mode
 * @see https://openrouter.ai/docs/use-cases/reasoning-tokens
 */
export function convertReasoningRequest(
  request: Pick<GatewayRequest, 'reasoning' | 'effort'>,
  quirks: Pick<ResolvedQuirks, 'reasoning' | 'thinkingToggle'>,
  dropped: DroppedFieldLog,
): ReasoningRequestFields {
  const fields: ReasoningRequestFields = {};
  const mode = request.reasoning?.mode;
  const disabled = mode === 'disabled';
  const wanted = mode === 'enabled' || mode === 'adaptive' || (mode === undefined && request.effort !== undefined);
  const budgetTokens = request.reasoning?.mode === 'enabled' ? request.reasoning.budgetTokens : undefined;
  const effort = request.effort ?? (budgetTokens === undefined ? undefined : effortForBudget(budgetTokens));

  if (quirks.thinkingToggle) {
    if (disabled) fields.thinking = { type: 'disabled' };
    else if (wanted) fields.thinking = { type: 'enabled' };
  }

  const style = quirks.reasoning;
  switch (style.style) {
    case 'none': {
      if (!quirks.thinkingToggle && wanted && request.reasoning !== undefined) {
        dropped.drop('thinking', 'this provider has no reasoning control');
      }
      if (request.effort !== undefined) dropped.drop('output_config.effort', 'this provider has no reasoning effort control');
      break;
    }
    case 'reasoning-effort': {
      if (disabled) {
        // no off switch: the lowest level is the closest (unless a thinking toggle turned it off)
        if (style.disabledLevel !== undefined) fields.reasoning_effort = style.disabledLevel;
        else if (!quirks.thinkingToggle) fields.reasoning_effort = style.levels.low;
      } else if (effort !== undefined) {
        fields.reasoning_effort = style.levels[effort];
      }
      break;
    }
    case 'reasoning-object': {
      if (disabled) fields.reasoning = { enabled: false };
      else if (request.effort !== undefined) fields.reasoning = { effort: style.levels[request.effort] };
      else if (budgetTokens !== undefined) fields.reasoning = { max_tokens: budgetTokens };
      else if (wanted) fields.reasoning = { enabled: true };
      break;
    }
    default: {
      const unreachable: never = style;
      throw new Error(`unknown reasoning style ${JSON.stringify(unreachable)}`);
    }
  }
  return fields;
}
