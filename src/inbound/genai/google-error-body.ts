import type { ServerResponse } from 'node:http';
import type { GatewayError } from '../../core/errors.js';

/** Google's canonical status name for an HTTP status. @see https://cloud.google.com/apis/design/errors#handling_errors */
export function googleStatusName(httpStatus: number): string {
  switch (httpStatus) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'NOT_FOUND';
    case 405:
    case 501:
      return 'UNIMPLEMENTED';
    case 409:
      return 'ABORTED';
    case 413:
      return 'INVALID_ARGUMENT';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 503:
      return 'UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return httpStatus >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

/**
 * The HTTP status a Google-format caller gets for a gateway error: the error's own status, except
 * Anthropic's 529 (overloaded), which Google APIs express as 503 `UNAVAILABLE`.
 */
export function googleHttpStatus(error: GatewayError): number {
  return error.status === 529 ? 503 : error.status;
}

/** Google's error body: `{"error":{"code":…,"message":…,"status":…}}`. */
export function googleErrorPayload(error: GatewayError): { error: { code: number; message: string; status: string } } {
  const code = googleHttpStatus(error);
  return { error: { code, message: error.message, status: googleStatusName(code) } };
}

/** Sends a Google-format error response (unless headers already went out, then it ends the response). */
export function sendGoogleError(response: ServerResponse, error: GatewayError): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(googleHttpStatus(error), { 'content-type': 'application/json; charset=UTF-8', ...error.headers });
  response.end(JSON.stringify(googleErrorPayload(error)));
}
