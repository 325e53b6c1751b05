import type { GatewayError } from '../../core/errors.js';

/**
 * Anthropic's error body: `{"type":"error","error":{"type":…,"message":…}}`.
 * @see https://docs.anthropic.com/en/api/errors
 */
export function anthropicErrorBody(error: GatewayError): string {
  return JSON.stringify({ type: 'error', error: { type: error.kind, message: error.message } });
}
