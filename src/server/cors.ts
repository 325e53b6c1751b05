import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../config/gateway-settings.js';

/**
 * Sets CORS response headers for a request with an `Origin`. Allowed request headers are the
 * defaults (`Content-Type, Authorization, X-Requested-With, X-Stainless-Timeout, X-Api-Key`) plus
 * the configured ones, or any (`*`, answered by echoing what the browser asked for).
 * @returns whether the origin is allowed
 */
export function applyCorsHeaders(request: IncomingMessage, response: ServerResponse, cors: GatewaySettings['cors']): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const anyOrigin = cors.allowedOrigins.includes('*');
  if (!anyOrigin && !cors.allowedOrigins.includes(origin)) return false;
  response.setHeader('access-control-allow-origin', anyOrigin ? '*' : origin);
  if (!anyOrigin) response.setHeader('vary', 'Origin');
  response.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD');
  const requested = request.headers['access-control-request-headers'];
  if (cors.allowedHeaders === '*') {
    response.setHeader('access-control-allow-headers', typeof requested === 'string' && requested !== '' ? requested : '*');
  } else {
    response.setHeader('access-control-allow-headers', cors.allowedHeaders.join(', '));
  }
  response.setHeader('access-control-expose-headers', 'request-id, retry-after, x-heimdall-provider, x-heimdall-model, x-heimdall-dropped-fields, x-heimdall-token-count');
  response.setHeader('access-control-max-age', '600');
  return true;
}
