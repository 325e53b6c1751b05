import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../core/request-validation.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import { bedrockRegion } from '../../providers/bedrock/bedrock-transport.js';
import { AWS_EVENT_STREAM_CONTENT_TYPE, encodeEventMessage } from '../../providers/bedrock/aws-event-stream.js';
import type { UpstreamCall } from '../../providers/provider.js';
import { serveWithFallbacks, singleAttemptRuntime, type PlannedTarget } from '../../routing/serve-with-fallbacks.js';
import type { ModelTarget } from '../../routing/resolve-model.js';
import { selectProviderKey } from '../../routing/select-provider-key.js';
import { readRequestBody } from '../../server/read-request-body.js';
import { networkError, readBodyText } from '../../upstream/upstream-http.js';
import { estimateInputTokens } from '../anthropic/estimate-input-tokens.js';
import { abortOnClientDisconnect, parseJsonBody } from '../anthropic/handle-anthropic-messages.js';
import { parseAnthropicRequest } from '../anthropic/parse-anthropic-request.js';
import { serveAnthropicMessages } from '../anthropic/serve-anthropic-messages.js';
import { authenticateInferenceCaller, governInferenceRequest } from '../../governance/govern-inference-request.js';
import { bedrockStreamException, sendBedrockError } from './bedrock-error-response.js';
import { handleBedrockInferenceProfiles } from './bedrock-inference-profiles.js';
import { bedrockInvokeSink } from './bedrock-invoke-sink.js';
import { ConverseStreamEncoder } from './converse-stream-encoder.js';
import { encodeConverseResponse } from './encode-converse-response.js';
import { parseConverseRequest } from './parse-converse-request.js';
import { startRequestRecorder } from '../../observability/observability.js';
import { recordTranslatedResponse, TranslatedStreamRecorder, teeStreamEvents } from '../../observability/translated-answer-recorder.js';
import { converseLogView } from './converse-log-view.js';
import { configuredBedrockInstance, resolveBedrockModel } from './resolve-bedrock-model.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';

/** The path prefix of the Bedrock surface. */
export const BEDROCK_PREFIX = '/bedrock/';

/** Longest `x-heimdall-dropped-fields` value sent, characters. */
const MAX_DROPPED_HEADER_LENGTH = 2000;

function routeHeaders(target: ModelTarget, dropped?: DroppedFieldLog): Record<string, string> {
  const headers: Record<string, string> = { 'x-heimdall-provider': target.instance.name, 'x-heimdall-model': target.model };
  if (dropped !== undefined && dropped.entries.length > 0) {
    const value = [...new Set(dropped.entries.map((entry) => entry.field))].join(', ');
    headers['x-heimdall-dropped-fields'] = value.length > MAX_DROPPED_HEADER_LENGTH ? `${value.slice(0, MAX_DROPPED_HEADER_LENGTH)}...` : value;
  }
  return headers;
}

function upstreamCallFor(target: ModelTarget, request: IncomingMessage, signal: AbortSignal, dropped: DroppedFieldLog): UpstreamCall {
  return {
    instance: target.instance,
    key: selectProviderKey(target.instance, target.model),
    model: target.model,
    signal,
    inboundHeaders: request.headers,
    dropped,
  };
}

/**
 * Turns a Bedrock-form Anthropic body into an ordinary one: `anthropic_version` removed, the
 * `anthropic_beta` list moved into the request's `anthropic-beta` header (merged with one already
 * sent), `model` and `stream` set from the URL.
 */
export function normalizeBedrockAnthropicBody(root: JsonObject, request: IncomingMessage, model: string, stream: boolean): void {
  const betas = Array.isArray(root.anthropic_beta) ? root.anthropic_beta.filter((flag): flag is string => typeof flag === 'string') : [];
  delete root.anthropic_version;
  delete root.anthropic_beta;
  if (betas.length > 0) {
    const existing = request.headers['anthropic-beta'];
    const merged = new Set([...(typeof existing === 'string' ? existing.split(',') : []), ...betas].map((flag) => flag.trim()).filter((flag) => flag !== ''));
    request.headers['anthropic-beta'] = [...merged].join(',');
  }
  root.model = model;
  root.stream = stream;
}

