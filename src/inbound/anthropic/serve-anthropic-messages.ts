import type { IncomingMessage } from 'node:http';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { JsonObject } from '../../core/request-validation.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import { clampOutputTokens } from '../../providers/model-catalog.js';
import type { RawUpstreamResponse, UpstreamCall } from '../../providers/provider.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import type { ModelTarget } from '../../routing/resolve-model.js';
import { TargetUnavailableError } from '../../routing/retry-policy.js';
import type { AnthropicRouting } from '../../routing/route-anthropic-request.js';
import { serveWithFallbacks, singleAttemptRuntime, type Attempt, type PlannedTarget } from '../../routing/serve-with-fallbacks.js';
import type { StreamKeepAlive } from '../../routing/stream-keepalive.js';
import { dropForeignThinkingBlocks, heimdallThinkingSignature, stripForeignReasoningSignatures } from '../../routing/thinking-signatures.js';
import { networkError, upstreamStatusError, upstreamStatusErrorFromText } from '../../upstream/upstream-http.js';
import type { UpstreamStreamResponse } from '../../upstream/upstream-stream.js';
import { mcpInferenceHookFor, type McpInferenceHook } from '../../mcp/mcp-inference-hook.js';
import { newAnthropicMessageId } from './anthropic-message-id.js';
import { AnthropicStreamEncoder, type AnthropicEventWriter } from './anthropic-stream-encoder.js';
import { encodeAnthropicResponse, type AnthropicMessage } from './encode-anthropic-response.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';
import { NO_OP_RECORDER, type RelayObserver, type RequestRecorder } from '../../observability/request-recorder.js';
import type { UpstreamCaptureSink } from '../../observability/upstream-capture.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';

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
  /**
   * Optional: {@link relay} for a body pushed by `upstream/upstream-stream.ts` (the passthrough
   * clients' `openMessages`); each relayed chunk also goes to `observer` (the request log).
   */
  relayPushed?(upstream: UpstreamStreamResponse, headers: Record<string, string>, observer: RelayObserver | undefined): Promise<void>;
  /** Sends a complete translated message (status 200). */
  sendMessage(message: AnthropicMessage, headers: Record<string, string>): void;
  /** Starts a translated stream (status 200) and returns the writer for its events. */
  startStream(headers: Record<string, string>): AnthropicEventWriter;
  /** Ends a translated stream normally or after an `error` event. */
  endStream(): void;
  /** Drops the connection (the caller went away mid-stream). */
  abort(): void;
  /**
   * Optional: commits the response now as a `200` Anthropic event stream, before any upstream
   * answered (keep-alive `ping`s while a streamed request waits for its first token), and returns
   * the writer for its events. Afterwards nothing sends headers again: `startStream` returns the
   * same writer, and `relay` copies only the upstream's event bytes (an upstream error status
   * becomes an `error` event). Framings that cannot commit early leave it out (no pings are sent).
   * @see ../../routing/stream-keepalive.ts
   */
  commitEventStream?(headers: Record<string, string>): AnthropicEventWriter;
}

/** What one Anthropic-format request needs to be served. */
export interface AnthropicMessagesCall {
  /** The parsed request body (not changed: each attempt works on a copy). */
  root: JsonObject;
  /** The request body as received, relayed untouched when nothing in it has to change. */
  body: Buffer;
  /** The model name to report back to the caller. */
  requestedModel: string;
  target: ModelTarget;
  request: IncomingMessage;
  signal: AbortSignal;
  sink: AnthropicResponseSink;
  /** Parse options for cloud-format bodies (`anthropic_version` in the body, no `model`). */
  cloudBody?: boolean;
  /**
   * The routing decision and plan (`routing/route-anthropic-request.ts`): fallbacks, retries,
   * health-aware keys, keep-alive pings, `x-heimdall-route`. Absent: `target` alone, one attempt.
   */
  routing?: AnthropicRouting;
  /**
   * Without `routing`: the planned target as governance left it (`excludedKeyIds`: provider keys
   * the virtual key may not use). Default `[{ target }]`.
   */
  plannedTargets?: PlannedTarget[];
  /** The request log / metrics / traces of this request (src/observability); absent: not recorded. */
  recorder?: RequestRecorder;
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
 * original bytes when nothing changes; thinking blocks another provider made are dropped, see
 * `routing/thinking-signatures.ts`), and their response is relayed as it comes. Every other
 * provider is reached through the IR: the body is validated and parsed, sent through the
 * provider's `ChatClient`, and the result encoded back as Anthropic events or JSON.
 *
 * With `call.routing`, the routed target is tried first and then its fallbacks, with retries and
 * health-aware key choice (`routing/serve-with-fallbacks.ts`); failing over happens only before
 * the first byte of an answer reached the caller. A streamed request that waits long for its first
 * token gets keep-alive `ping` events (when the sink can commit early).
 *
 * @throws GatewayError / ProviderCallError before anything was sent to the caller (the caller's
 *   route answers it in its own error shape); after a stream began, failures become an `error` event
 */
