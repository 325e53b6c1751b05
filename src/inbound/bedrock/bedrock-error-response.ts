import type { ServerResponse } from 'node:http';
import { GatewayError, errorKindForStatus, type GatewayErrorKind } from '../../core/errors.js';
import { encodeExceptionMessage } from '../../providers/bedrock/aws-event-stream.js';
import { bedrockErrorShapeForKind } from '../../providers/bedrock/bedrock-errors.js';

/**
 * Answers an error in Bedrock's shape: the status of the error type, `x-amzn-ErrorType`, and
 * `{"message": …}` — what AWS SDKs parse into typed exceptions (ValidationException,
 * ThrottlingException, …). After the response began, the connection is closed instead.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/CommonErrors.html
 */
export function sendBedrockError(response: ServerResponse, error: GatewayError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const shape = bedrockErrorShapeForKind(error.kind);
  response.writeHead(shape.status, {
    'content-type': 'application/json',
    'x-amzn-errortype': shape.errorType,
    ...error.headers,
  });
  response.end(JSON.stringify({ message: error.message }));
}

/** The `exception` event-stream message for an error inside a stream. */
export function bedrockStreamException(kind: GatewayErrorKind, message: string): Buffer {
  return encodeExceptionMessage(bedrockErrorShapeForKind(kind).streamExceptionType, message);
}

const GATEWAY_ERROR_KINDS: ReadonlySet<string> = new Set<GatewayErrorKind>([
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

function isGatewayErrorKind(value: unknown): value is GatewayErrorKind {
  return typeof value === 'string' && GATEWAY_ERROR_KINDS.has(value);
}

/**
 * The kind and message of an Anthropic error body (`{"type":"error","error":{type,message}}`), for
 * relaying an Anthropic-format upstream error in Bedrock's shape. Falls back to the status class.
 */
export function parseAnthropicErrorBody(bodyText: string, status: number): { kind: GatewayErrorKind; message: string } {
  const fallback = { kind: errorKindForStatus(status), message: bodyText.trim().slice(0, 500) || `upstream returned ${status}` };
  try {
    const parsed = JSON.parse(bodyText) as { error?: { type?: unknown; message?: unknown } };
    const kind = parsed.error?.type;
    const message = parsed.error?.message;
    return {
      kind: isGatewayErrorKind(kind) ? kind : fallback.kind,
      message: typeof message === 'string' ? message : fallback.message,
    };
  } catch {
    return fallback;
  }
}