/** `POST /bedrock/model/{modelId}/invoke[-with-response-stream]`: InvokeModel with an Anthropic body. */
async function handleInvoke(request: IncomingMessage, response: ServerResponse, modelId: string, stream: boolean, settings: GatewaySettings): Promise<void> {
  const body = await readRequestBody(request, settings.maxBodyBytes);
  const root = parseJsonBody(body);
  root.model = modelId; // until resolved: the recorder reads the model asked for (an unknown one is recorded too)
  root.stream = stream;
  const recorder = startRequestRecorder(request, response, { inboundApi: 'bedrock', root, body }); // observability hook
  try {
    const target = resolveBedrockModel(modelId, settings.providers);
    normalizeBedrockAnthropicBody(root, request, target.model, stream);
    const anthropicBody = jsonRequestBody(root);
    const plan = { targets: [{ target }] as PlannedTarget[] };
    await governInferenceRequest(request, response, { root, body: anthropicBody, plan, recorder }); // governance
    const abort = abortOnClientDisconnect(request, response);
    await serveAnthropicMessages({
      root,
      body: anthropicBody,
      requestedModel: modelId,
      target,
      plannedTargets: plan.targets,
      request,
      signal: abort.signal,
      sink: bedrockInvokeSink(response),
      recorder,
    });
  } catch (error) {
    recorder.error(error); // observability hook
    throw error;
  }
}

/**
 * `POST /bedrock/model/{modelId}/converse[-stream]`: Converse → IR → any provider with a chat
 * client. Recorded like the Anthropic surfaces (request log, metrics, traces: the answer is logged
 * as an Anthropic Message) and governed with the same reservation: admitted before anything is
 * forwarded, charged with the consumed usage when the response closes — completed, failed or
 * aborted by the caller.
 */
async function handleConverse(request: IncomingMessage, response: ServerResponse, modelId: string, stream: boolean, settings: GatewaySettings): Promise<void> {
  const startedAt = Date.now();
  const body = await readRequestBody(request, settings.maxBodyBytes);
  const root = parseJsonBody(body);
  const view = converseLogView(root, modelId, stream);
  const recorder = startRequestRecorder(request, response, { inboundApi: 'bedrock', root: view, body }); // observability hook
  try {
    const target = resolveBedrockModel(modelId, settings.providers);
    const chat = clientForInstance(target.instance).chat;
    if (chat === undefined) {
      throw new GatewayError('invalid_request_error', `provider '${target.instance.name}' cannot serve Converse requests (it has no translating client)`);
    }
    const dropped = new DroppedFieldLog();
    const gatewayRequest = parseConverseRequest(root, dropped, stream);
    gatewayRequest.model = target.model;
    const plan = { targets: [{ target }] as PlannedTarget[] };
    await governInferenceRequest(request, response, { root: view, body, plan, recorder }); // governance: virtual key, allowed models, rate limits, budgets
    const abort = abortOnClientDisconnect(request, response);
    await serveWithFallbacks({ targets: plan.targets, runtime: singleAttemptRuntime(), signal: abort.signal, attempts: [] }, (attempt) =>
      recorder.attempt(attempt, async (capture) => {
        // observability hook: the attempt is timed and traced; content logging captures its upstream exchange
        const call: UpstreamCall = { instance: target.instance, key: attempt.key, model: target.model, signal: abort.signal, inboundHeaders: request.headers, dropped, ...(capture === undefined ? {} : { capture }) };
        if (!stream) {
          const result = await chat.complete(gatewayRequest, call);
          recorder.dropped(dropped.entries); // observability hook
          recordTranslatedResponse(recorder, result, modelId); // observability hook
          response.writeHead(200, { 'content-type': 'application/json', ...routeHeaders(target, dropped) });
          response.end(JSON.stringify(encodeConverseResponse(result, Date.now() - startedAt)));
          return;
        }
        const providerStream = await chat.stream(gatewayRequest, call);
        recorder.dropped(dropped.entries); // observability hook
        response.writeHead(200, { 'content-type': AWS_EVENT_STREAM_CONTENT_TYPE, ...routeHeaders(target, dropped) });
        const encoder = new ConverseStreamEncoder((eventType, payload) => response.write(encodeEventMessage(eventType, JSON.stringify(payload))), startedAt);
        const recorded = new TranslatedStreamRecorder(recorder, modelId); // observability hook: the answer as an Anthropic Message
        encoder.start();
        recorded.start();
        try {
          await providerStream.pipeTo(teeStreamEvents(encoder, recorded));
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
          response.write(bedrockStreamException(failure.kind, failure.message));
        }
        response.end();
      }),
    );
  } catch (error) {
    recorder.error(error); // observability hook
    throw error;
  }
}

/**
 * `POST /bedrock/model/{modelId}/count-tokens`: `{"input": {"invokeModel": {"body": base64}}}` or
 * `{"input": {"converse": {…}}}` → `{"inputTokens": N}`. Exact through an Anthropic-speaking
 * provider's counting endpoint, otherwise the gateway's estimate.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
 */
