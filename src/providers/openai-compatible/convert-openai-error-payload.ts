import { ProviderCallError, errorKindForStatus, type GatewayErrorKind } from '../../core/errors.js';

const namedKinds: ReadonlySet<string> = new Set<GatewayErrorKind>([
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'request_too_large',
  'rate_limit_error',
  'api_error',
  'timeout_error',
  'overloaded_error',
]);

function isGatewayErrorKind(value: string): value is GatewayErrorKind {
  return namedKinds.has(value);
}

/** The error kind an OpenAI-style `error.type` / `error.code` stands for. */
function kindForError(type: unknown, code: unknown): GatewayErrorKind {
  const numericCode = typeof code === 'number' ? code : typeof code === 'string' && code.trim() !== '' ? Number(code) : Number.NaN;
  if (Number.isInteger(numericCode) && numericCode >= 400 && numericCode < 600) return errorKindForStatus(numericCode);
  for (const label of [type, code]) {
    if (typeof label !== 'string') continue;
    if (isGatewayErrorKind(label)) return label;
    const lowered = label.toLowerCase();
    if (lowered.includes('rate_limit') || lowered.includes('quota') || lowered.includes('too_many')) return 'rate_limit_error';
    if (lowered.includes('overloaded') || lowered.includes('unavailable') || lowered.includes('capacity')) return 'overloaded_error';
    if (lowered.includes('timeout')) return 'timeout_error';
    if (lowered.includes('invalid') || lowered.includes('bad_request') || lowered.includes('context_length')) return 'invalid_request_error';
    if (lowered.includes('auth')) return 'authentication_error';
  }
  return 'api_error';
}

/**
 * The `ProviderCallError` an OpenAI-style error payload stands for, or `undefined` when `payload` is
 * not one. Used for errors that arrive inside a successful response: a mid-stream SSE event such as
 * `data: {"error":{"message":"…","type":"server_error"}}` (OpenAI, OpenRouter, vLLM), or a 200
 * response whose JSON body is an error. `error.code` may be an HTTP status (OpenRouter) or a label.
 *
 * @see https://platform.openai.com/docs/guides/error-codes
 * @see https://openrouter.ai/docs/api-reference/errors
 */
export function providerErrorFromPayload(payload: unknown, provider: string, bodyText: string): ProviderCallError | undefined {
  if (typeof payload !== 'object' || payload === null || !('error' in payload)) return undefined;
  const error: unknown = (payload as { error: unknown }).error;
  if (error === null || error === undefined) return undefined;
  let message = 'unknown error';
  let type: unknown;
  let code: unknown;
  if (typeof error === 'string') {
    message = error;
  } else if (typeof error === 'object') {
    const fields = error as Record<string, unknown>;
    if (typeof fields.message === 'string' && fields.message !== '') message = fields.message;
    type = fields.type;
    code = fields.code;
  }
  const kind = kindForError(type, code);
  return new ProviderCallError({
    provider,
    kind,
    message: `${provider} reported an error: ${message}`,
    body: bodyText,
    retryable: kind === 'rate_limit_error' || kind === 'overloaded_error' || kind === 'api_error' || kind === 'timeout_error',
  });
}