export async function serveAnthropicMessages(call: AnthropicMessagesCall): Promise<void> {
  const routing = call.routing;
  const targets = routing?.targets ?? call.plannedTargets ?? [{ target: call.target }];
  const attempts = routing?.attempts ?? [];
  const ticker = routing?.runtime.keepAlive;
  const commit = call.sink.commitEventStream;
  const keepAlive =
    call.root.stream === true && ticker !== undefined && commit !== undefined
      ? ticker.watch(() => commit(routeHeaders(targets[0].target, routing, 0)))
      : undefined;
  try {
    await serveWithFallbacks(
      { targets, runtime: routing?.runtime ?? singleAttemptRuntime(), signal: call.signal, attempts },
      (attempt) => (call.recorder ?? NO_OP_RECORDER).attempt(attempt, (capture) => attemptAnthropicMessages(call, attempt, keepAlive, capture)), // observability hook
    );
  } catch (error) {
    const writer = keepAlive?.committedWriter;
    if (writer === undefined) throw error;
    // The response was committed by keep-alive pings: the failure can only be an SSE error event.
    keepAlive?.stop();
    if (call.signal.aborted) {
      call.sink.abort();
      return;
    }
    const failure = error instanceof GatewayError ? error : networkError(targets[0].target.instance.name, error);
    call.recorder?.error(failure); // observability hook
    writer('error', { type: 'error', error: { type: failure.kind, message: failure.message } });
    call.sink.endStream();
  } finally {
    keepAlive?.stop();
  }
}

/** `x-heimdall-provider` / `-model` (where the answer comes from), `x-heimdall-route`, and `x-heimdall-attempts` after a retry or fallback. */
function routeHeaders(target: ModelTarget, routing: AnthropicRouting | undefined, attemptNumber: number): Record<string, string> {
  const headers: Record<string, string> = { 'x-heimdall-provider': target.instance.name, 'x-heimdall-model': target.model };
  if (routing !== undefined) headers['x-heimdall-route'] = routing.decision.routeName;
  if (attemptNumber > 0) headers['x-heimdall-attempts'] = String(attemptNumber + 1);
  return headers;
}

/** The body for an Anthropic-format target: the original bytes when nothing changes, else a re-serialised copy. */
function passthroughBody(call: AnthropicMessagesCall, model: string, dropped: DroppedFieldLog, mcp?: McpInferenceHook): Buffer {
  const copy: JsonObject = { ...call.root, model };
  const thinkingChanged = dropForeignThinkingBlocks(copy, dropped);
  const mcpToolsAdded = mcp?.injectIntoAnthropicBody(copy) === true; // MCP gateway hook
  if (!thinkingChanged && !mcpToolsAdded && call.root.model === model && call.routing?.bodyChanged !== true) return call.body;
  return jsonRequestBody(copy);
}

/**
 * One attempt at one target with one key. Resolves once the answer went to the caller (or the
 * caller went away); rejects only while nothing of this attempt reached the caller.
 */
