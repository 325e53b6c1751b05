import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Pool, type Dispatcher } from 'undici';
import type { OpenAICompatibleProviderDefinition } from '../src/providers/openai-compatible/define-openai-compatible-provider.js';

/**
 * The bench's second reference point: the bare proxy (`bare-proxy-process.ts`) plus the gateway's
 * own Anthropic → Chat Completions translation, and nothing else. It answers "what does the
 * translation itself cost on this machine": the gateway's translated path minus this is what
 * Heimdall's other per-request work costs (routing, virtual keys, governance, the request log,
 * metrics, tracing, fallbacks, error handling); this minus the bare proxy is the translation.
 *
 * Per request it runs the measured build's own modules (from the `dist/` directory it is given),
 * exactly those the gateway's translated path runs for the work that any translating proxy must do:
 * - the request: `parseJsonUtf8`, `parseAnthropicRequest`, `convertToOpenAIChatRequest` with the
 *   `openai` provider's quirks, `jsonRequestBody`;
 * - the upstream call: one `undici` Pool `dispatch`, configured like the bare proxy's, to the mock's
 *   `POST /v1/chat/completions` with `authorization: Bearer bench`;
 * - the answer: `OpenAIEventReader` (SSE framing, one `JSON.parse` per chunk),
 *   `OpenAIChatStreamTranslator` (chunks → IR stream events), `AnthropicStreamEncoder` (IR →
 *   Anthropic events, `sseEventWriter` framing) and the `BatchedResponseWriter` the gateway writes
 *   streams with.
 * A translation error or an upstream failure becomes a bare 502 (or a destroyed socket once the
 * stream began); the bench checks every answer, so a broken translation shows as errors.
 *
 * Usage: `fork('bench/bare-translator-process.ts', [mockUrl, distDirectory], { execArgv: ['--import', 'tsx'] })`.
 * Sends `{type:'ready', port}` over IPC once listening on 127.0.0.1; exits when the IPC channel closes.
 */

const mockUrl = process.argv[2];
const distDirectory = process.argv[3];
if (mockUrl === undefined || mockUrl === '' || distDirectory === undefined || distDirectory === '') {
  throw new Error('usage: bare-translator-process.ts <mock upstream URL> <gateway dist directory>');
}

/** One module of the measured build (its types are those of the source it was built from). */
async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(distDirectory, path)).href)) as T;
}

const [{ parseJsonUtf8 }, { parseAnthropicRequest }, { convertToOpenAIChatRequest }, { jsonRequestBody }, { OpenAIEventReader }, { OpenAIChatStreamTranslator }, { AnthropicStreamEncoder, sseEventWriter }, { BatchedResponseWriter }, { DroppedFieldLog }, { providerRegistry }, { newAnthropicMessageId }] =
  await Promise.all([
    load<typeof import('../src/server/parse-json-utf8.js')>('server/parse-json-utf8.js'),
    load<typeof import('../src/inbound/anthropic/parse-anthropic-request.js')>('inbound/anthropic/parse-anthropic-request.js'),
    load<typeof import('../src/providers/openai-compatible/convert-to-openai-chat-request.js')>('providers/openai-compatible/convert-to-openai-chat-request.js'),
    load<typeof import('../src/upstream/json-request-body.js')>('upstream/json-request-body.js'),
    load<typeof import('../src/providers/openai-compatible/read-openai-event-stream.js')>('providers/openai-compatible/read-openai-event-stream.js'),
    load<typeof import('../src/providers/openai-compatible/openai-chat-stream.js')>('providers/openai-compatible/openai-chat-stream.js'),
    load<typeof import('../src/inbound/anthropic/anthropic-stream-encoder.js')>('inbound/anthropic/anthropic-stream-encoder.js'),
    load<typeof import('../src/server/batched-response-writer.js')>('server/batched-response-writer.js'),
    load<typeof import('../src/core/dropped-fields.js')>('core/dropped-fields.js'),
    load<typeof import('../src/providers/registry.js')>('providers/registry.js'),
    load<typeof import('../src/inbound/anthropic/anthropic-message-id.js')>('inbound/anthropic/anthropic-message-id.js'),
  ]);
const openAi = providerRegistry.get('openai') as OpenAICompatibleProviderDefinition | undefined;
if (openAi === undefined) throw new Error(`${distDirectory} has no "openai" provider kind`);
const openAiQuirks = openAi.quirks;

const poolOrigin = new URL(mockUrl).origin;
const pool = new Pool(poolOrigin, { connections: 256, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });
/** The model the gateway would send upstream for `openai/gpt-bench`. */
const UPSTREAM_MODEL_PREFIX = 'openai/';

const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const fail = (): void => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      response.writeHead(502, { 'content-type': 'text/plain' });
      response.end('bad gateway');
    };
    let upstreamBody: Buffer;
    let model: string;
    try {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const dropped = new DroppedFieldLog();
      const parsed = parseAnthropicRequest(parseJsonUtf8(body), dropped);
      model = parsed.model;
      const upstreamModel = model.startsWith(UPSTREAM_MODEL_PREFIX) ? model.slice(UPSTREAM_MODEL_PREFIX.length) : model;
      upstreamBody = jsonRequestBody(convertToOpenAIChatRequest({ ...parsed, model: upstreamModel }, openAiQuirks, dropped));
    } catch {
      fail();
      return;
    }
    let writer: InstanceType<typeof BatchedResponseWriter> | undefined;
    let encoder: InstanceType<typeof AnthropicStreamEncoder> | undefined;
    let reader: InstanceType<typeof OpenAIEventReader> | undefined;
    let translator: InstanceType<typeof OpenAIChatStreamTranslator> | undefined;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: () => undefined,
      onResponseStart: (controller, statusCode) => {
        if (statusCode !== 200) {
          controller.abort(new Error(`upstream answered ${statusCode}`));
          return;
        }
        response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const streamWriter = new BatchedResponseWriter(response);
        writer = streamWriter;
        encoder = new AnthropicStreamEncoder(
          sseEventWriter((sse) => streamWriter.write(sse)),
          { id: newAnthropicMessageId(), model },
        );
        const streamTranslator = new OpenAIChatStreamTranslator(encoder);
        translator = streamTranslator;
        reader = new OpenAIEventReader('openai', (chunk) => streamTranslator.push(chunk));
        encoder.start();
      },
      onResponseData: (controller, chunk) => {
        try {
          reader?.feed(chunk);
        } catch (error) {
          controller.abort(error as Error);
        }
      },
      onResponseEnd: () => {
        try {
          reader?.end();
          translator?.end();
          encoder?.end();
          writer?.end();
        } catch {
          fail();
        }
      },
      onResponseError: fail,
    };
    pool.dispatch(
      {
        origin: poolOrigin,
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: 'Bearer bench' },
        body: upstreamBody,
      },
      handler,
    );
  });
  request.on('error', () => response.destroy());
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('disconnect', () => process.exit(0));
