import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { JsonObject } from '../../core/request-validation.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import type { UpstreamCall } from '../../providers/provider.js';
import { selectProviderKey } from '../../routing/select-provider-key.js';
import { estimateInputTokens } from '../anthropic/estimate-input-tokens.js';
import { abortOnClientDisconnect, parseJsonBody, relayUpstreamResponse, sseResponseSink } from '../anthropic/handle-anthropic-messages.js';
import { parseAnthropicRequest } from '../anthropic/parse-anthropic-request.js';
import { serveAnthropicMessages } from '../anthropic/serve-anthropic-messages.js';
import { authenticateInferenceCaller, governInferenceRequest } from '../../governance/govern-inference-request.js';
import type { GenaiPath } from './parse-genai-path.js';
import { startRequestRecorder } from '../../observability/observability.js';
import { resolveGenaiTarget } from './resolve-genai-target.js';
import type { PlannedTarget } from '../../routing/serve-with-fallbacks.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';

/**
 * Turns a Vertex-format Anthropic body (`anthropic_version` in the body, no `model`, betas maybe in
 * `anthropic_beta`) into an Anthropic Messages body for `model`: the model set, the Vertex-only
 * fields removed, body betas moved to the `anthropic-beta` header of the inbound request (where
 * the Anthropic and Vertex clients read them).
 */
function toAnthropicBody(root: JsonObject, model: string, request: IncomingMessage): void {
  root.model = model;
  delete root.anthropic_version;
  if (Array.isArray(root.anthropic_beta)) {
    const bodyBetas = root.anthropic_beta.filter((beta): beta is string => typeof beta === 'string');
    const headerBetas = typeof request.headers['anthropic-beta'] === 'string' ? request.headers['anthropic-beta'].split(',') : [];
    const betas = [...new Set([...headerBetas, ...bodyBetas].map((beta) => beta.trim()).filter((beta) => beta !== ''))];
    if (betas.length > 0) request.headers['anthropic-beta'] = betas.join(',');
  }
  delete root.anthropic_beta;
}

/**
 * `POST /genai/…/publishers/anthropic/models/{model}:rawPredict` and `:streamRawPredict`: Claude
 * on Vertex AI as Claude Code's Vertex mode calls it. The body is Anthropic Messages without
 * `model` (it is in the URL) and with `anthropic_version`; it is served by
 * `serveAnthropicMessages` with the `/anthropic` SSE framing, so a configured `vertex` provider
 * gets it as a passthrough, Anthropic gets it as a passthrough with the Anthropic model name, and
 * any other provider through the IR. `streamRawPredict` streams even when the body does not say so.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude
 */
export async function serveVertexAnthropicMessages(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  path: GenaiPath,
  settings: GatewaySettings,
): Promise<void> {
  const root = parseJsonBody(body);
  root.model = path.model; // until resolved: the recorder reads the model asked for (an unknown one is recorded too)
  if (path.method === 'streamRawPredict' && root.stream === undefined) root.stream = true;
  const recorder = startRequestRecorder(request, response, { inboundApi: 'genai', root, body }); // observability hook
  try {
    const target = resolveGenaiTarget(path, settings);
    toAnthropicBody(root, target.model, request);
    const anthropicBody = jsonRequestBody(root);
    const plan = { targets: [{ target }] as PlannedTarget[] };
    await governInferenceRequest(request, response, { root, body: anthropicBody, plan, recorder }); // governance
    const abort = abortOnClientDisconnect(request, response);
    await serveAnthropicMessages({
      root,
      body: anthropicBody,
      requestedModel: path.model,
      target,
      plannedTargets: plan.targets,
      request,
      signal: abort.signal,
      sink: sseResponseSink(response),
      cloudBody: true,
      recorder,
    });
  } catch (error) {
    recorder.error(error); // observability hook
    throw error;
  }
}

/**
 * `POST /genai/…/publishers/anthropic/models/count-tokens:rawPredict`: Vertex's token counting
 * for Claude (the model is in the body). Exact where the provider counts Claude tokens (Vertex,
 * Anthropic), otherwise the gateway's estimate, marked `x-heimdall-token-count: estimate`.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/count-tokens
 */
export async function serveVertexAnthropicCountTokens(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  path: GenaiPath,
  settings: GatewaySettings,
): Promise<void> {
  const root = parseJsonBody(body);
  await authenticateInferenceCaller(request);
  if (typeof root.model !== 'string' || root.model === '') throw new GatewayError('invalid_request_error', 'model: Field required');
  const target = resolveGenaiTarget({ ...path, model: root.model }, settings);
  toAnthropicBody(root, target.model, request);
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
  if (client.messages !== undefined && (client.messages.acceptsModel?.(call) ?? true)) {
    const upstream = await client.messages.countTokens(jsonRequestBody(root), call);
    await relayUpstreamResponse(upstream, response, { 'x-heimdall-token-count': 'exact' });
    return;
  }
  const gatewayRequest = parseAnthropicRequest(root, dropped, { countTokens: true, cloudBody: true });
  response.writeHead(200, { 'content-type': 'application/json', 'x-heimdall-token-count': 'estimate' });
  response.end(JSON.stringify({ input_tokens: estimateInputTokens(gatewayRequest) }));
}
