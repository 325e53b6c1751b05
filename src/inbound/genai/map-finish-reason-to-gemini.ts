import type { FinishReason } from '../../core/gateway-response.js';

/**
 * Maps the IR finish reason to a Gemini `finishReason`. Gemini ends a function-calling turn with
 * `STOP` (there is no tool-use reason); refusals and filtering are `SAFETY`.
 * @see https://ai.google.dev/api/generate-content#FinishReason
 */
export function mapFinishReasonToGemini(reason: FinishReason): string {
  switch (reason) {
    case 'end-turn':
    case 'stop-sequence':
    case 'tool-use':
    case 'pause-turn':
      return 'STOP';
    case 'max-tokens':
      return 'MAX_TOKENS';
    case 'content-filter':
    case 'refusal':
      return 'SAFETY';
    case 'other':
      return 'OTHER';
    default: {
      const unreachable: never = reason;
      throw new Error(`unknown finish reason ${String(unreachable)}`);
    }
  }
}
