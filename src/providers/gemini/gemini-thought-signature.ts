import { randomBytes } from 'node:crypto';

/**
 * Carrying Gemini thought signatures through clients that never heard of them.
 *
 * Gemini returns an opaque `thoughtSignature` on some response parts and, for Gemini 3, refuses
 * (400) the next request when a `functionCall` part of the current turn comes back without its
 * signature. The IR and Anthropic-format clients (Claude Code) have no field for it, so:
 *
 * - **Function calls**: Gemini gives calls no id; Heimdall makes one, and when the call carries a
 *   signature the id carries it too: `toolu_gemini_<16 hex>_s<padding count>_<base64url signature>`.
 *   Every client keeps tool-call ids (tool results must name them), so the signature comes back
 *   with the call and is put on the same `functionCall` part. Ids are `[A-Za-z0-9_-]` only, the
 *   character set Anthropic allows (a signature that is not standard base64 is carried as hex).
 * - **Reasoning parts** (`thought: true`): the signature travels in `ReasoningPart.signature`
 *   (Anthropic's `thinking.signature`) with the prefix `gemini:`, so that a signature from another
 *   provider (Anthropic's own) is never sent to Gemini.
 *
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures
 */

const TOOL_CALL_ID_PREFIX = 'toolu_gemini_';
const SIGNED_TOOL_CALL_ID = /^toolu_gemini_[0-9a-f]{16}_s([0-2])_([A-Za-z0-9_-]+)$/;
/** A signature that is not standard base64 is carried hex-encoded (`_x_<hex>`). */
const HEX_SIGNED_TOOL_CALL_ID = /^toolu_gemini_[0-9a-f]{16}_x_((?:[0-9a-f]{2})+)$/;
const STANDARD_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const REASONING_SIGNATURE_PREFIX = 'gemini:';

/**
 * Google's documented placeholder for a `functionCall` part that has no real signature (history
 * written by another model or client); Gemini 3 accepts it instead of refusing the request.
 * @see https://ai.google.dev/gemini-api/docs/thought-signatures#faqs
 */
export const SKIP_THOUGHT_SIGNATURE_VALIDATOR = 'skip_thought_signature_validator';

/** A new tool-call id for a Gemini function call, carrying its thought signature when it has one. */
export function newGeminiToolCallId(thoughtSignature?: string): string {
  const unique = randomBytes(8).toString('hex');
  if (thoughtSignature === undefined || thoughtSignature === '') return `${TOOL_CALL_ID_PREFIX}${unique}`;
  if (!STANDARD_BASE64.test(thoughtSignature)) return `${TOOL_CALL_ID_PREFIX}${unique}_x_${Buffer.from(thoughtSignature, 'utf8').toString('hex')}`;
  const padding = /=*$/.exec(thoughtSignature)?.[0].length ?? 0;
  const body = thoughtSignature.slice(0, thoughtSignature.length - padding).replaceAll('+', '-').replaceAll('/', '_');
  return `${TOOL_CALL_ID_PREFIX}${unique}_s${Math.min(padding, 2)}_${body}`;
}

/** The thought signature a tool-call id made by {@link newGeminiToolCallId} carries, if any. */
export function thoughtSignatureFromToolCallId(id: string): string | undefined {
  const hex = HEX_SIGNED_TOOL_CALL_ID.exec(id);
  if (hex !== null) return Buffer.from(hex[1], 'hex').toString('utf8');
  const match = SIGNED_TOOL_CALL_ID.exec(id);
  if (match === null) return undefined;
  return `${match[2].replaceAll('-', '+').replaceAll('_', '/')}${'='.repeat(Number(match[1]))}`;
}

/** A Gemini thought signature as the IR's `ReasoningPart.signature`. */
export function reasoningSignatureFromThoughtSignature(thoughtSignature: string): string {
  return `${REASONING_SIGNATURE_PREFIX}${thoughtSignature}`;
}

/** The Gemini thought signature inside a `ReasoningPart.signature`, or undefined for any other signature. */
export function thoughtSignatureFromReasoningSignature(signature: string | undefined): string | undefined {
  if (signature === undefined || !signature.startsWith(REASONING_SIGNATURE_PREFIX)) return undefined;
  const value = signature.slice(REASONING_SIGNATURE_PREFIX.length);
  return value === '' ? undefined : value;
}