async function handleCountTokens(request: IncomingMessage, response: ServerResponse, modelId: string, settings: GatewaySettings): Promise<void> {
  const root = parseJsonBody(await readRequestBody(request, settings.maxBodyBytes));
  await authenticateInferenceCaller(request);
  const input = isJsonObject(root.input) ? root.input : undefined;
  const target = resolveBedrockModel(modelId, settings.providers);
  const dropped = new DroppedFieldLog();
  let inputTokens: number;
  if (input !== undefined && isJsonObject(input.invokeModel) && typeof input.invokeModel.body === 'string') {
    const anthropicBody = parseJsonBody(Buffer.from(input.invokeModel.body, 'base64'));
    normalizeBedrockAnthropicBody(anthropicBody, request, target.model, false);
    delete anthropicBody.stream;
    const messages = clientForInstance(target.instance).messages;
    const abort = abortOnClientDisconnect(request, response);
    const call = upstreamCallFor(target, request, abort.signal, dropped);
    if (messages !== undefined && (messages.acceptsModel?.(call) ?? true)) {
      const upstream = await messages.countTokens(jsonRequestBody(anthropicBody), call);
      const text = await readBodyText(upstream.body);
      const parsed = JSON.parse(text) as { input_tokens?: unknown };
      if (upstream.statusCode !== 200 || typeof parsed.input_tokens !== 'number') {
        throw new GatewayError('invalid_request_error', `token counting failed upstream (${upstream.statusCode}): ${text.slice(0, 300)}`, { status: upstream.statusCode });
      }
      inputTokens = parsed.input_tokens;
    } else {
      inputTokens = estimateInputTokens(parseAnthropicRequest(anthropicBody, dropped, { countTokens: true }));
    }
  } else if (input !== undefined && isJsonObject(input.converse)) {
    inputTokens = estimateInputTokens(parseConverseRequest(input.converse, dropped, false));
  } else {
    throw new GatewayError('invalid_request_error', 'input: expected invokeModel.body or converse');
  }
  response.writeHead(200, { 'content-type': 'application/json', ...routeHeaders(target) });
  response.end(JSON.stringify({ inputTokens }));
}

/** `/bedrock/model/{modelId}/{operation}` with the model id URL-decoded. */
const MODEL_PATH = /^\/bedrock\/model\/([^/]+)\/([a-z-]+)$/;

/**
 * The `/bedrock` surface: Bedrock's runtime API for `@aws-sdk/client-bedrock-runtime` clients and
 * Claude Code's Bedrock mode (`CLAUDE_CODE_USE_BEDROCK=1`, `ANTHROPIC_BEDROCK_BASE_URL=<gateway>/bedrock`,
 * `CLAUDE_CODE_SKIP_BEDROCK_AUTH=1`): InvokeModel (with and without response stream), Converse,
 * ConverseStream, CountTokens and ListInferenceProfiles. Requests are not authenticated here (the
 * caller's SigV4 signature is ignored); every error is answered in Bedrock's shape.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html
 */
export async function handleBedrockRequest(request: IncomingMessage, response: ServerResponse, url: URL, settings: GatewaySettings): Promise<void> {
  try {
    const method = request.method ?? 'GET';
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    if (path === '/bedrock/inference-profiles' && (method === 'GET' || method === 'HEAD')) {
      const bedrock = configuredBedrockInstance(settings.providers);
      handleBedrockInferenceProfiles(url, response, settings, bedrock === undefined ? (process.env.AWS_REGION ?? 'us-east-1') : bedrockRegion(bedrock));
      return;
    }
    const match = MODEL_PATH.exec(path);
    if (match === null) throw new GatewayError('not_found_error', `no Bedrock operation at ${method} ${path}`);
    if (method !== 'POST') throw new GatewayError('invalid_request_error', `method ${method} is not allowed on ${path}`, { status: 405 });
    let modelId: string;
    try {
      modelId = decodeURIComponent(match[1]);
    } catch {
      throw new GatewayError('invalid_request_error', `model id ${match[1]} is not validly URL-encoded`);
    }
    switch (match[2]) {
      case 'invoke':
        await handleInvoke(request, response, modelId, false, settings);
        return;
      case 'invoke-with-response-stream':
        await handleInvoke(request, response, modelId, true, settings);
        return;
      case 'converse':
        await handleConverse(request, response, modelId, false, settings);
        return;
      case 'converse-stream':
        await handleConverse(request, response, modelId, true, settings);
        return;
      case 'count-tokens':
        await handleCountTokens(request, response, modelId, settings);
        return;
      default:
        throw new GatewayError('not_found_error', `unknown Bedrock operation '${match[2]}'`);
    }
  } catch (error) {
    const gatewayError =
      error instanceof GatewayError ? error : new GatewayError('api_error', `internal gateway error: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    if (!(error instanceof GatewayError)) console.error('[heimdall] unexpected error on /bedrock:', error);
    sendBedrockError(response, gatewayError);
  }
}
