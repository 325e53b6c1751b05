import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { GatewayError } from '../../core/errors.js';
import { AWS_EVENT_STREAM_CONTENT_TYPE, encodeChunkMessage } from '../../providers/bedrock/aws-event-stream.js';
import type { RawUpstreamResponse } from '../../providers/provider.js';
import { readBodyText } from '../../upstream/upstream-http.js';
import type { AnthropicEventWriter } from '../anthropic/anthropic-stream-encoder.js';
import type { AnthropicResponseSink } from '../anthropic/serve-anthropic-messages.js';
import { bedrockStreamException, parseAnthropicErrorBody, sendBedrockError } from './bedrock-error-response.js';

/** Headers of a Bedrock streaming answer. */
const EVENT_STREAM_HEADERS = { 'content-type': AWS_EVENT_STREAM_CONTENT_TYPE, 'x-amzn-bedrock-content-type': 'application/json' };

/** Writes bytes, pausing `source` until the response drains when its buffer is full. */
function writeWithBackpressure(response: ServerResponse, bytes: Buffer, source?: RawUpstreamResponse['body']): void {
  if (!response.write(bytes) && source !== undefined) {
    source.pause();
    response.once('drain', () => source.resume());
  }
}

/**
 * Frames Anthropic SSE bytes as Bedrock's event stream: every SSE event becomes a `chunk` event
 * whose `bytes` are the event's JSON exactly as received, and an Anthropic `error` event becomes an
 * `exception` message. Resolves when the upstream ended or the caller went away.
 */
function relaySseAsEventStream(upstream: RawUpstreamResponse, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  response.writeHead(200, { ...EVENT_STREAM_HEADERS, ...headers });
  response.flushHeaders();
  const body = upstream.body;
  const parser = createParser({
    onEvent: (event) => {
      if (event.event === 'error') {
        const { kind, message } = parseAnthropicErrorBody(event.data, 500);
        writeWithBackpressure(response, bedrockStreamException(kind, message), body);
        return;
      }
      writeWithBackpressure(response, encodeChunkMessage(event.data), body);
    },
  });
  const decoder = new StringDecoder('utf8');
  return new Promise((resolve) => {
    body.on('data', (chunk: Buffer | string) => parser.feed(typeof chunk === 'string' ? chunk : decoder.write(chunk)));
    body.on('end', () => {
      response.end();
      resolve();
    });
    body.on('error', () => {
      response.destroy();
      resolve();
    });
    response.on('close', () => {
      if (!body.destroyed) body.destroy();
      resolve();
    });
  });
}

/** Relays a JSON upstream answer as it is (InvokeModel returns the Anthropic message unchanged). */
function relayJson(upstream: RawUpstreamResponse, response: ServerResponse, headers: Record<string, string>): Promise<void> {
  response.writeHead(200, { 'content-type': 'application/json', ...headers });
  return new Promise((resolve) => {
    upstream.body.pipe(response);
    upstream.body.on('end', resolve);
    upstream.body.on('error', () => {
      response.destroy();
      resolve();
    });
    response.on('close', resolve);
  });
}

/**
 * The `/bedrock` InvokeModel framing of Anthropic-format answers: JSON for `invoke`, AWS event
 * stream `chunk` events (base64 `bytes` of each Anthropic event) for `invoke-with-response-stream`,
 * and errors in Bedrock's shape (`x-amzn-ErrorType`, or an `exception` message mid-stream).
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
 */
export function bedrockInvokeSink(response: ServerResponse): AnthropicResponseSink {
  return {
    relay: async (upstream, headers) => {
      if (upstream.statusCode < 200 || upstream.statusCode >= 300) {
        const bodyText = await readBodyText(upstream.body).catch(() => '');
        const { kind, message } = parseAnthropicErrorBody(bodyText, upstream.statusCode);
        const retryAfter = upstream.headers['retry-after'];
        sendBedrockError(response, new GatewayError(kind, message, { headers: typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {} }));
        return;
      }
      if (String(upstream.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        await relaySseAsEventStream(upstream, response, headers);
        return;
      }
      await relayJson(upstream, response, headers);
    },
    sendMessage: (message, headers) => {
      response.writeHead(200, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(message));
    },
    startStream: (headers): AnthropicEventWriter => {
      response.writeHead(200, { ...EVENT_STREAM_HEADERS, ...headers });
      return (type, payload) => {
        if (type === 'error') {
          const error = payload.error as { type?: unknown; message?: unknown } | undefined;
          const { kind, message } = parseAnthropicErrorBody(JSON.stringify({ error }), 500);
          response.write(bedrockStreamException(kind, message));
          return;
        }
        response.write(encodeChunkMessage(JSON.stringify(payload)));
      };
    },
    endStream: () => response.end(),
    abort: () => response.destroy(),
  };
}
