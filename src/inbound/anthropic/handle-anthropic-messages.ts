import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../core/request-validation.js';
import type { RawUpstreamResponse } from '../../providers/provider.js';
import { resolveModel, type ModelTarget } from '../../routing/resolve-model.js';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { anthropicErrorBody } from './anthropic-error-body.js';
import { sseEventWriter } from './anthropic-stream-encoder.js';
import { serveAnthropicMessages, type AnthropicResponseSink } from './serve-anthropic-messages.js';

/** Upstream response headers relayed to the caller on the passthrough path. */
const RELAYED_RESPONSE_HEADERS = ['content-type', 'request-id', 'retry-after', 'x-should-retry'];
const RELAYED_HEADER_PREFIX = 'anthropic-';

/** Parses a request body as a JSON object. @throws GatewayError 400 for malformed JSON or a non-object */
export function parseJsonBody(body: Buffer): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new GatewayError('invalid_request_error', `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw new GatewayError('invalid_request_error', 'request body must be a JSON object');
  return parsed;
}

/** Sends an Anthropic-format error response (unless headers already went out). */
export function sendAnthropicError(response: ServerResponse, error: GatewayError): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  response.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
  response.end(anthropicErrorBody(error));
}

/** An AbortSignal that fires when the client goes away before the response is complete. */
export function abortOnClientDisconnect(request: IncomingMessage, response: ServerResponse): AbortController {
  const controller = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  request.on('aborted', () => controller.abort());
  return controller;
}

/** Resolves the body's `model` to a provider target. @throws GatewayError 400 */
export function resolveTarget(root: JsonObject, settings: GatewaySettings): ModelTarget {
  const requested = root.model;
  if (typeof requested !== 'string' || requested === '') {
    throw new GatewayError('invalid_request_error', requested === undefined ? 'model: Field required' : 'model: Input should be a valid string');
  }
  return resolveModel(requested, settings.providers);
}

/** Relays an upstream response (status, selected headers, body bytes) to the caller unchanged. */
export function relayUpstreamResponse(upstream: RawUpstreamResponse, response: ServerResponse, extraHeaders: Record<string, string>): Promise<void> {
  const headers: Record<string, string | string[]> = { ...extraHeaders };
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined) continue;
    if (RELAYED_RESPONSE_HEADERS.includes(name) || name.startsWith(RELAYED_HEADER_PREFIX)) headers[name] = value;
  }
  if (String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream')) headers['cache-control'] = 'no-cache';
  response.writeHead(upstream.statusCode, headers);
  response.flushHeaders();
  return new Promise((resolve) => {
    const body = upstream.body;
    body.on('data', (chunk: Buffer) => {
      if (!response.write(chunk)) {
        body.pause();
        response.once('drain', () => body.resume());
      }
    });
    body.on('end', () => {
      response.end();
      resolve();
    });
    body.on('error', () => {
      // Upstream broke after headers went out; close the connection so the client sees it.
      response.destroy();
      resolve();
    });
    response.on('close', () => {
      if (!body.destroyed) body.destroy();
      resolve();
    });
  });
}

/** The `/anthropic` framing (also used by `/genai` for Claude on Vertex): Anthropic JSON and SSE on a Node response. */
export function sseResponseSink(response: ServerResponse): AnthropicResponseSink {
  return {
    relay: (upstream, headers) => relayUpstreamResponse(upstream, response, headers),
    sendMessage: (message, headers) => {
      response.writeHead(200, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(message));
    },
    startStream: (headers) => {
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
      return sseEventWriter((sse) => response.write(sse));
    },
    endStream: () => response.end(),
    abort: () => response.destroy(),
  };
}

/**
 * `POST /anthropic/v1/messages`: Anthropic Messages, streaming (SSE) or not, served by
 * {@link serveAnthropicMessages}. Errors before the first byte are Anthropic error responses
 * with the matching status; an upstream failure after the stream began is an SSE `error` event.
 */
export async function handleAnthropicMessages(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  settings: GatewaySettings,
): Promise<void> {
  const root = parseJsonBody(body);
  const target = resolveTarget(root, settings);
  const abort = abortOnClientDisconnect(request, response);
  await serveAnthropicMessages({
    root,
    body,
    requestedModel: root.model as string,
    target,
    request,
    signal: abort.signal,
    sink: sseResponseSink(response),
  });
}
