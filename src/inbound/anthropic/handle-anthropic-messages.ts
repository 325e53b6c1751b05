import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../core/request-validation.js';
import type { RawUpstreamResponse } from '../../providers/provider.js';
import { routeAnthropicRequest, routingRuntimeOf } from '../../routing/route-anthropic-request.js';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { BatchedResponseWriter } from '../../server/batched-response-writer.js';
import { parseJsonUtf8 } from '../../server/parse-json-utf8.js';
import { anthropicErrorBody } from './anthropic-error-body.js';
import { sseEventWriter, type AnthropicEventWriter } from './anthropic-stream-encoder.js';
import { relayIntoCommittedEventStream, relayPushedIntoCommittedEventStream } from './relay-committed-event-stream.js';
import { pauseUntilDrained, relayPushedBody } from './relay-pushed-body.js';
import { governInferenceRequest } from '../../governance/govern-inference-request.js';
import { authenticateForRouting } from '../../governance/governance-routing-facts.js';
import { serveAnthropicMessages, type AnthropicResponseSink } from './serve-anthropic-messages.js';
import { startRequestRecorder } from '../../observability/observability.js';
import type { RelayObserver } from '../../observability/request-recorder.js';
import type { UpstreamStreamResponse } from '../../upstream/upstream-stream.js';

/** Upstream response headers relayed to the caller on the passthrough path. */
const RELAYED_RESPONSE_HEADERS = new Set(['content-type', 'request-id', 'retry-after', 'x-should-retry']);
const RELAYED_HEADER_PREFIX = 'anthropic-';

/** Parses a request body as a JSON object. @throws GatewayError 400 for malformed JSON or a non-object */
export function parseJsonBody(body: Buffer): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseJsonUtf8(body);
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

/** The response headers of a relayed answer: `extraHeaders`, then the upstream's relayed ones. */
function relayedResponseHeaders(upstreamHeaders: RawUpstreamResponse['headers'], extraHeaders: Record<string, string>): Record<string, string | string[]> {
  // Copied name by name, not spread: adding properties to a spread copy cost ~2 µs a response in V8, six times this.
  const headers: Record<string, string | string[]> = {};
  for (const name in extraHeaders) headers[name] = extraHeaders[name];
  for (const name in upstreamHeaders) {
    const value = upstreamHeaders[name];
    if (value === undefined) continue;
    if (RELAYED_RESPONSE_HEADERS.has(name) || name.startsWith(RELAYED_HEADER_PREFIX)) headers[name] = value;
  }
  if (String(upstreamHeaders['content-type'] ?? '').startsWith('text/event-stream')) headers['cache-control'] = 'no-cache';
  return headers;
}

/**
 * Sends a relayed answer's status and headers and returns the writer for its body. Batched: the
 * headers leave now (in this loop turn) together with the body bytes already there, and the
 * chunks of one read leave as one write; a full connection pauses reading `source` until it drains.
 */
function startRelayedResponse(response: ServerResponse, status: number, headers: Record<string, string | string[]>, source: { pause(): void; resume(): void }): BatchedResponseWriter {
  const writer = new BatchedResponseWriter(response, () => pauseUntilDrained(response, source));
  response.writeHead(status, headers);
  writer.sendHeaders();
  return writer;
}

/** Relays an upstream response (status, selected headers, body bytes) to the caller unchanged. */
export function relayUpstreamResponse(upstream: RawUpstreamResponse, response: ServerResponse, extraHeaders: Record<string, string>): Promise<void> {
  const body = upstream.body;
  const writer = startRelayedResponse(response, upstream.statusCode, relayedResponseHeaders(upstream.headers, extraHeaders), body);
  return new Promise((resolve) => {
    body.on('data', (chunk: Buffer) => writer.write(chunk));
    body.on('end', () => {
      writer.end();
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

/**
 * {@link relayUpstreamResponse} for a body pushed by `upstream/upstream-stream.ts` (no `Readable`);
 * each chunk also goes to `observer` (the request log) before it is written. Resolves when the
 * relay has finished or the caller went away (whose signal aborts the exchange).
 */
export function relayPushedUpstreamResponse(
  upstream: UpstreamStreamResponse,
  response: ServerResponse,
  extraHeaders: Record<string, string>,
  observer: RelayObserver | undefined,
): Promise<void> {
  const writer = startRelayedResponse(response, upstream.statusCode, relayedResponseHeaders(upstream.headers, extraHeaders), upstream);
  return relayPushedBody(
    upstream,
    response,
    observer,
    (chunk) => writer.write(chunk),
    () => writer.end(),
  );
}

/** The `/anthropic` framing (also used by `/genai` for Claude on Vertex): Anthropic JSON and SSE on a Node response. */
export function sseResponseSink(response: ServerResponse): AnthropicResponseSink {
  let streamWriter: BatchedResponseWriter | undefined;
  /** Set once keep-alive pings committed the response (see `commitEventStream`). */
  let committed: AnthropicEventWriter | undefined;
  const startStream = (headers: Record<string, string>): AnthropicEventWriter => {
    if (committed !== undefined) return committed;
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
    const writer = new BatchedResponseWriter(response);
    streamWriter = writer;
    return sseEventWriter((sse) => writer.write(sse));
  };
  return {
    relay: (upstream, headers) =>
      committed === undefined
        ? relayUpstreamResponse(upstream, response, headers)
        : relayIntoCommittedEventStream(upstream, response, () => streamWriter?.flush(), committed),
    relayPushed: (upstream, headers, observer) =>
      committed === undefined
        ? relayPushedUpstreamResponse(upstream, response, headers, observer)
        : relayPushedIntoCommittedEventStream(upstream, response, () => streamWriter?.flush(), committed, observer),
    sendMessage: (message, headers) => {
      response.writeHead(200, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(message));
    },
    startStream,
    commitEventStream: (headers) => {
      committed ??= startStream(headers);
      return committed;
    },
    endStream: () => (streamWriter === undefined ? response.end() : streamWriter.end()),
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
  const recorder = startRequestRecorder(request, response, { inboundApi: 'anthropic', root, body }); // observability hook
  try {
    // governance: the virtual key (its team, customer, limits used, fallback chain) before routing, so rules can read it
    const caller = await authenticateForRouting(request, routingRuntimeOf(settings).engine, typeof root.model === 'string' ? root.model : '');
    const routing = routeAnthropicRequest(root, request.headers, settings, caller?.facts);
    recorder.route(routing); // observability hook
    await governInferenceRequest(request, response, { root, body, plan: routing, recorder, ...(caller === undefined ? {} : { caller }) }); // governance: allowed models, rate limits, budgets
    const abort = abortOnClientDisconnect(request, response);
    await serveAnthropicMessages({
      root,
      body,
      requestedModel: root.model as string,
      target: routing.targets[0].target,
      routing,
      request,
      signal: abort.signal,
      sink: sseResponseSink(response),
      recorder,
    });
  } catch (error) {
    recorder.error(error); // observability hook
    throw error;
  }
}
