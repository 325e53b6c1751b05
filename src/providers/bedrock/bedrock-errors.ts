import { ProviderCallError, errorKindForStatus, isRetryableStatus, type GatewayErrorKind } from '../../core/errors.js';

/**
 * Bedrock's error types and their mapping to Heimdall's error kinds, both ways: upstream Bedrock
 * errors become Anthropic-style errors, and errors answered on the `/bedrock` surface take
 * Bedrock's shape (`x-amzn-ErrorType` header, `{"message": …}` body, or an `exception` message
 * inside an event stream).
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ResponseStream.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
 */

/** How one Bedrock error type maps: the Heimdall kind and whether a retry may succeed. */
interface BedrockErrorMapping {
  kind: GatewayErrorKind;
  retryable: boolean;
}

/** Bedrock error types (as in `x-amzn-ErrorType`, first letter case-insensitive) → kind. */
const BEDROCK_ERROR_KINDS: Readonly<Record<string, BedrockErrorMapping>> = {
  validationexception: { kind: 'invalid_request_error', retryable: false },
  serializationexception: { kind: 'invalid_request_error', retryable: false },
  conflictexception: { kind: 'invalid_request_error', retryable: false },
  accessdeniedexception: { kind: 'permission_error', retryable: false },
  unrecognizedclientexception: { kind: 'authentication_error', retryable: false },
  invalidsignatureexception: { kind: 'authentication_error', retryable: false },
  incompletesignatureexception: { kind: 'authentication_error', retryable: false },
  missingauthenticationtokenexception: { kind: 'authentication_error', retryable: false },
  expiredtokenexception: { kind: 'authentication_error', retryable: false },
  resourcenotfoundexception: { kind: 'not_found_error', retryable: false },
  throttlingexception: { kind: 'rate_limit_error', retryable: true },
  servicequotaexceededexception: { kind: 'rate_limit_error', retryable: false },
  modelnotreadyexception: { kind: 'overloaded_error', retryable: true },
  serviceunavailableexception: { kind: 'overloaded_error', retryable: true },
  modeltimeoutexception: { kind: 'timeout_error', retryable: true },
  internalserverexception: { kind: 'api_error', retryable: true },
  modelerrorexception: { kind: 'api_error', retryable: false },
  modelstreamerrorexception: { kind: 'api_error', retryable: true },
};

/**
 * The error type from an `x-amzn-ErrorType` header value such as
 * `ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/` (the part before `:`).
 */
export function bedrockErrorTypeFromHeader(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return undefined;
  const colon = text.indexOf(':');
  return colon === -1 ? text : text.slice(0, colon);
}

/**
 * The Heimdall error kind for a Bedrock error type, falling back to the HTTP status class for types
 * not listed (and when `originalStatusCode` of a `modelStreamErrorException` says 529, overloaded).
 */
export function mapBedrockError(errorType: string | undefined, status: number | undefined, originalStatusCode?: number): BedrockErrorMapping {
  if (originalStatusCode !== undefined && originalStatusCode >= 400) {
    return { kind: errorKindForStatus(originalStatusCode), retryable: isRetryableStatus(originalStatusCode) };
  }
  const known = errorType === undefined ? undefined : BEDROCK_ERROR_KINDS[errorType.toLowerCase()];
  if (known !== undefined) return known;
  const httpStatus = status ?? 500;
  return { kind: errorKindForStatus(httpStatus), retryable: isRetryableStatus(httpStatus) };
}

/** Pulls `message` (or `Message`) and `originalStatusCode` out of a Bedrock error body. */
export function parseBedrockErrorBody(bodyText: string): { message: string; originalStatusCode?: number } {
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const record = parsed as Record<string, unknown>;
      const message = typeof record.message === 'string' ? record.message : typeof record.Message === 'string' ? record.Message : undefined;
      const original = typeof record.originalStatusCode === 'number' ? record.originalStatusCode : undefined;
      if (message !== undefined) return original === undefined ? { message } : { message, originalStatusCode: original };
    }
  } catch {
    // not JSON: use the text
  }
  const trimmed = bodyText.trim();
  return { message: trimmed === '' ? '(empty body)' : trimmed.slice(0, 500) };
}

/**
 * A `ProviderCallError` for a Bedrock error response or stream exception.
 * @param errorType e.g. `ThrottlingException` (header) or `throttlingException` (stream)
 */
export function bedrockProviderError(provider: string, errorType: string | undefined, status: number | undefined, bodyText: string): ProviderCallError {
  const { message, originalStatusCode } = parseBedrockErrorBody(bodyText);
  const mapping = mapBedrockError(errorType, status, originalStatusCode);
  return new ProviderCallError({
    provider,
    kind: mapping.kind,
    message: `${provider} returned ${errorType ?? String(status ?? 'an error')}: ${message}`,
    upstreamStatus: status,
    body: bodyText,
    retryable: mapping.retryable,
  });
}

/** How an error is expressed on the Bedrock surface: the error type and HTTP status. */
export interface BedrockErrorShape {
  /** `x-amzn-ErrorType` value, e.g. `ThrottlingException`. */
  errorType: string;
  status: number;
  /** The type inside an event stream (`throttlingException`). */
  streamExceptionType: string;
}

/** The Bedrock error type and status a caller of `/bedrock` gets for a Heimdall error kind. */
export function bedrockErrorShapeForKind(kind: GatewayErrorKind): BedrockErrorShape {
  switch (kind) {
    case 'invalid_request_error':
    case 'request_too_large':
      return { errorType: 'ValidationException', status: 400, streamExceptionType: 'validationException' };
    case 'authentication_error':
      return { errorType: 'UnrecognizedClientException', status: 403, streamExceptionType: 'validationException' };
    case 'permission_error':
      return { errorType: 'AccessDeniedException', status: 403, streamExceptionType: 'validationException' };
    case 'not_found_error':
      return { errorType: 'ResourceNotFoundException', status: 404, streamExceptionType: 'validationException' };
    case 'rate_limit_error':
      return { errorType: 'ThrottlingException', status: 429, streamExceptionType: 'throttlingException' };
    case 'timeout_error':
      return { errorType: 'ModelTimeoutException', status: 408, streamExceptionType: 'modelTimeoutException' };
    case 'overloaded_error':
      return { errorType: 'ServiceUnavailableException', status: 503, streamExceptionType: 'serviceUnavailableException' };
    case 'api_error':
      return { errorType: 'InternalServerException', status: 500, streamExceptionType: 'internalServerException' };
    default: {
      const unreachable: never = kind;
      throw new Error(`unknown error kind ${String(unreachable)}`);
    }
  }
}