async function attemptAnthropicMessages(
  call: AnthropicMessagesCall,
  attempt: Attempt,
  keepAlive: StreamKeepAlive | undefined,
  capture: UpstreamCaptureSink | undefined,
): Promise<void> {
  const { root, sink } = call;
  const { target } = attempt;
  const client = clientForInstance(target.instance);
  const dropped = new DroppedFieldLog();
  const headers = routeHeaders(target, call.routing, attempt.number);
  const upstreamCall: UpstreamCall = {
    instance: target.instance,
    key: attempt.key,
    model: target.model,
    signal: call.signal,
    inboundHeaders: call.request.headers,
    dropped,
    ...(capture === undefined ? {} : { capture }),
  };
  // MCP gateway hook (src/mcp/mcp-inference-hook.ts): the caller's MCP tools; agent mode runs them.
  const mcp = await mcpInferenceHookFor(call.request);

  if (client.messages !== undefined && (client.messages.acceptsModel?.(upstreamCall) ?? true)) {
    const body = passthroughBody(call, target.model, dropped, mcp);
    const relayPushed = sink.relayPushed;
    if (client.messages.openMessages !== undefined && relayPushed !== undefined) {
      // The body is pushed as undici parses it (no Readable on this path: upstream-stream.ts).
      const pushed = await client.messages.openMessages(body, upstreamCall, root.stream === true);
      if (pushed.statusCode >= 400 && attempt.continuesAfter(pushed.statusCode, pushed.headers)) {
        throw upstreamStatusErrorFromText(target.instance.name, pushed.statusCode, pushed.headers, await pushed.text());
      }
      keepAlive?.stop();
      call.recorder?.dropped(dropped.entries); // observability hook
      const observer = call.recorder?.observeRelay(pushed.headers); // observability hook: usage and content from the relayed bytes
      await relayPushed(pushed, { ...headers, ...droppedFieldsHeader(dropped) }, observer);
      return;
    }
    const upstream = await client.messages.sendMessages(body, upstreamCall, root.stream === true);
    if (upstream.statusCode >= 400 && attempt.continuesAfter(upstream.statusCode, upstream.headers)) {
      throw await upstreamStatusError(target.instance.name, upstream);
    }
    keepAlive?.stop();
    call.recorder?.dropped(dropped.entries); // observability hook
    call.recorder?.relay(upstream); // observability hook: usage and content from the relayed bytes
    await sink.relay(upstream, { ...headers, ...droppedFieldsHeader(dropped) });
    return;
  }

  if (client.chat === undefined) {
    throw new TargetUnavailableError(new GatewayError('invalid_request_error', `provider '${target.instance.name}' cannot serve Anthropic Messages requests`));
  }
  const gatewayRequest = parseAnthropicRequest(root, dropped, { cloudBody: call.cloudBody });
  gatewayRequest.model = target.model;
  stripForeignReasoningSignatures(gatewayRequest);
  clampOutputTokens(gatewayRequest, target.instance, dropped);
  mcp?.injectIntoRequest(gatewayRequest); // MCP gateway hook
  const chat = client.chat;
  const messageId = newAnthropicMessageId();
  const thinkingSignature = heimdallThinkingSignature(target.instance.name, target.model);

  if (!gatewayRequest.stream) {
    const result =
      mcp?.agentMode === true ? await mcp.runAgentLoop(gatewayRequest, (next) => chat.complete(next, upstreamCall)) : await chat.complete(gatewayRequest, upstreamCall); // MCP gateway hook
    const message = encodeAnthropicResponse(result, messageId, call.requestedModel, thinkingSignature);
    call.recorder?.dropped(dropped.entries); // observability hook
    call.recorder?.responseBody(message); // observability hook
    sink.sendMessage(message, { ...headers, ...droppedFieldsHeader(dropped) });
    return;
  }

  const stream =
    mcp?.agentMode === true ? await mcp.streamAgentLoop(gatewayRequest, (next) => chat.stream(next, upstreamCall)) : await chat.stream(gatewayRequest, upstreamCall); // MCP gateway hook
  // The answer starts (and failing over ends) with the first event that carries content.
  let encoder: AnthropicStreamEncoder | undefined;
  const open = (): AnthropicStreamEncoder => {
    keepAlive?.stop();
    const started = sink.startStream({ ...headers, ...droppedFieldsHeader(dropped) });
    call.recorder?.dropped(dropped.entries); // observability hook
    const writer = call.recorder?.observeEvents(started) ?? started; // observability hook: the events as the caller gets them
    const opened = new AnthropicStreamEncoder(writer, { id: messageId, model: call.requestedModel, unsignedThinkingSignature: thinkingSignature });
    opened.start();
    encoder = opened;
    return opened;
  };
  const gate: StreamEventSink = {
    event: (event) => {
      if (encoder === undefined && event.type === 'response-metadata') return;
      (encoder ?? open()).event(event);
    },
  };
  try {
    await stream.pipeTo(gate);
    (encoder ?? open()).end();
  } catch (error) {
    if (call.signal.aborted) {
      sink.abort();
      return;
    }
    const failure = error instanceof GatewayError ? error : networkError(target.instance.name, error);
    if (encoder === undefined) throw failure;
    encoder.fail(failure);
  }
  sink.endStream();
}
