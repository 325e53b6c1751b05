import type { IncomingHttpHeaders } from 'node:http';
import { VIRTUAL_KEY_PREFIX } from '../../governance/virtual-key-secret.js';
import { sendUpstreamRequest, type UpstreamHttpRequest } from '../../upstream/upstream-http.js';
import { openUpstreamStream } from '../../upstream/upstream-stream.js';
import type { AnthropicMessagesClient, ProviderDefinition, ProviderInstance, UpstreamCall } from '../provider.js';

/** `anthropic-version` sent when the caller gave none. @see https://docs.anthropic.com/en/api/versioning */
export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01';

/** Caller headers relayed to Anthropic as they are (beta flags, version, client identity). */
const FORWARDED_HEADERS = ['anthropic-version', 'anthropic-beta', 'user-agent', 'x-app', 'x-claude-code-session-id'] as const;

/**
 * The upstream headers for an Anthropic call: the caller's version and beta flags, the instance's
 * extra headers, and the credential — the chosen provider key as `x-api-key`, or, for an instance
 * configured without keys, the caller's own `x-api-key` / `Authorization` (subscription users).
 */
export function anthropicUpstreamHeaders(call: UpstreamCall, inbound: IncomingHttpHeaders): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const name of FORWARDED_HEADERS) {
    const value = inbound[name];
    if (typeof value === 'string') headers[name] = value;
  }
  headers['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION;
  Object.assign(headers, call.instance.headers);
  if (call.key !== undefined) {
    headers['x-api-key'] = call.key.value;
  } else {
    // The caller's own Anthropic credential, never a Heimdall virtual key (`hk-…`).
    const apiKey = inbound['x-api-key'];
    const authorization = inbound.authorization;
    if (typeof apiKey === 'string' && !apiKey.startsWith(VIRTUAL_KEY_PREFIX)) headers['x-api-key'] = apiKey;
    else if (typeof authorization === 'string' && !authorization.replace(/^Bearer\s+/i, '').startsWith(VIRTUAL_KEY_PREFIX)) headers.authorization = authorization;
  }
  return headers;
}

function createAnthropicMessagesClient(instance: ProviderInstance): AnthropicMessagesClient {
  // made once per client (per provider instance), not per request
  const messagesUrl = new URL(`${instance.baseUrl}/v1/messages`);
  const countTokensUrl = new URL(`${instance.baseUrl}/v1/messages/count_tokens`);
  const request = (url: URL, body: Buffer, call: UpstreamCall): UpstreamHttpRequest => ({
    provider: instance.name,
    url,
    headers: anthropicUpstreamHeaders(call, call.inboundHeaders),
    body,
    signal: call.signal,
    capture: call.capture,
    timeouts: instance.timeouts,
  });
  return {
    sendMessages: (body, call) => sendUpstreamRequest(request(messagesUrl, body, call)),
    openMessages: (body, call) => openUpstreamStream(request(messagesUrl, body, call)),
    countTokens: (body, call) => sendUpstreamRequest(request(countTokensUrl, body, call)),
  };
}

/**
 * Anthropic's Messages API, reached as a passthrough: Anthropic-format callers' bodies go upstream
 * unchanged but for the model name, and the response (JSON or SSE) comes back byte for byte.
 * @see https://docs.anthropic.com/en/api/messages
 */
export const anthropicProvider: ProviderDefinition = {
  kind: 'anthropic',
  displayName: 'Anthropic',
  defaultBaseUrl: 'https://api.anthropic.com',
  apiKeyEnvironmentVariable: 'ANTHROPIC_API_KEY',
  requiresKey: true,
  notes: "Passthrough; without a configured key the caller's own credential is forwarded.",
  createClient: (instance) => ({ messages: createAnthropicMessagesClient(instance) }),
};
