import { ProviderCallError } from '../../core/errors.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import type { GatewayResponse } from '../../core/gateway-response.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';
import {
  networkError,
  readBodyBuffer,
  sendUpstreamRequest,
  streamEndedEarlyError,
  upstreamErrorMessage,
  upstreamStatusError,
  upstreamStatusErrorFromText,
  type UpstreamHttpRequest,
} from '../../upstream/upstream-http.js';
import { openUpstreamStream } from '../../upstream/upstream-stream.js';
import type { ChatClient, ProviderInstance, ProviderStream, RawUpstreamResponse, UpstreamCall } from '../provider.js';
import { convertOpenAIChatResponse } from './convert-openai-chat-response.js';
import { providerErrorFromPayload } from './convert-openai-error-payload.js';
import { convertToOpenAIChatRequest } from './convert-to-openai-chat-request.js';
import { OpenAIChatStreamTranslator } from './openai-chat-stream.js';
import { resolveQuirks, type OpenAICompatibleQuirks, type ResolvedQuirks } from './openai-compatible-quirks.js';
import { OpenAIEventReader } from './read-openai-event-stream.js';

/** `${baseUrl}/chat/completions`, whether or not the base URL ends in `/`. */
export function chatCompletionsUrl(baseUrl: string): URL {
  let base = baseUrl;
  while (base.endsWith('/')) base = base.slice(0, -1);
  return new URL(`${base}/chat/completions`);
}

/**
 * Where one call goes and how it authenticates, for providers whose URL or credential is not
 * `${baseUrl}/chat/completions` with a Bearer key (Azure OpenAI: deployment URLs with
 * `api-version`, `api-key` or Entra ID tokens). `model` is the `model` sent in the body
 * (quirks are still resolved for `call.model`).
 */
export interface ChatCompletionsEndpoint {
  url: URL;
  /** Credential headers; they replace the Bearer key. */
  headers: Record<string, string>;
  model: string;
}

/** Resolves the endpoint of one call (may fetch a token). @throws ProviderCallError */
export type ChatCompletionsEndpointResolver = (call: UpstreamCall) => Promise<ChatCompletionsEndpoint>;

/**
 * The Chat Completions client shared by every OpenAI-compatible provider. It converts the IR request
 * with the provider's quirks (resolved for the upstream model), posts it to
 * `${baseUrl}/chat/completions` through the undici pool, and converts the answer back.
 *
 * Headers: `content-type`, `accept`, `authorization: Bearer <key>` (when the provider takes a key
 * and the call has one), then the instance's configured headers, which win over the others.
 * The output-token limit is clamped to the provider's and the instance's `maxOutputTokens`.
 * Non-2xx answers become `ProviderCallError`s through `upstreamStatusError` (status class, body,
 * `retry-after`); so do error payloads inside 200 answers and streams. `call.signal` aborts the call.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/create
 */
export class OpenAICompatibleChatClient implements ChatClient {
  /** `${baseUrl}/chat/completions`, made once. */
  private defaultUrl: URL | undefined;

  constructor(
    private readonly instance: ProviderInstance,
    private readonly quirks: OpenAICompatibleQuirks,
    /** Optional: a per-call URL, credential and body model (Azure); default `${baseUrl}/chat/completions` + Bearer key. */
    private readonly resolveEndpoint?: ChatCompletionsEndpointResolver,
  ) {}

