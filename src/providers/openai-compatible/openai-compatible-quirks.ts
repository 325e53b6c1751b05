import type { ReasoningEffort } from '../../core/gateway-request.js';

/**
 * What one OpenAI-compatible provider accepts and returns differently from OpenAI itself. The
 * shared code (request conversion, stream translation, client) reads these values; no shared code
 * switches on the provider. Each provider file holds one `OpenAICompatibleQuirks` object, and
 * `modelOverrides` adjusts it for model families that differ (e.g. OpenAI's reasoning models).
 */
export interface OpenAICompatibleQuirks {
  /** How the key is sent: `Authorization: Bearer <key>`, or not at all (local servers). */
  authentication: 'bearer' | 'none';
  /** Whether `stream_options: {include_usage: true}` is accepted (Mistral rejects it with 422). */
  supportsStreamOptions: boolean;
  /** The field carrying the output-token limit. OpenAI's reasoning models only take `max_completion_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** Upper bound for the output-token limit, in tokens; larger requests are clamped (and logged). */
  maxOutputTokens?: number;
  /** Most stop sequences accepted; absent means no known limit, 0 means `stop` is not accepted. */
  maxStopSequences?: number;
  /** Whether `image_url` content parts are accepted. */
  supportsImages: boolean;
  /** Whether PDF documents are accepted as `{type:'file', file:{filename, file_data}}` parts. */
  supportsPdfFiles: boolean;
  /** Whether `top_k` is accepted. */
  supportsTopK: boolean;
  /** Whether `temperature` and `top_p` are accepted (OpenAI's reasoning models reject them). */
  supportsSamplingParameters: boolean;
  /** Whether `parallel_tool_calls` is accepted. */
  supportsParallelToolCalls: boolean;
  /** Whether function tools are accepted at all (Perplexity: no). */
  supportsTools: boolean;
  /** Whether the `user` end-user identifier is accepted. */
  supportsUser: boolean;
  /** Longest `user` value accepted, in characters; longer ones are replaced by a SHA-256 digest prefix. */
  maxUserLength?: number;
  /** Role used for system prompts: `developer` for OpenAI's reasoning models. */
  systemRole: 'system' | 'developer';
  /** The `tool_choice` value that forces some tool call (`any` on Mistral). */
  toolChoiceRequired: 'required' | 'any';
  /** How a reasoning request is expressed. */
  reasoning: ReasoningRequestStyle;
  /** Whether DeepSeek's `thinking: {type: 'enabled' | 'disabled'}` toggle is sent. */
  thinkingToggle: boolean;
  /**
   * How earlier assistant reasoning is sent back: not at all (dropped and logged), or as
   * `reasoning_content` on assistant messages (always present, possibly empty, beside tool calls;
   * DeepSeek's thinking mode answers 400 without it).
   */
  reasoningReplay: 'none' | 'reasoning_content';
  /**
   * Delta/message fields that carry reasoning text, in order of preference; the first non-empty
   * one of a chunk is used, so providers sending the same text under two names are read once.
   */
  reasoningResponseFields: readonly string[];
  /**
   * When set, tool call ids must be exactly this many ASCII letters and digits (Mistral: 9);
   * other ids (e.g. Anthropic's `toolu_…` from earlier turns) are mapped to such ids deterministically.
   */
  toolCallIdLength?: number;
  /**
   * How a JSON-schema output format is sent: `response_format: {type:'json_schema'}`, or
   * `{type:'json_object'}` with the schema added to the system prompt as an instruction (DeepSeek),
   * or not at all (dropped and logged).
   */
  responseFormat: 'json-schema' | 'json-object' | 'none';
  /** Whether Anthropic-style `cache_control` markers on text parts are passed through (OpenRouter). */
  passCacheControl: boolean;
  /** Fields added to every request body as they are (e.g. Groq `reasoning_format`). */
  extraBody?: Readonly<Record<string, unknown>>;
  /** Adjustments for model families, applied in order to every model whose name matches. */
  modelOverrides?: readonly ModelQuirkOverride[];
}

/** Provider words for each IR effort level. */
export type ReasoningEffortLevels = Readonly<Record<ReasoningEffort, string>>;

/**
 * How a provider takes a reasoning request:
 * - `none`: it cannot be asked for; reasoning and effort are dropped (and logged).
 * - `reasoning-effort`: the `reasoning_effort` field; `disabledLevel` is the value that turns
 *   reasoning off, where the provider has one.
 * - `reasoning-object`: OpenRouter's `reasoning: {effort}` or `reasoning: {max_tokens}`.
 */
export type ReasoningRequestStyle =
  | { style: 'none' }
  | { style: 'reasoning-effort'; levels: ReasoningEffortLevels; disabledLevel?: string }
  | { style: 'reasoning-object'; levels: ReasoningEffortLevels };

/** Quirks without the per-model overrides: the set that applies to one request. */
export type ResolvedQuirks = Omit<OpenAICompatibleQuirks, 'modelOverrides'>;

/** A model family whose quirks differ from its provider's. */
export interface ModelQuirkOverride {
  /** Matched against the upstream model name. */
  models: RegExp;
  quirks: Partial<ResolvedQuirks>;
}

/** OpenAI's own level names, with `max` mapped to `high`. */
export const standardEffortLevels: ReasoningEffortLevels = { low: 'low', medium: 'medium', high: 'high', max: 'high' };

/**
 * The quirks of a plain OpenAI-compatible server that follows the OpenAI reference: Bearer key,
 * `max_tokens`, usage in streams, images, tools and `parallel_tool_calls`, no reasoning control.
 * Providers start from this and change what differs.
 */
export const baseOpenAICompatibleQuirks: ResolvedQuirks = {
  authentication: 'bearer',
  supportsStreamOptions: true,
  maxTokensField: 'max_tokens',
  supportsImages: true,
  supportsPdfFiles: false,
  supportsTopK: false,
  supportsSamplingParameters: true,
  supportsParallelToolCalls: true,
  supportsTools: true,
  supportsUser: true,
  systemRole: 'system',
  toolChoiceRequired: 'required',
  reasoning: { style: 'none' },
  thinkingToggle: false,
  reasoningReplay: 'none',
  reasoningResponseFields: ['reasoning_content', 'reasoning'],
  responseFormat: 'json-schema',
  passCacheControl: false,
};

/** The quirks that apply to `model`: the provider's, with every matching override applied in order. */
export function resolveQuirks(quirks: OpenAICompatibleQuirks, model: string): ResolvedQuirks {
  let byModel = resolvedQuirksMemory.get(quirks);
  const remembered = byModel?.get(model);
  if (remembered !== undefined) return remembered;
  const { modelOverrides, ...resolved } = quirks;
  let result: ResolvedQuirks = resolved;
  for (const override of modelOverrides ?? []) {
    if (override.models.test(model)) result = { ...result, ...override.quirks };
  }
  // Shared by every request for this model: frozen, so that no caller can change it for the others.
  Object.freeze(result);
  if (byModel === undefined) {
    byModel = new Map();
    resolvedQuirksMemory.set(quirks, byModel);
  }
  if (byModel.size >= MAX_REMEMBERED_MODELS) byModel.clear();
  byModel.set(model, result);
  return result;
}

/** Resolved quirks by provider quirks and model name (a request resolves them two or three times; each is a copy of ~25 fields). */
const resolvedQuirksMemory = new WeakMap<OpenAICompatibleQuirks, Map<string, ResolvedQuirks>>();
/** Model names remembered per provider before the memory starts over. */
const MAX_REMEMBERED_MODELS = 256;
