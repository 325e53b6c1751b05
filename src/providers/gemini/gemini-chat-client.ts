import { ProviderCallError } from '../../core/errors.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import type { GatewayResponse } from '../../core/gateway-response.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';
import { networkError, readBodyBuffer, readBodyText, sendUpstreamRequest, streamEndedEarlyError } from '../../upstream/upstream-http.js';
import type {
  ChatClient,
  GeminiContentClient,
  GeminiContentMethod,
  ProviderInstance,
  ProviderStream,
  RawUpstreamResponse,
  UpstreamCall,
} from '../provider.js';
import { convertGeminiResponse } from './convert-gemini-response.js';
import { convertToGeminiRequest, type GeminiDialect } from './convert-to-gemini-request.js';
import { googleProviderError, googleStatusError, readGoogleError } from './gemini-error.js';
import { GeminiStreamTranslator } from './gemini-stream.js';
import { readGeminiEventStream } from './read-gemini-event-stream.js';

/** How one Google endpoint is reached: the URL of each method and the credential headers. */
export interface GeminiEndpoint {
  dialect: GeminiDialect;
  /**
   * The URL of `method` for `model`, without query (`…/models/gemini-2.5-pro:generateContent` on
   * the Gemini API, `…/publishers/google/models/gemini-2.5-pro:generateContent` on Vertex AI).
   */
  methodUrl(model: string, method: GeminiContentMethod, call: UpstreamCall): Promise<URL>;
  /** Headers carrying the credential (`x-goog-api-key`, or `authorization: Bearer …`). */
  authHeaders(call: UpstreamCall): Promise<Record<string, string>>;
}

/** `models/gemini-2.5-pro` and `gemini-2.5-pro` both name `gemini-2.5-pro`. */
export function bareGeminiModelName(model: string): string {
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}

/**
 * The Gemini `ChatClient` (IR in, IR out) and the Gemini-format passthrough, over one endpoint
 * (Gemini API or Vertex AI). Requests go through the undici pool (`sendUpstreamRequest`); the
 * instance's configured headers are sent after the credential and win over it.
 *
 * - `complete`: `POST …:generateContent`, converted with {@link convertToGeminiRequest} and
 *   {@link convertGeminiResponse}.
 * - `stream`: `POST …:streamGenerateContent?alt=sse`, read with `readGeminiEventStream` into a
 *   {@link GeminiStreamTranslator}. Resolves once the upstream answered 2xx; a stream that ends
 *   without a finish reason rejects (truncated upstream).
 * - Non-2xx answers become `ProviderCallError`s with Google's message and status and the retry
 *   delay as `retry-after`.
 *
 * @see https://ai.google.dev/api/generate-content
 */
export class GeminiChatClient implements ChatClient, GeminiContentClient {
  constructor(
    private readonly instance: ProviderInstance,
    private readonly endpoint: GeminiEndpoint,
  ) {}

  async complete(request: GatewayRequest, call: UpstreamCall): Promise<GatewayResponse> {
    const model = bareGeminiModelName(call.model);
    const response = await this.post(model, 'generateContent', this.body(request, model, call), call);
    const provider = this.instance.name;
    if (response.statusCode < 200 || response.statusCode >= 300) throw await googleStatusError(provider, response);
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
    const googleError = readGoogleError(payload);
    if (googleError !== undefined) throw googleProviderError(provider, googleError, googleError.code ?? 500, text);
    return convertGeminiResponse(payload, { requestedModel: model });
  }

  async stream(request: GatewayRequest, call: UpstreamCall): Promise<ProviderStream> {
    const model = bareGeminiModelName(call.model);
    const response = await this.post(model, 'streamGenerateContent', this.body(request, model, call), call, 'sse');
    const provider = this.instance.name;
    if (response.statusCode < 200 || response.statusCode >= 300) throw await googleStatusError(provider, response);
    if (!String(response.headers['content-type'] ?? '').includes('text/event-stream')) {
      const text = await readBodyText(response.body).catch(() => '');
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        payload = undefined;
      }
      const googleError = readGoogleError(payload);
      if (googleError !== undefined) throw googleProviderError(provider, googleError, googleError.code ?? 502, text);
      throw new ProviderCallError({
        provider,
        kind: 'api_error',
        status: 502,
        message: `${provider} answered a streaming request with ${String(response.headers['content-type'] ?? 'no content type')} instead of an event stream`,
        body: text,
        retryable: false,
      });
    }
    let piped = false;
    return {
      pipeTo: async (sink: StreamEventSink): Promise<void> => {
        if (piped) throw new Error('an upstream stream can only be read once');
        piped = true;
        const translator = new GeminiStreamTranslator(sink);
        await readGeminiEventStream(response.body, provider, (chunk) => translator.push(chunk));
        if (!translator.sawFinishReason) throw streamEndedEarlyError(provider);
        translator.end();
      },
    };
  }

  /** Gemini-format passthrough: the caller's body, unchanged, to `method` of `call.model`. */
  sendGenerateContent(method: GeminiContentMethod, body: Buffer, call: UpstreamCall, alt?: string): Promise<RawUpstreamResponse> {
    return this.post(bareGeminiModelName(call.model), method, body, call, alt);
  }

  private body(request: GatewayRequest, model: string, call: UpstreamCall): Buffer {
    const body = convertToGeminiRequest({ ...request, model }, call.dropped, {
      dialect: this.endpoint.dialect,
      maxOutputTokens: this.instance.maxOutputTokens,
    });
    return jsonRequestBody(body);
  }

  private async post(model: string, method: GeminiContentMethod, body: string | Buffer, call: UpstreamCall, alt?: string): Promise<RawUpstreamResponse> {
    const url = await this.endpoint.methodUrl(model, method, call);
    if (alt !== undefined && alt !== '') url.searchParams.set('alt', alt);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: alt === 'sse' ? 'text/event-stream' : 'application/json',
      ...(await this.endpoint.authHeaders(call)),
    };
    for (const [name, value] of Object.entries(this.instance.headers)) headers[name.toLowerCase()] = value;
    return sendUpstreamRequest({ provider: this.instance.name, url, headers, body, signal: call.signal, capture: call.capture, timeouts: this.instance.timeouts });
  }
}
