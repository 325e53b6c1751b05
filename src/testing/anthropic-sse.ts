import type { ServerResponse } from 'node:http';
import { writeSseEvents } from './mock-upstream.js';
import { splitIntoPieces } from './text-pieces.js';

/**
 * Helpers for mock upstreams that speak Anthropic Messages streaming (SSE): building event
 * sequences, writing them with Anthropic's framing (`event: <type>` + `data: <json>`), and folding
 * a recorded event sequence into the final message it describes.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */

/** One Anthropic stream event (`message_start`, `content_block_delta`, …) as a JSON object. */
export interface AnthropicStreamEvent {
  type: string;
  [field: string]: unknown;
}

/** A content block of an Anthropic message, as JSON. */
export interface AnthropicContentBlock {
  type: string;
  [field: string]: unknown;
}

/** An Anthropic `message` object as JSON (the non-streaming response, or a stream's final state). */
export interface AnthropicMessageJson {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: string | null;
  stop_sequence: string | null;
  usage: Record<string, unknown>;
  [field: string]: unknown;
}

/** The SSE text of one event: `event: <type>\ndata: <json>\n\n`, as Anthropic sends it. */
export function anthropicSseFrame(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** Writes a 200 `text/event-stream` response carrying `events` with Anthropic framing, then ends it. */
export function writeAnthropicSse(
  response: ServerResponse,
  events: AnthropicStreamEvent[],
  options: { pauseMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  return writeSseEvents(
    response,
    events.map((event) => ({ event: event.type, data: JSON.stringify(event) })),
    options,
  );
}

/** Writes an Anthropic-format JSON error response (`{"type":"error","error":{type,message}}`). */
export function writeAnthropicError(
  response: ServerResponse,
  status: number,
  errorType: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ type: 'error', error: { type: errorType, message } }));
}

/** What every built stream starts with. */
export interface AnthropicMessageStartOptions {
  model: string;
  id?: string;
  inputTokens?: number;
}

function messageStart(options: AnthropicMessageStartOptions): AnthropicStreamEvent {
  return {
    type: 'message_start',
    message: {
      id: options.id ?? 'msg_mock_0001',
      type: 'message',
      role: 'assistant',
      model: options.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: options.inputTokens ?? 10, output_tokens: 1 },
    },
  };
}

function messageEnd(stopReason: string, outputTokens: number): AnthropicStreamEvent[] {
  return [
    { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } },
    { type: 'message_stop' },
  ];
}

/** The events of a text-only answer, its text streamed in pieces of `pieceLength` characters. */
export function anthropicTextEvents(options: AnthropicMessageStartOptions & { text: string; pieceLength?: number; outputTokens?: number }): AnthropicStreamEvent[] {
  return [
    messageStart(options),
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    ...splitIntoPieces(options.text, options.pieceLength ?? 16).map((text) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text },
    })),
    { type: 'content_block_stop', index: 0 },
    ...messageEnd('end_turn', options.outputTokens ?? 5),
  ];
}

/**
 * The events of an answer that calls one tool: `content_block_start` (tool_use), the input JSON
 * as `input_json_delta` pieces of `pieceLength` characters, `content_block_stop`, then
 * `message_delta` with `stop_reason: "tool_use"` and `message_stop`.
 */
export function anthropicToolUseEvents(
  options: AnthropicMessageStartOptions & {
    toolName: string;
    toolUseId?: string;
    input: Record<string, unknown>;
    pieceLength?: number;
    outputTokens?: number;
  },
): AnthropicStreamEvent[] {
  return [
    messageStart(options),
    {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'tool_use', id: options.toolUseId ?? 'toolu_mock_0001', name: options.toolName, input: {} },
    },
    ...splitIntoPieces(JSON.stringify(options.input), options.pieceLength ?? 8).map((partial_json) => ({
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'input_json_delta', partial_json },
    })),
    { type: 'content_block_stop', index: 0 },
    ...messageEnd('tool_use', options.outputTokens ?? 20),
  ];
}

/** A non-streaming Anthropic message answering with `text`. */
export function anthropicTextMessage(options: AnthropicMessageStartOptions & { text: string; outputTokens?: number }): AnthropicMessageJson {
  return {
    id: options.id ?? 'msg_mock_0001',
    type: 'message',
    role: 'assistant',
    model: options.model,
    content: [{ type: 'text', text: options.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: options.inputTokens ?? 10, output_tokens: options.outputTokens ?? 5 },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Folds a recorded Anthropic event sequence into the final message it describes: the
 * `message_start` message, each content block with its deltas applied (text, thinking, signature,
 * citations, tool input JSON parsed at `content_block_stop`), and `message_delta`'s stop reason,
 * stop sequence and usage counters (present counters overwrite). Written from the streaming
 * documentation, independently of any SDK, so tests can compare a client's result against it.
 * @throws Error when the sequence has no `message_start` or a delta names an unknown block
 */
export function anthropicMessageFromEvents(events: readonly unknown[]): AnthropicMessageJson {
  let message: AnthropicMessageJson | undefined;
  const partialJson = new Map<number, string>();
  for (const event of events) {
    if (!isRecord(event)) continue;
    if (event.type === 'message_start') {
      message = structuredClone(event.message) as AnthropicMessageJson;
      continue;
    }
    if (message === undefined) continue;
    const index = typeof event.index === 'number' ? event.index : -1;
    switch (event.type) {
      case 'content_block_start':
        message.content[index] = structuredClone(event.content_block) as AnthropicContentBlock;
        break;
      case 'content_block_delta': {
        const block = message.content[index];
        const delta = event.delta;
        if (block === undefined || !isRecord(delta)) throw new Error(`content_block_delta for unknown block ${index}`);
        if (delta.type === 'text_delta') block.text = String(block.text ?? '') + String(delta.text);
        else if (delta.type === 'thinking_delta') block.thinking = String(block.thinking ?? '') + String(delta.thinking);
        else if (delta.type === 'signature_delta') block.signature = String(block.signature ?? '') + String(delta.signature);
        else if (delta.type === 'citations_delta') block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        else if (delta.type === 'input_json_delta') partialJson.set(index, (partialJson.get(index) ?? '') + String(delta.partial_json));
        break;
      }
      case 'content_block_stop': {
        const json = partialJson.get(index);
        const block = message.content[index];
        if (json !== undefined && block !== undefined) block.input = json.trim() === '' ? {} : (JSON.parse(json) as unknown);
        break;
      }
      case 'message_delta': {
        if (isRecord(event.delta)) {
          if ('stop_reason' in event.delta) message.stop_reason = event.delta.stop_reason as string | null;
          if ('stop_sequence' in event.delta) message.stop_sequence = event.delta.stop_sequence as string | null;
        }
        if (isRecord(event.usage)) {
          for (const [counter, value] of Object.entries(event.usage)) if (value !== null && value !== undefined) message.usage[counter] = value;
        }
        break;
      }
      default:
        break;
    }
  }
  if (message === undefined) throw new Error('the event sequence has no message_start');
  return message;
}
