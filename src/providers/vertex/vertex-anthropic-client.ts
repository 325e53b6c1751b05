import { GatewayError } from '../../core/errors.js';
import { isJsonObject } from '../../core/request-validation.js';
import { sendUpstreamRequest, type UpstreamHttpRequest } from '../../upstream/upstream-http.js';
import { openUpstreamStream, type UpstreamStreamResponse } from '../../upstream/upstream-stream.js';
import type { AnthropicMessagesClient, ProviderInstance, RawUpstreamResponse, UpstreamCall } from '../provider.js';
import type { VertexEndpoint, VertexMethod } from './vertex-endpoint.js';
import { isClaudeModelName, vertexClaudeModelName } from './vertex-model-name.js';
import { parseJsonUtf8 } from '../../server/parse-json-utf8.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';

/** The `anthropic_version` Vertex AI takes in the body. @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

/** Caller headers relayed to Vertex for Claude (beta flags; Vertex takes the version in the body). */
const FORWARDED_HEADERS = ['anthropic-beta', 'user-agent', 'x-app', 'x-claude-code-session-id'] as const;

/**
 * Turns an Anthropic Messages body into a Vertex `rawPredict` body: no `model` (it is in the URL),
 * `anthropic_version: "vertex-2023-10-16"` unless the caller gave one. With `keepModel` the
 * Vertex model name stays in the body (the `count-tokens` endpoint wants it).
 * @throws GatewayError 400 when the body is not a JSON object
 */
export function vertexAnthropicBody(body: Buffer, options: { keepModel?: string } = {}): Buffer {
  let root: unknown;
  try {
    root = parseJsonUtf8(body);
  } catch (error) {
    throw new GatewayError('invalid_request_error', `request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(root)) throw new GatewayError('invalid_request_error', 'request body must be a JSON object');
  const { model: _model, ...rest } = root;
  const vertexBody: Record<string, unknown> = options.keepModel === undefined ? rest : { model: options.keepModel, ...rest };
  vertexBody.anthropic_version ??= VERTEX_ANTHROPIC_VERSION;
  return jsonRequestBody(vertexBody);
}

/**
 * Claude on Vertex AI as an Anthropic-format passthrough: the caller's Messages body goes to
 * `publishers/anthropic/models/{model}:rawPredict` (or `:streamRawPredict` when streaming) without
 * `model` and with Vertex's `anthropic_version`; the answer, already Anthropic JSON or SSE, is
 * relayed byte for byte. `count_tokens` goes to `publishers/anthropic/models/count-tokens:rawPredict`.
 * Only Claude models are taken (`acceptsModel`); the instance's Gemini models go through the IR.
 *
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude
 */
export class VertexAnthropicClient implements AnthropicMessagesClient {
  constructor(
    private readonly instance: ProviderInstance,
    private readonly endpoint: VertexEndpoint,
  ) {}

  acceptsModel(call: UpstreamCall): boolean {
    return isClaudeModelName(call.model);
  }

  async sendMessages(body: Buffer, call: UpstreamCall, stream: boolean): Promise<RawUpstreamResponse> {
    return sendUpstreamRequest(await this.messagesRequest(body, call, stream));
  }

  /** {@link sendMessages} with the response body pushed as undici parses it (`upstream/upstream-stream.ts`). */
  async openMessages(body: Buffer, call: UpstreamCall, stream: boolean): Promise<UpstreamStreamResponse> {
    return openUpstreamStream(await this.messagesRequest(body, call, stream));
  }

  async countTokens(body: Buffer, call: UpstreamCall): Promise<RawUpstreamResponse> {
    return sendUpstreamRequest(await this.upstreamRequest('count-tokens', 'rawPredict', vertexAnthropicBody(body, { keepModel: vertexClaudeModelName(call.model) }), call));
  }

  private messagesRequest(body: Buffer, call: UpstreamCall, stream: boolean): Promise<UpstreamHttpRequest> {
    return this.upstreamRequest(vertexClaudeModelName(call.model), stream ? 'streamRawPredict' : 'rawPredict', vertexAnthropicBody(body), call);
  }

  /** The upstream HTTP request of one method call: URL, forwarded and auth headers, body. */
  private async upstreamRequest(model: string, method: VertexMethod, body: Buffer, call: UpstreamCall): Promise<UpstreamHttpRequest> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const name of FORWARDED_HEADERS) {
      const value = call.inboundHeaders[name];
      if (typeof value === 'string') headers[name] = value;
    }
    Object.assign(headers, await this.endpoint.authHeaders(call));
    for (const [name, value] of Object.entries(this.instance.headers)) headers[name.toLowerCase()] = value;
    return {
      provider: this.instance.name,
      url: await this.endpoint.methodUrl('anthropic', model, method, call),
      headers,
      body,
      signal: call.signal,
      capture: call.capture,
      timeouts: this.instance.timeouts,
    };
  }
}
