import type { IncomingMessage, ServerResponse } from 'node:http';
import { DroppedFieldLog } from '../../core/dropped-fields.js';
import { GatewayError } from '../../core/errors.js';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { authenticateForRouting } from '../../governance/governance-routing-facts.js';
import { clientForInstance } from '../../providers/client-for-instance.js';
import { routeCountTokensTarget, routingRuntimeOf } from '../../routing/route-anthropic-request.js';
import { selectProviderKey } from '../../routing/select-provider-key.js';
import { estimateInputTokens } from './estimate-input-tokens.js';
import { abortOnClientDisconnect, parseJsonBody, relayUpstreamResponse } from './handle-anthropic-messages.js';
import { parseAnthropicRequest } from './parse-anthropic-request.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';

/**
 * `POST /anthropic/v1/messages/count_tokens`: `{input_tokens}` for a Messages body.
 * Exact (the provider's own counting endpoint) for Anthropic-speaking providers; otherwise the
 * documented estimate of `estimateInputTokens`, marked by `x-heimdall-token-count: estimate`.
 * Never makes a completion call.
 * @see https://docs.anthropic.com/en/api/messages-count-tokens
 */
export async function handleAnthropicCountTokens(
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  settings: GatewaySettings,
): Promise<void> {
  const root = parseJsonBody(body);
  const caller = await authenticateForRouting(request, routingRuntimeOf(settings).engine, typeof root.model === 'string' ? root.model : '');
  if (typeof root.model !== 'string' || root.model === '') throw new GatewayError('invalid_request_error', 'model: Field required');
  const target = routeCountTokensTarget(root, request.headers, settings, caller?.facts);
  const client = clientForInstance(target.instance);
  const dropped = new DroppedFieldLog();
  const abort = abortOnClientDisconnect(request, response);
  const upstreamCall = {
    instance: target.instance,
    key: selectProviderKey(target.instance, target.model),
    model: target.model,
    signal: abort.signal,
    inboundHeaders: request.headers,
    dropped,
  };
  if (client.messages !== undefined && (client.messages.acceptsModel?.(upstreamCall) ?? true)) {
    if (root.model !== target.model) root.model = target.model;
    const upstream = await client.messages.countTokens(jsonRequestBody(root), upstreamCall);
    await relayUpstreamResponse(upstream, response, { 'x-heimdall-token-count': 'exact' });
    return;
  }
  const gatewayRequest = parseAnthropicRequest(root, dropped, { countTokens: true });
  response.writeHead(200, { 'content-type': 'application/json', 'x-heimdall-token-count': 'estimate' });
  response.end(JSON.stringify({ input_tokens: estimateInputTokens(gatewayRequest) }));
}