  async complete(request: GatewayRequest, call: UpstreamCall): Promise<GatewayResponse> {
    const quirks = resolveQuirks(this.quirks, call.model);
    const response = await this.send({ ...request, model: call.model, stream: false }, call, quirks);
    const provider = this.instance.name;
    let text: string;
    try {
      text = (await readBodyBuffer(response.body)).toString('utf8');
    } catch (error) {
      throw networkError(provider, error);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (error) {
      throw new ProviderCallError({
        provider,
        kind: 'api_error',
        status: 502,
        message: `${provider} answered with a body that is not JSON`,
        body: text.slice(0, 2000),
        retryable: true,
        cause: error,
      });
    }
    const payloadError = providerErrorFromPayload(payload, provider, text);
    if (payloadError !== undefined) throw payloadError;
    return convertOpenAIChatResponse(payload, { requestedModel: call.model, reasoningFields: quirks.reasoningResponseFields });
  }

  async stream(request: GatewayRequest, call: UpstreamCall): Promise<ProviderStream> {
    const quirks = resolveQuirks(this.quirks, call.model);
    const provider = this.instance.name;
    // The body is pushed to the translator as undici parses it (no Readable on this path: upstream-stream.ts).
    const response = await openUpstreamStream(await this.upstreamRequest({ ...request, model: call.model, stream: true }, call, quirks));
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw upstreamStatusErrorFromText(provider, response.statusCode, response.headers, await response.text());
    }
    const contentType = String(response.headers['content-type'] ?? '');
    if (contentType.includes('application/json')) {
      const text = await response.text();
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        payload = undefined;
      }
      throw (
        providerErrorFromPayload(payload, provider, text) ??
        new ProviderCallError({
          provider,
          kind: 'api_error',
          status: 502,
          message: `${provider} answered a streaming request with JSON instead of an event stream: ${upstreamErrorMessage(text)}`,
          body: text,
          retryable: false,
        })
      );
    }
    let piped = false;
    return {
      pipeTo: (sink: StreamEventSink): Promise<void> => {
        if (piped) return Promise.reject(new Error('an upstream stream can only be read once'));
        piped = true;
        const translator = new OpenAIChatStreamTranslator(sink, { reasoningFields: quirks.reasoningResponseFields });
        const reader = new OpenAIEventReader(provider, (chunk) => translator.push(chunk));
        return new Promise<void>((resolve, reject) => {
          response.consume({
            data: (chunk) => {
              try {
                reader.feed(chunk);
              } catch (error) {
                reject(error);
                throw error; // stops reading: the exchange is aborted
              }
            },
            end: () => {
              try {
                const end = reader.end();
                if (!end.sawDone && !translator.sawFinishReason) throw streamEndedEarlyError(provider);
                translator.end();
                resolve();
              } catch (error) {
                reject(error);
              }
            },
            error: reject,
          });
        });
      },
    };
  }

  private async send(request: GatewayRequest, call: UpstreamCall, quirks: ResolvedQuirks): Promise<RawUpstreamResponse> {
    const response = await sendUpstreamRequest(await this.upstreamRequest(request, call, quirks));
    if (response.statusCode < 200 || response.statusCode >= 300) throw await upstreamStatusError(this.instance.name, response);
    return response;
  }

  /** The upstream HTTP request of one call: endpoint, converted body, headers. @throws ProviderCallError without a base URL */
  private async upstreamRequest(request: GatewayRequest, call: UpstreamCall, quirks: ResolvedQuirks): Promise<UpstreamHttpRequest> {
    const provider = this.instance.name;
    if (this.instance.baseUrl === '') {
      throw new ProviderCallError({ provider, kind: 'api_error', message: `${provider} has no base URL configured`, retryable: false });
    }
    const endpoint = this.resolveEndpoint === undefined ? undefined : await this.resolveEndpoint(call);
    const body = convertToOpenAIChatRequest(endpoint === undefined ? request : { ...request, model: endpoint.model }, quirks, call.dropped, {
      maxOutputTokens: this.instance.maxOutputTokens,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'text/event-stream' : 'application/json',
    };
    if (endpoint !== undefined) Object.assign(headers, endpoint.headers);
    else if (quirks.authentication === 'bearer' && call.key !== undefined && call.key.value !== '') {
      headers.authorization = `Bearer ${call.key.value}`;
    }
    for (const [name, value] of Object.entries(this.instance.headers)) headers[name.toLowerCase()] = value;
    return {
      provider,
      url: endpoint?.url ?? (this.defaultUrl ??= chatCompletionsUrl(this.instance.baseUrl)),
      headers,
      body: jsonRequestBody(body),
      signal: call.signal,
      capture: call.capture,
      timeouts: this.instance.timeouts,
    };
  }
}
