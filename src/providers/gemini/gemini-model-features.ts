/**
 * What a Gemini model name says about the request fields it takes. Gemini models differ in how
 * reasoning is controlled: Gemini 3 and later take `thinkingLevel`, Gemini 2.5 takes a token
 * `thinkingBudget`, older models (2.0, 1.5) and non-Gemini models (Gemma) take neither and answer
 * 400 to a `thinkingConfig`. Gemini 3 also requires thought signatures on replayed function calls.
 *
 * @see https://ai.google.dev/gemini-api/docs/thinking
 */

/** How a model's reasoning is controlled. */
export type GeminiThinkingStyle = 'level' | 'budget' | 'none';

/** Model facts used by the request conversion. */
export interface GeminiModelFeatures {
  thinkingStyle: GeminiThinkingStyle;
  /** A Pro model: thinking cannot be turned off; Gemini 3 Pro takes only the `low` and `high` levels. */
  isPro: boolean;
  /** A Flash-Lite model (smaller budget floor). */
  isLite: boolean;
  /** Largest `thinkingBudget`, tokens (budget models). */
  maxThinkingBudget: number;
  /** Smallest non-zero `thinkingBudget`, tokens (budget models). */
  minThinkingBudget: number;
  /** Replayed `functionCall` parts must carry a thought signature (Gemini 3 and later). */
  requiresThoughtSignatures: boolean;
}

/** `gemini-2.5-pro` → 2.5; `gemini-3-flash-preview` → 3; `gemini-3.1-pro` → 3.1; anything else → undefined. */
export function geminiVersion(model: string): number | undefined {
  const match = /(?:^|\/)gemini-(\d+)(?:\.(\d+))?(?=-|$|@)/.exec(model);
  if (match === null) return undefined;
  return Number(`${match[1]}.${match[2] ?? '0'}`);
}

/** The features of a Gemini model, by name (with or without a `models/` or `publishers/…/` prefix). */
export function geminiModelFeatures(model: string): GeminiModelFeatures {
  const name = model.toLowerCase();
  const version = geminiVersion(name);
  const isPro = name.includes('-pro');
  const isLite = name.includes('-lite');
  let thinkingStyle: GeminiThinkingStyle;
  if (version !== undefined) thinkingStyle = version >= 3 ? 'level' : version >= 2.5 ? 'budget' : 'none';
  else thinkingStyle = /gemini-(flash|pro|flash-lite)-latest/.test(name) || name.includes('thinking') ? 'budget' : 'none';
  return {
    thinkingStyle,
    isPro,
    isLite,
    maxThinkingBudget: isPro ? 32_768 : 24_576,
    minThinkingBudget: isPro ? 128 : isLite ? 512 : 1,
    requiresThoughtSignatures: version !== undefined && version >= 3,
  };
}
