import type { IncomingMessage, ServerResponse } from 'node:http';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../core/request-validation.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import type { RawUpstreamResponse, UpstreamCall } from '../../providers/provider.js';
import { resolveModel, type ModelTarget } from '../../routing/resolve-model.js';
import { selectProviderKey } from '../../routing/select-provider-key.js';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { networkError } from '../../upstream/upstream-http.js';
import { anthropicErrorBody } from './anthropic-error-body.js';
import { newAnthropicMessageId } from './anthropic-message-id.js';
import { AnthropicStreamEncoder } from './anthropic-stream-encoder.js';
import { encodeAnthropicResponse } from './encode-anthropic-response.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

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

function resolveTarget(root: JsonObject, settings: GatewaySettings): ModelTarget {
  const requested = root.model;
  if (typeof requested !== 'string' || requested === '') {
    throw new GatewayError('invalid_request_error', requested === undefined ? 'model: Field required' : 'model: Input should be a valid string');
  }
  return resolveModel(requested, settings.providers);
}

function upstreamCall(target: ModelTarget, request: IncomingMessage, signal: AbortSignal, dropped: DroppedFieldLog): UpstreamCall {
  return {
    instance: target.instance,
    key: selectProviderKey(target.instance, target.model),
    model: target.model,
    signal,
    inboundHeaders: request.headers,
    dropped,
  };
}

/** Longest `x-heimdall-dropped-fields` value sent, characters. */
const MAX_DROPPED_HEADER_LENGTH = 2000;

/**
 * `x-heimdall-dropped-fields`: the request fields dropped in translation (comma-separated paths),
 * so a caller can see what the provider did not receive.
 */
function droppedFieldsHeader(dropped: DroppedFieldLog): Record<string, string> {
  if (dropped.entries.length === 0) return {};
  let value = [...new Set(dropped.entries.map((entry) => entry.field))].join(', ');
  if (value.length > MAX_DROPPED_HEADER_LENGTH) value = `${value.slice(0, MAX_DROPPED_HEADER_LENGTH)}...`;
  return { 'x-heimdall-dropped-fields': value };
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

/**
 * `POST /anthropic/v1/messages`: Anthropic Messages, streaming (SSE) or not.
 *
 * Anthropic-speaking providers get the caller's body unchanged but for the model name, and their
 * response is relayed byte for byte. Every other provider is reached through the IR: the body is
 * validated and parsed, sent through the provider's `ChatClient`, and the result encoded back as
 * Anthropic JSON or SSE. Errors before the first byte are Anthropic error responses with the
 * matching status; an upstream failure after the stream began is an SSE `error` event.
 */
export async function handleAnthropicMessages(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  settings: GatewaySettings,
): Promise<void> {
  const root = parseJsonBody(body);
  const target = resolveTarget(root, settings);
  const client = clientForInstance(target.instance);
  const abort = abortOnClientDisconnect(request, response);
  const dropped = new DroppedFieldLog();
  const routeHeaders = { 'x-heimdall-provider': target.instance.name, 'x-heimdall-model': target.model };

  if (client.messages !== undefined) {
    let upstreamBody = body;
    if (root.model !== target.model) {
      root.model = target.model;
      upstreamBody = Buffer.from(JSON.stringify(root));
    }
    const call = upstreamCall(target, request, abort.signal, dropped);
    const upstream = await client.messages.sendMessages(upstreamBody, call, root.stream === true);
    await relayUpstreamResponse(upstream, response, routeHeaders);
    return;
  }

  if (client.chat === undefined) {
    throw new GatewayError('invalid_request_error', `provider '${target.instance.name}' cannot serve Anthropic Messages requests`);
  }
  const requestedModel = root.model as string;
  const gatewayRequest = parseAnthropicRequest(root, dropped);
  gatewayRequest.model = target.model;
  const call = upstreamCall(target, request, abort.signal, dropped);
  const messageId = newAnthropicMessageId();

  if (!gatewayRequest.stream) {
    const result = await client.chat.complete(gatewayRequest, call);
    const payload = JSON.stringify(encodeAnthropicResponse(result, messageId, requestedModel));
    response.writeHead(200, { 'content-type': 'application/json', ...routeHeaders, ...droppedFieldsHeader(dropped) });
    response.end(payload);
    return;
  }

  const stream = await client.chat.stream(gatewayRequest, call);
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...routeHeaders,
    ...droppedFieldsHeader(dropped),
  });
  const encoder = new AnthropicStreamEncoder((sse) => response.write(sse), { id: messageId, model: requestedModel });
  encoder.start();
  try {
    await stream.pipeTo(encoder);
    encoder.end();
  } catch (error) {
    if (abort.signal.aborted) {
      response.destroy();
      return;
    }
    encoder.fail(error instanceof GatewayError ? error : networkError(target.instance.name, error));
  }
  response.end();
}
