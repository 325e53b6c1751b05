import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import { expectObject, isJsonObject } from '../../core/request-validation.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import type { GeminiContentMethod, UpstreamCall } from '../../providers/provider.js';
import { selectProviderKey } from '../../routing/select-provider-key.js';
import { networkError } from '../../upstream/upstream-http.js';
import { estimateInputTokens } from '../anthropic/estimate-input-tokens.js';
import { abortOnClientDisconnect, parseJsonBody, relayUpstreamResponse } from '../anthropic/handle-anthropic-messages.js';
import { authenticateInferenceCaller, governInferenceRequest } from '../../governance/govern-inference-request.js';
import { droppedFieldsHeader } from '../anthropic/serve-anthropic-messages.js';
import { encodeGeminiResponse } from './encode-gemini-response.js';
import { GeminiStreamEncoder, type GeminiChunkWriter } from './gemini-stream-encoder.js';
import type { GenaiPath } from './parse-genai-path.js';
import { parseGeminiRequest } from './parse-gemini-request.js';
import { resolveGenaiTarget } from './resolve-genai-target.js';
import { geminiLogView } from './gemini-log-view.js';
import { observeGeminiRelay } from './observe-gemini-relay.js';
import { startRequestRecorder } from '../../observability/observability.js';
import { recordTranslatedResponse, TranslatedStreamRecorder, teeStreamEvents } from '../../observability/translated-answer-recorder.js';
import { serveWithFallbacks, singleAttemptRuntime, type PlannedTarget } from '../../routing/serve-with-fallbacks.js';

/** The Gemini methods `/genai` serves. */
export const GEMINI_CONTENT_METHODS: ReadonlySet<string> = new Set<GeminiContentMethod>(['generateContent', 'streamGenerateContent', 'countTokens']);

