import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { GatewayError } from '../../core/errors.js';
import { readRequestBody } from '../../server/read-request-body.js';
import { sendGoogleError } from './google-error-body.js';
import { parseGenaiPath } from './parse-genai-path.js';
import { GEMINI_CONTENT_METHODS, serveGeminiContent } from './serve-gemini-content.js';
import { serveVertexAnthropicCountTokens, serveVertexAnthropicMessages } from './serve-vertex-anthropic.js';

/** The route prefix of the Google-format surface (ends with `/`, as prefix routes do). */
export const GENAI_PREFIX = '/genai/';

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError('api_error', `internal gateway error: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/**
 * `/genai/…`: Google's API shapes, for
 *
 * - Claude Code in Vertex mode (`CLAUDE_CODE_USE_VERTEX=1`, `ANTHROPIC_VERTEX_BASE_URL=<gateway>/genai`):
 *   `…/publishers/anthropic/models/{model}:rawPredict` / `:streamRawPredict`, and
 *   `…/models/count-tokens:rawPredict`;
 * - Gemini-format clients (`@google/genai` with `httpOptions.baseUrl = <gateway>/genai`), in the
 *   Gemini API shape (`v1beta/models/{model}:…`) and the Vertex shape:
 *   `:generateContent`, `:streamGenerateContent`, `:countTokens`.
 *
 * Every error is answered in Google's shape, `{"error":{"code","message","status"}}`; after a
 * response began, the connection is ended.
 * @see parseGenaiPath for the accepted paths
 */
export async function handleGenai(request: IncomingMessage, response: ServerResponse, url: URL, settings: GatewaySettings): Promise<void> {
  try {
    const below = url.pathname.slice(GENAI_PREFIX.length - 1);
    const path = parseGenaiPath(below);
    if (path === undefined) throw new GatewayError('not_found_error', `no Google API route for ${request.method ?? 'GET'} ${url.pathname}`);
    if (request.method !== 'POST') throw new GatewayError('invalid_request_error', `method ${request.method ?? 'GET'} is not allowed on ${url.pathname}`, { status: 405 });
    const body = await readRequestBody(request, settings.maxBodyBytes);
    if (path.model === 'count-tokens' && path.method === 'rawPredict') {
      await serveVertexAnthropicCountTokens(request, response, body, path, settings);
    } else if (path.method === 'rawPredict' || path.method === 'streamRawPredict') {
      await serveVertexAnthropicMessages(request, response, body, path, settings);
    } else if (GEMINI_CONTENT_METHODS.has(path.method)) {
      await serveGeminiContent(request, response, body, path, url, settings);
    } else {
      throw new GatewayError('not_found_error', `method ${path.method} is not served on ${url.pathname}`);
    }
  } catch (error) {
    const gatewayError = toGatewayError(error);
    if (gatewayError.kind === 'api_error' && !(error instanceof GatewayError)) console.error('[heimdall] unexpected error:', error);
    sendGoogleError(response, gatewayError);
  }
}
