/**
 * The bench mock upstream's answers, built once: an Anthropic Messages SSE stream (a short text
 * message) and an OpenAI Chat Completions SSE stream (one tool call whose arguments arrive in
 * several deltas, then a usage chunk, then `[DONE]`). Each is pre-serialised as complete HTTP/1.1
 * response bytes with one HTTP chunk per SSE event, as a real streaming upstream sends them.
 */

/** Model name the mock reports in Anthropic streams. */
export const MOCK_ANTHROPIC_MODEL = 'claude-sonnet-4-5-bench';

/** The tool call the mock's OpenAI stream makes. */
export const MOCK_TOOL_CALL = {
  id: 'call_bench_0001',
  name: 'Read',
  argumentDeltas: ['{"file_', 'path": "/home/user/', 'project/src/index', '.ts", "limit"', ': 200}'],
} as const;

/** The tool arguments the client must reassemble from the translated stream. */
export const MOCK_TOOL_ARGUMENTS: Readonly<Record<string, unknown>> = { file_path: '/home/user/project/src/index.ts', limit: 200 };

/** Usage the mock's OpenAI stream reports. */
export const MOCK_OPENAI_USAGE = { prompt_tokens: 1234, completion_tokens: 42, total_tokens: 1276 } as const;

interface SseEvent {
  event?: string;
  data: string;
}

function anthropicEvents(): SseEvent[] {
  const text = (value: string): SseEvent => ({
    event: 'content_block_delta',
    data: JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: value } }),
  });
  return [
    {
      event: 'message_start',
      data: JSON.stringify({
        type: 'message_start',
        message: {
          model: MOCK_ANTHROPIC_MODEL,
          id: 'msg_01BenchBenchBenchBenchBe',
          type: 'message',
          role: 'assistant',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1, service_tier: 'standard' },
        },
      }),
    },
    { event: 'content_block_start', data: JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) },
    { event: 'ping', data: JSON.stringify({ type: 'ping' }) },
    text('Hello'),
    text("! I'm doing well, thank you for asking"),
    text('. How are you doing today?'),
    text(' Is there anything I can help you with?'),
    { event: 'content_block_stop', data: JSON.stringify({ type: 'content_block_stop', index: 0 }) },
    {
      event: 'message_delta',
      data: JSON.stringify({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 30 },
      }),
    },
    { event: 'message_stop', data: JSON.stringify({ type: 'message_stop' }) },
  ];
}

function openAiEvents(): SseEvent[] {
  const chunk = (choices: unknown[], usage: unknown = null): SseEvent => ({
    data: JSON.stringify({
      id: 'chatcmpl-BenchBenchBenchBenchBenchBench',
      object: 'chat.completion.chunk',
      created: 1770933892,
      model: 'gpt-bench-2026-01-01',
      system_fingerprint: 'fp_bench',
      choices,
      usage,
    }),
  });
  const events: SseEvent[] = [
    chunk([
      {
        index: 0,
        delta: {
          role: 'assistant',
          content: null,
          tool_calls: [{ index: 0, id: MOCK_TOOL_CALL.id, type: 'function', function: { name: MOCK_TOOL_CALL.name, arguments: '' } }],
        },
        logprobs: null,
        finish_reason: null,
      },
    ]),
  ];
  for (const argumentsDelta of MOCK_TOOL_CALL.argumentDeltas) {
    events.push(chunk([{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: argumentsDelta } }] }, logprobs: null, finish_reason: null }]));
  }
  events.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }]));
  events.push(chunk([], { ...MOCK_OPENAI_USAGE, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } }));
  events.push({ data: '[DONE]' });
  return events;
}

function sseText(event: SseEvent): string {
  return `${event.event === undefined ? '' : `event: ${event.event}\n`}data: ${event.data}\n\n`;
}

/** A complete HTTP/1.1 response: status line, headers, then each piece as one HTTP chunk. */
function chunkedHttpResponse(status: string, headers: Record<string, string>, pieces: string[]): Buffer {
  const head = [`HTTP/1.1 ${status}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), 'transfer-encoding: chunked', '', ''].join('\r\n');
  const parts: Buffer[] = [Buffer.from(head, 'latin1')];
  for (const piece of pieces) {
    const bytes = Buffer.from(piece, 'utf8');
    parts.push(Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'), bytes, Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** The decoded body of the mock's Anthropic stream: what a client reading it (directly or through a passthrough) must get, byte for byte. */
export const anthropicSseBody: string = anthropicEvents().map(sseText).join('');

/** The decoded body of the mock's OpenAI stream. */
export const openAiSseBody: string = openAiEvents().map(sseText).join('');

/** `POST /v1/messages` answer, as raw HTTP response bytes. */
export const anthropicHttpResponse: Buffer = chunkedHttpResponse(
  '200 OK',
  {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': 'req_011BenchBenchBenchBench',
    'anthropic-organization-id': '00000000-0000-0000-0000-000000000000',
    'keep-alive': 'timeout=60',
  },
  anthropicEvents().map(sseText),
);

/** `POST /v1/chat/completions` answer, as raw HTTP response bytes. */
export const openAiHttpResponse: Buffer = chunkedHttpResponse(
  '200 OK',
  { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_bench', 'openai-processing-ms': '1', 'keep-alive': 'timeout=60' },
  openAiEvents().map(sseText),
);

function fixedHttpResponse(status: string, body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  return Buffer.concat([
    Buffer.from(`HTTP/1.1 ${status}\r\ncontent-type: application/json\r\ncontent-length: ${bytes.length}\r\nkeep-alive: timeout=60\r\n\r\n`, 'latin1'),
    bytes,
  ]);
}

/** Answer for an unknown route. */
export const notFoundHttpResponse: Buffer = fixedHttpResponse('404 Not Found', '{"type":"error","error":{"type":"not_found_error","message":"bench mock: no such route"}}');

/** Answer for a request without the bench credential. */
export const unauthorizedHttpResponse: Buffer = fixedHttpResponse(
  '401 Unauthorized',
  '{"type":"error","error":{"type":"authentication_error","message":"bench mock: missing or wrong credential"}}',
);