/** A response id in Gemini's style (random, URL-safe). */
function newGeminiResponseId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Serves a Gemini-format request (`generateContent`, `streamGenerateContent`, `countTokens`) from
 * any provider:
 *
 * - a provider that speaks Gemini natively (Gemini API; Vertex AI for non-Claude models) gets the
 *   body untouched and its answer is relayed byte for byte (same-format passthrough, `alt` kept);
 * - any other provider is reached through the IR: {@link parseGeminiRequest}, the provider's
 *   `ChatClient`, then {@link encodeGeminiResponse} or a {@link GeminiStreamEncoder} (SSE with
 *   `alt=sse`, otherwise a streamed JSON array, as Google's API does). `countTokens` answers the
 *   gateway's estimate as `{totalTokens}`.
 *
 * `generateContent` and `streamGenerateContent` are recorded like the Anthropic surfaces (request
 * log with the answer as an Anthropic Message, metrics, traces) and governed with a budget
 * reservation settled from the consumed usage when the response closes — completed, failed or
 * aborted by the caller. `countTokens` is authenticated only.
 *
 * @throws GatewayError / ProviderCallError before anything was sent (answered in Google's shape by
 *   the route); after a stream began, a failure is sent as a last `{error}` chunk
 * @see https://ai.google.dev/api/generate-content
 */
export async function serveGeminiContent(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  path: GenaiPath,
  url: URL,
  settings: GatewaySettings,
): Promise<void> {
  const method = path.method as GeminiContentMethod;
  if (method === 'countTokens') {
    await countGeminiTokens(request, response, body, path, url, settings);
    return;
  }
  const stream = method === 'streamGenerateContent';
  const root = parseJsonBody(body);
  const view = geminiLogView(root, path.model, stream);
  const recorder = startRequestRecorder(request, response, { inboundApi: 'genai', root: view, body }); // observability hook
  try {
    const target = resolveGenaiTarget(path, settings);
    const plan = { targets: [{ target }] as PlannedTarget[] };
    await governInferenceRequest(request, response, { root: view, body, plan, recorder }); // governance: virtual key, allowed models, rate limits, budgets
    const client = clientForInstance(target.instance);
    const dropped = new DroppedFieldLog();
    const abort = abortOnClientDisconnect(request, response);
    const routeHeaders = { 'x-heimdall-provider': target.instance.name, 'x-heimdall-model': target.model };
    await serveWithFallbacks({ targets: plan.targets, runtime: singleAttemptRuntime(), signal: abort.signal, attempts: [] }, (attempt) =>
      recorder.attempt(attempt, async (capture) => {
        // observability hook: the attempt is timed and traced; content logging captures its upstream exchange
        const call: UpstreamCall = { instance: target.instance, key: attempt.key, model: target.model, signal: abort.signal, inboundHeaders: request.headers, dropped, ...(capture === undefined ? {} : { capture }) };
        const servesAnthropicFormat = client.messages !== undefined && (client.messages.acceptsModel?.(call) ?? true);
        if (client.gemini !== undefined && !servesAnthropicFormat) {
          const upstream = await client.gemini.sendGenerateContent(method, body, call, url.searchParams.get('alt') ?? undefined);
          observeGeminiRelay(recorder, upstream, { model: path.model, stream }); // observability hook: usage and content from the relayed bytes
          await relayUpstreamResponse(upstream, response, routeHeaders);
          return;
        }
        if (client.chat === undefined || servesAnthropicFormat) throw cannotServeGemini(target.instance.name, target.model);
        const gatewayRequest = parseGeminiRequest(root, dropped, { model: target.model, stream });
        const responseId = newGeminiResponseId();
        if (!stream) {
          const result = await client.chat.complete(gatewayRequest, call);
          recorder.dropped(dropped.entries); // observability hook
          recordTranslatedResponse(recorder, result, path.model); // observability hook
          response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', ...routeHeaders, ...droppedFieldsHeader(dropped) });
          response.end(JSON.stringify(encodeGeminiResponse(result, path.model, responseId)));
          return;
        }

        const upstream = await client.chat.stream(gatewayRequest, call);
        recorder.dropped(dropped.entries); // observability hook
        const sse = url.searchParams.get('alt') === 'sse';
        response.writeHead(200, {
          'content-type': sse ? 'text/event-stream' : 'application/json; charset=UTF-8',
          'cache-control': 'no-cache',
          ...routeHeaders,
          ...droppedFieldsHeader(dropped),
        });
        const writer = sse ? sseChunkWriter(response) : jsonArrayChunkWriter(response);
        const encoder = new GeminiStreamEncoder(writer.write, { model: path.model, responseId });
        const recorded = new TranslatedStreamRecorder(recorder, path.model); // observability hook: the answer as an Anthropic Message
        try {
          await upstream.pipeTo(teeStreamEvents(encoder, recorded));
          encoder.end();
          recorded.end();
        } catch (error) {
          if (abort.signal.aborted) {
            response.destroy();
            return;
          }
          const failure = error instanceof GatewayError ? error : networkError(target.instance.name, error);
          encoder.fail(failure);
          recorded.fail(failure);
        }
        writer.close();
      }),
    );
  } catch (error) {
    recorder.error(error); // observability hook
    throw error;
  }
}

function cannotServeGemini(provider: string, model: string): GatewayError {
  return new GatewayError(
    'invalid_request_error',
    `provider '${provider}' cannot serve Gemini-format requests for ${model}; use its own API format (e.g. /anthropic) or another model`,
  );
}

/** `countTokens`: relayed from Gemini, else the gateway's estimate as `{totalTokens}` (authenticated, not logged). */
async function countGeminiTokens(request: IncomingMessage, response: ServerResponse, body: Buffer, path: GenaiPath, url: URL, settings: GatewaySettings): Promise<void> {
  const target = resolveGenaiTarget(path, settings);
  await authenticateInferenceCaller(request);
  const client = clientForInstance(target.instance);
  const dropped = new DroppedFieldLog();
  const abort = abortOnClientDisconnect(request, response);
  const call: UpstreamCall = {
    instance: target.instance,
    key: selectProviderKey(target.instance, target.model),
    model: target.model,
    signal: abort.signal,
    inboundHeaders: request.headers,
    dropped,
  };
  const routeHeaders = { 'x-heimdall-provider': target.instance.name, 'x-heimdall-model': target.model };
  const servesAnthropicFormat = client.messages !== undefined && (client.messages.acceptsModel?.(call) ?? true);
  if (client.gemini !== undefined && !servesAnthropicFormat) {
    const upstream = await client.gemini.sendGenerateContent('countTokens', body, call, url.searchParams.get('alt') ?? undefined);
    await relayUpstreamResponse(upstream, response, routeHeaders);
    return;
  }
  if (client.chat === undefined || servesAnthropicFormat) throw cannotServeGemini(target.instance.name, target.model);
  const root = parseJsonBody(body);
  const requestBody = isJsonObject(root.generateContentRequest) ? root.generateContentRequest : root;
  const gatewayRequest = parseGeminiRequest(expectObject(requestBody, 'generateContentRequest'), dropped, { model: target.model, stream: false });
  response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'x-heimdall-token-count': 'estimate', ...routeHeaders });
  response.end(JSON.stringify({ totalTokens: estimateInputTokens(gatewayRequest) }));
}

/** `data: <json>\r\n\r\n` per chunk, as `streamGenerateContent?alt=sse` sends them. */
function sseChunkWriter(response: ServerResponse): { write: GeminiChunkWriter; close: () => void } {
  return {
    write: (chunk) => response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`),
    close: () => response.end(),
  };
}

/** A JSON array written element by element, as `streamGenerateContent` without `alt=sse` sends it. */
function jsonArrayChunkWriter(response: ServerResponse): { write: GeminiChunkWriter; close: () => void } {
  let first = true;
  return {
    write: (chunk) => {
      response.write(`${first ? '[' : ',\r\n'}${JSON.stringify(chunk)}`);
      first = false;
    },
    close: () => response.end(first ? '[]' : ']'),
  };
}
