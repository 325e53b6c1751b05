import type { IncomingMessage } from 'node:http';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { JsonObject } from '../../core/request-validation.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import { clampOutputTokens } from '../../providers/model-catalog.js';
import type { RawUpstreamResponse, UpstreamCall } from '../../providers/provider.js';
import type { ModelTarget } from '../../routing/resolve-model.js';
import { selectProviderKey } from '../../routing/select-provider-key.js';
import { networkError } from '../../upstream/upstream-http.js';
import { newAnthropicMessageId } from './anthropic-message-id.js';
import { AnthropicStreamEncoder, type AnthropicEventWriter } from './anthropic-stream-encoder.js';
import { encodeAnthropicResponse, type AnthropicMessage } from './encode-anthropic-response.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';

/**
 * Where an Anthropic-format answer goes: the inbound route's own framing. `/anthropic` frames as
 * SSE; `/bedrock` as AWS event-stream frames; `/genai` (Claude on Vertex) as SSE.
 */
export interface AnthropicResponseSink {
  /**
   * Relays an Anthropic-format upstream response (Anthropic JSON or Anthropic SSE bytes, any
   * status) to the caller. Resolves when the relay has finished or the caller went away.
   */
  relay(upstream: RawUpstreamResponse, headers: Record<string, string>): Promise<void>;
  /** Sends a complete translated message (status 200). */
  sendMessage(message: AnthropicMessage, headers: Record<string, string>): void;
  /** Starts a translated stream (status 200) and returns the writer for its events. */
  startStream(headers: Record<string, string>): AnthropicEventWriter;
  /** Ends a translated stream normally or after an `error` event. */
  endStream(): void;
  /** Drops the connection (the caller went away mid-stream). */
  abort(): void;
}

/** What one Anthropic-format request needs to be served. */
export interface AnthropicMessagesCall {
  /** The parsed request body (mutated: `model` becomes the upstream model name). */
  root: JsonObject;
  /** The request body as received, relayed untouched when the model name is unchanged. */
  body: Buffer;
  /** The model name to report back to the caller. */
  requestedModel: string;
  target: ModelTarget;
  request: IncomingMessage;
  signal: AbortSignal;
  sink: AnthropicResponseSink;
  /** Parse options for cloud-format bodies (`anthropic_version` in the body, no `model`). */
  cloudBody?: boolean;
}

/** Longest `x-heimdall-dropped-fields` value sent, characters. */
const MAX_DROPPED_HEADER_LENGTH = 2000;

/**
 * `x-heimdall-dropped-fields`: the request fields dropped in translation (comma-separated paths),
 * so a caller can see what the provider did not receive.
 */
export function droppedFieldsHeader(dropped: DroppedFieldLog): Record<string, string> {
  if (dropped.entries.length === 0) return {};
  let value = [...new Set(dropped.entries.map((entry) => entry.field))].join(', ');
  if (value.length > MAX_DROPPED_HEADER_LENGTH) value = `${value.slice(0, MAX_DROPPED_HEADER_LENGTH)}...`;
  return { 'x-heimdall-dropped-fields': value };
}

/**
 * Serves one Anthropic Messages request, whatever its inbound framing.
 *
 * Anthropic-speaking providers get the caller's body unchanged but for the model name (the
 * original bytes when the name is unchanged), and their response is relayed as it comes. Every
 * other provider is reached through the IR: the body is validated and parsed, sent through the
 * provider's `ChatClient`, and the result encoded back as Anthropic events or JSON.
 *
 * @throws GatewayError / ProviderCallError before anything was sent to the caller (the caller's
 *   route answers it in its own error shape); after a stream began, failures become an `error` event
 */
export async function serveAnthropicMessages(call: AnthropicMessagesCall): Promise<void> {
  const { root, target, sink } = call;
  const client = clientForInstance(target.instance);
  const dropped = new DroppedFieldLog();
  const routeHeaders = { 'x-heimdall-provider': target.instance.name, 'x-heimdall-model': target.model };
  const upstreamCall: UpstreamCall = {
    instance: target.instance,
    key: selectProviderKey(target.instance, target.model),
    model: target.model,
    signal: call.signal,
    inboundHeaders: call.request.headers,
    dropped,
  };

  if (client.messages !== undefined && (client.messages.acceptsModel?.(upstreamCall) ?? true)) {
    let upstreamBody = call.body;
    if (root.model !== target.model) {
      root.model = target.model;
      upstreamBody = Buffer.from(JSON.stringify(root));
    }
    const upstream = await client.messages.sendMessages(upstreamBody, upstreamCall, root.stream === true);
    await sink.relay(upstream, routeHeaders);
    return;
  }

  if (client.chat === undefined) {
    throw new GatewayError('invalid_request_error', `provider '${target.instance.name}' cannot serve Anthropic Messages requests`);
  }
  const gatewayRequest = parseAnthropicRequest(root, dropped, { cloudBody: call.cloudBody });
  gatewayRequest.model = target.model;
  clampOutputTokens(gatewayRequest, target.instance, dropped);
  const messageId = newAnthropicMessageId();

  if (!gatewayRequest.stream) {
    const result = await client.chat.complete(gatewayRequest, upstreamCall);
    sink.sendMessage(encodeAnthropicResponse(result, messageId, call.requestedModel), { ...routeHeaders, ...droppedFieldsHeader(dropped) });
    return;
  }

  const stream = await client.chat.stream(gatewayRequest, upstreamCall);
  const writer = sink.startStream({ ...routeHeaders, ...droppedFieldsHeader(dropped) });
  const encoder = new AnthropicStreamEncoder(writer, { id: messageId, model: call.requestedModel });
  encoder.start();
  try {
    await stream.pipeTo(encoder);
    encoder.end();
  } catch (error) {
    if (call.signal.aborted) {
      sink.abort();
      return;
    }
    encoder.fail(error instanceof GatewayError ? error : networkError(target.instance.name, error));
  }
  sink.endStream();
}
