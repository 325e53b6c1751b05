import { ProviderCallError } from '../../core/errors.js';
import type { GatewayRequest } from '../../core/gateway-request.js';
import type { GatewayResponse } from '../../core/gateway-response.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';
import { networkError, readBodyBuffer, readBodyText, streamEndedEarlyError } from '../../upstream/upstream-http.js';
import type { ChatClient, ProviderInstance, ProviderStream, RawUpstreamResponse, UpstreamCall } from '../provider.js';
import { AWS_EVENT_STREAM_CONTENT_TYPE, EventStreamMessageReader, type EventStreamMessage } from './aws-event-stream.js';
import { bedrockErrorTypeFromHeader, bedrockProviderError } from './bedrock-errors.js';
import type { BedrockTransport } from './bedrock-transport.js';
import { convertConverseResponse } from './convert-converse-response.js';
import { convertToConverseRequest } from './convert-to-converse-request.js';
import { ConverseStreamTranslator } from './converse-stream.js';
import { converseModelFeatures } from './converse-model-features.js';

/**
 * Every Bedrock model reached through Converse / ConverseStream with full translation from the IR
 * (request conversion, stream translation, response conversion). Errors — HTTP statuses with
 * `x-amzn-ErrorType`, and `exception` messages inside the stream — become `ProviderCallError`s.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
 */
export class BedrockConverseClient implements ChatClient {
  constructor(
    private readonly instance: ProviderInstance,
    private readonly transport: BedrockTransport,
  ) {}

  async complete(request: GatewayRequest, call: UpstreamCall): Promise<GatewayResponse> {
    const response = await this.send(request, call, false);
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
      throw new ProviderCallError({ provider, kind: 'api_error', status: 502, message: `${provider} answered with a body that is not JSON`, body: text.slice(0, 2000), retryable: true, cause: error });
    }
    return convertConverseResponse(payload, provider, call.model);
  }

  async stream(request: GatewayRequest, call: UpstreamCall): Promise<ProviderStream> {
    const response = await this.send(request, call, true);
    const provider = this.instance.name;
    const contentType = String(response.headers['content-type'] ?? '');
    if (!contentType.startsWith(AWS_EVENT_STREAM_CONTENT_TYPE)) {
      const text = await readBodyText(response.body).catch(() => '');
      throw new ProviderCallError({
        provider,
        kind: 'api_error',
        status: 502,
        message: `${provider} answered ConverseStream with ${contentType || 'no content type'} instead of an event stream`,
        body: text,
        retryable: false,
      });
    }
    let piped = false;
    return {
      pipeTo: async (sink: StreamEventSink): Promise<void> => {
        if (piped) throw new Error('an upstream stream can only be read once');
        piped = true;
        const translator = new ConverseStreamTranslator(sink);
        const reader = new EventStreamMessageReader();
        try {
          for await (const chunk of response.body) {
            for (const message of reader.push(chunk as Buffer)) handleMessage(provider, message, translator);
          }
        } catch (error) {
          throw error instanceof ProviderCallError ? error : networkError(provider, error);
        }
        if (reader.pendingBytes > 0 || !translator.sawMessageStop) {
          throw streamEndedEarlyError(provider);
        }
      },
    };
  }

  private async send(request: GatewayRequest, call: UpstreamCall, stream: boolean): Promise<RawUpstreamResponse> {
    const features = converseModelFeatures(call.model, this.transport.modelIdFor(call));
    const body = convertToConverseRequest({ ...request, model: call.model, stream }, features, call.dropped, { maxOutputTokens: this.instance.maxOutputTokens });
    const response = await this.transport.post(call, stream ? 'converse-stream' : 'converse', jsonRequestBody(body), stream ? AWS_EVENT_STREAM_CONTENT_TYPE : 'application/json');
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const text = await readBodyText(response.body).catch(() => '');
      throw bedrockProviderError(this.instance.name, bedrockErrorTypeFromHeader(response.headers['x-amzn-errortype']), response.statusCode, text);
    }
    return response;
  }
}

/** Hands one event-stream message to the translator; exceptions become errors. */
function handleMessage(provider: string, message: EventStreamMessage, translator: ConverseStreamTranslator): void {
  if (message.messageType === 'event') {
    if (message.eventType === undefined) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message.body.toString('utf8'));
    } catch (error) {
      throw new ProviderCallError({ provider, kind: 'api_error', status: 502, message: `${provider} sent a ${message.eventType} event that is not JSON`, retryable: false, cause: error });
    }
    translator.push(message.eventType, payload);
    return;
  }
  const bodyText = message.messageType === 'error' ? JSON.stringify({ message: message.errorMessage ?? message.body.toString('utf8') }) : message.body.toString('utf8');
  throw bedrockProviderError(provider, message.exceptionType ?? message.errorCode, undefined, bodyText);
}
