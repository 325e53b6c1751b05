import { isAnthropicModel } from './bedrock-model-ids.js';

/**
 * What a model family accepts through Converse beyond the common fields. Converse is one API, but
 * tool-choice forcing, cache points, `top_k` and reasoning controls depend on the model behind it
 * and go in `additionalModelRequestFields` in each family's own shape.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/conversation-inference-supported-models-features.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html
 */
export interface ConverseModelFeatures {
  /** `toolChoice: {any}` / `{tool}` (Anthropic, Amazon Nova, Mistral Large); others take `auto` only. */
  forcedToolChoice: boolean;
  /** `cachePoint` blocks (Anthropic Claude, Amazon Nova). */
  cachePoints: boolean;
  /** Whether `top_k` is accepted (as `additionalModelRequestFields.top_k`). */
  topK: boolean;
  /**
   * How reasoning is requested:
   * - `anthropic-thinking`: `thinking: {type: enabled, budget_tokens} | {type: adaptive} | {type: disabled}`;
   * - `nova-reasoning-config`: `reasoningConfig: {type: enabled, maxReasoningEffort: low|medium|high}`;
   * - `reasoning-effort`: `reasoning_effort: low|medium|high` (OpenAI gpt-oss);
   * - `none`: not configurable (dropped and recorded).
   */
  reasoning: 'anthropic-thinking' | 'nova-reasoning-config' | 'reasoning-effort' | 'none';
}

/**
 * The features of the model a call reaches, from its Bedrock id (model id, inference profile or
 * ARN) and the name the caller typed (for opaque application-profile ARNs).
 */
export function converseModelFeatures(requestedModel: string, bedrockId: string): ConverseModelFeatures {
  if (isAnthropicModel(requestedModel, bedrockId)) {
    return { forcedToolChoice: true, cachePoints: true, topK: true, reasoning: 'anthropic-thinking' };
  }
  const id = `${bedrockId} ${requestedModel}`.toLowerCase();
  if (id.includes('amazon.nova-2') || id.includes('nova-2-')) {
    return { forcedToolChoice: true, cachePoints: true, topK: false, reasoning: 'nova-reasoning-config' };
  }
  if (id.includes('amazon.nova')) return { forcedToolChoice: true, cachePoints: true, topK: false, reasoning: 'none' };
  if (id.includes('openai.gpt-oss')) return { forcedToolChoice: false, cachePoints: false, topK: false, reasoning: 'reasoning-effort' };
  if (id.includes('mistral.mistral-large')) return { forcedToolChoice: true, cachePoints: false, topK: false, reasoning: 'none' };
  return { forcedToolChoice: false, cachePoints: false, topK: false, reasoning: 'none' };
}
