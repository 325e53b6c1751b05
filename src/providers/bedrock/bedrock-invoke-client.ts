import type { IncomingHttpHeaders } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import { statusForErrorKind } from '../../core/errors.js';
import { isJsonObject, type JsonObject } from '../../core/request-validation.js';
import { readBodyText } from '../../upstream/upstream-http.js';
import type { AnthropicMessagesClient, RawUpstreamResponse, UpstreamCall } from '../provider.js';
import { AWS_EVENT_STREAM_CONTENT_TYPE } from './aws-event-stream.js';
import { bedrockErrorTypeFromHeader, mapBedrockError, parseBedrockErrorBody } from './bedrock-errors.js';
import { isAnthropicModel } from './bedrock-model-ids.js';
import type { BedrockTransport } from './bedrock-transport.js';
import { InvokeStreamToAnthropicSse } from './invoke-stream-to-anthropic-sse.js';

/** The `anthropic_version` Bedrock requires in Claude request bodies. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

/** The caller's `anthropic-beta` header as a list of flags (comma-separated, trimmed). */
export function anthropicBetaFlags(headers: IncomingHttpHeaders): string[] {
  const value = headers['anthropic-beta'];
  const text = Array.isArray(value) ? value.join(',') : (value ?? '');
  return text
    .split(',')
    .map((flag) => flag.trim())
    .filter((flag) => flag !== '');
}

/**
 * The InvokeModel body for an Anthropic Messages body: `model` and `stream` removed (Bedrock takes
 * the model in the URL and streaming from the operation), `anthropic_version: bedrock-2023-05-31`
 * added, and the caller's beta flags as `anthropic_beta` (merged with any already in the body).
 * Every other field is kept as it is.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
 */
export function bedrockInvokeBody(root: JsonObject, betaFlags: readonly string[]): JsonObject {
  const { model: _model, stream: _stream, anthropic_version: _version, anthropic_beta: existingBeta, ...rest } = root;
  const body: JsonObject = { anthropic_version: BEDROCK_ANTHROPIC_VERSION, ...rest };
  const flags = new Set<string>(Array.isArray(existingBeta) ? existingBeta.filter((flag): flag is string => typeof flag === 'string') : []);
  for (const flag of betaFlags) flags.add(flag);
  if (flags.size > 0) body.anthropic_beta = [...flags];
  return body;
}

/** A response whose body is one JSON document. */
function jsonResponse(statusCode: number, payload: unknown, headers: Record<string, string> = {}): RawUpstreamResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: Readable.from([Buffer.from(JSON.stringify(payload))]) };
}

/** Anthropic-format error response for a Bedrock error status (body and `x-amzn-ErrorType` read). */
async function anthropicErrorResponse(provider: string, upstream: RawUpstreamResponse): Promise<RawUpstreamResponse> {
  const bodyText = await readBodyText(upstream.body).catch(() => '');
  const errorType = bedrockErrorTypeFromHeader(upstream.headers['x-amzn-errortype']);
  const { message, originalStatusCode } = parseBedrockErrorBody(bodyText);
  const mapping = mapBedrockError(errorType, upstream.statusCode, originalStatusCode);
  const headers: Record<string, string> = {};
  const retryAfter = upstream.headers['retry-after'];
  if (typeof retryAfter === 'string') headers['retry-after'] = retryAfter;
  return jsonResponse(
    statusForErrorKind(mapping.kind),
    { type: 'error', error: { type: mapping.kind, message: `${provider}: ${errorType ?? `HTTP ${upstream.statusCode}`}: ${message}` } },
    headers,
  );
}

function requestIdHeaders(upstream: RawUpstreamResponse): Record<string, string> {
  const requestId = upstream.headers['x-amzn-requestid'];
  return typeof requestId === 'string' ? { 'request-id': requestId } : {};
}

/**
 * Claude on Bedrock through InvokeModel / InvokeModelWithResponseStream, as a passthrough: the
 * caller's Anthropic body goes up in Bedrock's form ({@link bedrockInvokeBody}) and the answer
 * comes back in Anthropic's — JSON as Bedrock returns it, or the binary event stream turned into
 * Anthropic SSE bytes — so every inbound framing relays it unchanged. Bedrock error statuses become
 * Anthropic error bodies with the matching status (ValidationException 400, AccessDenied 403,
 * Throttling 429, ServiceUnavailable / ModelNotReady 529 overloaded, …).
 * `count_tokens` uses Bedrock's CountTokens with the same body.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
 */
export function createBedrockInvokeClient(provider: string, transport: BedrockTransport): AnthropicMessagesClient {
  const parseBody = (body: Buffer): JsonObject => {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return isJsonObject(parsed) ? parsed : {};
  };
  return {
    acceptsModel: (call: UpstreamCall) => isAnthropicModel(call.model, transport.modelIdFor(call)),

    async sendMessages(body, call, stream) {
      const invokeBody = JSON.stringify(bedrockInvokeBody(parseBody(body), anthropicBetaFlags(call.inboundHeaders)));
      const upstream = await transport.post(
        call,
        stream ? 'invoke-with-response-stream' : 'invoke',
        invokeBody,
        stream ? AWS_EVENT_STREAM_CONTENT_TYPE : 'application/json',
      );
      if (upstream.statusCode < 200 || upstream.statusCode >= 300) return anthropicErrorResponse(provider, upstream);
      const contentType = String(upstream.headers['content-type'] ?? '');
      if (!stream || !contentType.startsWith(AWS_EVENT_STREAM_CONTENT_TYPE)) {
        return { statusCode: upstream.statusCode, headers: { 'content-type': 'application/json', ...requestIdHeaders(upstream) }, body: upstream.body };
      }
      const sse = new InvokeStreamToAnthropicSse(provider);
      pipeline(upstream.body, sse, () => undefined);
      return { statusCode: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', ...requestIdHeaders(upstream) }, body: sse };
    },

    async countTokens(body, call) {
      const invokeBody = bedrockInvokeBody(parseBody(body), anthropicBetaFlags(call.inboundHeaders));
      if (invokeBody.max_tokens === undefined) invokeBody.max_tokens = 1;
      const countBody = JSON.stringify({ input: { invokeModel: { body: Buffer.from(JSON.stringify(invokeBody)).toString('base64') } } });
      const upstream = await transport.post(call, 'count-tokens', countBody, 'application/json');
      if (upstream.statusCode < 200 || upstream.statusCode >= 300) return anthropicErrorResponse(provider, upstream);
      const text = await readBodyText(upstream.body);
      let inputTokens = 0;
      try {
        const parsed = JSON.parse(text) as { inputTokens?: unknown };
        if (typeof parsed.inputTokens === 'number') inputTokens = parsed.inputTokens;
      } catch {
        return jsonResponse(502, { type: 'error', error: { type: 'api_error', message: `${provider} answered CountTokens with a body that is not JSON` } });
      }
      return jsonResponse(200, { input_tokens: inputTokens });
    },
  };
}
