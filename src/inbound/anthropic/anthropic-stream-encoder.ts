import type { GatewayError } from '../../core/errors.js';
import { emptyUsage, type FinishReason, type Usage } from '../../core/gateway-response.js';
import type { StreamEvent, StreamEventSink } from '../../core/stream-events.js';
import { newAnthropicToolUseId } from './anthropic-message-id.js';
import { mapFinishReasonToStopReason } from './map-finish-reason-to-stop-reason.js';

/**
 * Receives Anthropic stream events, one call per event: `type` is the SSE event name (equal to
 * `payload.type`). {@link sseEventWriter} frames them as SSE; other framings (Bedrock's binary
 * event stream) can take the same events.
 */
export type AnthropicEventWriter = (type: string, payload: Record<string, unknown>) => void;

/** An {@link AnthropicEventWriter} that frames each event as SSE text (`event: …\ndata: …\n\n`). */
export function sseEventWriter(write: (sse: string) => void): AnthropicEventWriter {
  return (type, payload) => write(`event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`);
}

/**
 * Turns IR stream events into Anthropic Messages stream events (`message_start`, `content_block_start`,
 * `content_block_delta` with `text_delta` / `thinking_delta` / `signature_delta` /
 * `input_json_delta`, `content_block_stop`, `message_delta`, `message_stop`, `error`).
 *
 * One encoder per stream; all stream state lives here. Anthropic content blocks never interleave,
 * while an upstream may interleave the argument deltas of parallel tool calls. So one block is
 * "live" and streams as it arrives; blocks that start while another is live are buffered and
 * emitted, in order of first appearance, once the live block is done. A text or thinking block is
 * done when anything else arrives; a tool block is done when its arguments form complete JSON and
 * something else has arrived (complete JSON cannot grow) — or when the stream ends.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export class AnthropicStreamEncoder implements StreamEventSink {
  private readonly writeEvent: AnthropicEventWriter;
  private readonly blocks: EncoderBlock[] = [];
  /** Position in `blocks` of the live block; blocks before it are closed. */
  private live = 0;
  private readonly toolBlocks = new Map<number, ToolBlock>();
  private readonly usage: Usage = emptyUsage();
  private finishReason: FinishReason | undefined;
  private stopSequence: string | undefined;
  private hasToolCalls = false;
  private started = false;
  private ended = false;

  /**
   * @param writeEvent receives each Anthropic event (see {@link sseEventWriter})
   * @param message.id the message id to report; message.model the model name to report;
   *   message.unsignedThinkingSignature the signature given to thinking blocks the upstream did not
   *   sign (Heimdall's marker for thinking from a translated provider, see `routing/thinking-signatures.ts`)
   */
  constructor(writeEvent: AnthropicEventWriter, private readonly message: { id: string; model: string; unsignedThinkingSignature?: string }) {
    this.writeEvent = writeEvent;
  }

  /** Sends `message_start` and a `ping`. Called once the upstream has answered successfully. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.send('message_start', {
      type: 'message_start',
      message: {
        id: this.message.id,
        type: 'message',
        role: 'assistant',
        model: this.message.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
      },
    });
    this.send('ping', { type: 'ping' });
  }

  event(event: StreamEvent): void {
    if (this.ended) return;
    if (!this.started) this.start();
    switch (event.type) {
      case 'response-metadata':
        return;
      case 'text-delta':
        if (event.text !== '') this.appendToTail('text', event.text);
        return;
      case 'reasoning-delta':
        if (event.text !== '') this.appendToTail('thinking', event.text);
        return;
      case 'reasoning-signature': {
        const tail = this.blocks[this.blocks.length - 1];
        if (tail !== undefined && tail.kind === 'thinking') {
          tail.signature += event.signature;
          if (this.isLive(tail)) this.delta(tail, { type: 'signature_delta', signature: event.signature });
        }
        return;
      }
      case 'redacted-reasoning':
        this.push({ kind: 'redacted_thinking', position: -1, data: event.data, opened: false });
        this.advance();
        return;
      case 'tool-call-start': {
        if (this.toolBlocks.has(event.index)) return;
        const block: ToolBlock = {
          kind: 'tool_use',
          position: -1,
          id: event.id === '' ? newAnthropicToolUseId() : event.id,
          name: event.name,
          arguments: '',
          emitted: 0,
          opened: false,
        };
        this.toolBlocks.set(event.index, block);
        this.hasToolCalls = true;
        this.push(block);
        this.advance();
        return;
      }
      case 'tool-call-delta': {
        const block = this.toolBlocks.get(event.index);
        if (block === undefined || event.argumentsDelta === '') return;
        block.arguments += event.argumentsDelta;
        if (this.isLive(block)) this.flushToolArguments(block);
        this.advance();
        return;
      }
      case 'usage':
        mergeUsage(this.usage, event.usage);
        return;
      case 'finish':
        this.finishReason = event.reason;
        this.stopSequence = event.stopSequence;
        return;
      default: {
        const unreachable: never = event;
        throw new Error(`unknown stream event ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Closes every block and sends `message_delta` (stop reason, usage) and `message_stop`. */
  end(): void {
    if (this.ended) return;
    if (!this.started) this.start();
    while (this.live < this.blocks.length) {
      const block = this.blocks[this.live];
      this.open(block);
      this.close(block);
    }
    this.ended = true;
    const stopReason = mapFinishReasonToStopReason(this.finishReason ?? 'end-turn', this.hasToolCalls);
    this.send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: stopReason === 'stop_sequence' ? (this.stopSequence ?? null) : null },
      usage: {
        input_tokens: this.usage.inputTokens,
        cache_creation_input_tokens: this.usage.cacheWriteTokens,
        cache_read_input_tokens: this.usage.cacheReadTokens,
        output_tokens: this.usage.outputTokens,
      },
    });
    this.send('message_stop', { type: 'message_stop' });
  }

  /**
   * Ends the stream with an Anthropic `error` event (an upstream failure after the stream began).
   * The client sees the error; no further events follow.
   */
  fail(error: GatewayError): void {
    if (this.ended) return;
    this.ended = true;
    this.send('error', { type: 'error', error: { type: error.kind, message: error.message } });
  }

  /** Usage gathered so far, in tokens. */
  get usageSoFar(): Readonly<Usage> {
    return this.usage;
  }

  /** The finish reason the upstream reported, if any. */
  get reportedFinishReason(): FinishReason | undefined {
    return this.finishReason;
  }

  private appendToTail(kind: 'text' | 'thinking', text: string): void {
    let tail = this.blocks[this.blocks.length - 1];
    if (tail === undefined || tail.kind !== kind) {
      tail = kind === 'text' ? { kind: 'text', position: -1, text: '', emitted: 0, opened: false } : { kind: 'thinking', position: -1, text: '', emitted: 0, signature: '', opened: false };
      this.push(tail);
      this.advance();
    }
    tail.text += text;
    if (this.isLive(tail)) this.flushText(tail);
  }

  private push(block: EncoderBlock): void {
    block.position = this.blocks.length;
    this.blocks.push(block);
  }

  private isLive(block: EncoderBlock): boolean {
    return block.position === this.live;
  }

  /** Closes finished live blocks and opens the next, emitting what it buffered. */
  private advance(): void {
    while (this.live < this.blocks.length) {
      const block = this.blocks[this.live];
      this.open(block);
      const hasSuccessor = this.live + 1 < this.blocks.length;
      if (!hasSuccessor) return;
      if (block.kind === 'tool_use' && !isCompleteJson(block.arguments)) return;
      this.close(block);
    }
  }

  private open(block: EncoderBlock): void {
    if (block.opened) {
      if (block.kind === 'tool_use') this.flushToolArguments(block);
      else if (block.kind === 'text' || block.kind === 'thinking') this.flushText(block);
      return;
    }
    block.opened = true;
    switch (block.kind) {
      case 'text':
        this.send('content_block_start', { type: 'content_block_start', index: block.position, content_block: { type: 'text', text: '' } });
        this.flushText(block);
        return;
      case 'thinking':
        this.send('content_block_start', {
          type: 'content_block_start',
          index: block.position,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        });
        this.flushText(block);
        if (block.signature !== '') this.delta(block, { type: 'signature_delta', signature: block.signature });
        return;
      case 'redacted_thinking':
        this.send('content_block_start', {
          type: 'content_block_start',
          index: block.position,
          content_block: { type: 'redacted_thinking', data: block.data },
        });
        return;
      case 'tool_use':
        this.send('content_block_start', {
          type: 'content_block_start',
          index: block.position,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        this.flushToolArguments(block);
        return;
      default: {
        const unreachable: never = block;
        throw new Error(`unknown block ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private close(block: EncoderBlock): void {
    if (block.kind === 'tool_use') this.flushToolArguments(block);
    else if (block.kind === 'text' || block.kind === 'thinking') this.flushText(block);
    if (block.kind === 'thinking' && block.signature === '' && this.message.unsignedThinkingSignature !== undefined) {
      block.signature = this.message.unsignedThinkingSignature;
      this.delta(block, { type: 'signature_delta', signature: block.signature });
    }
    this.send('content_block_stop', { type: 'content_block_stop', index: block.position });
    this.live = block.position + 1;
  }

  private flushText(block: TextBlock | ThinkingBlock): void {
    if (block.emitted === block.text.length) return;
    const text = block.text.slice(block.emitted);
    block.emitted = block.text.length;
    this.delta(block, block.kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text });
  }

  private flushToolArguments(block: ToolBlock): void {
    if (block.emitted === block.arguments.length) return;
    const partialJson = block.arguments.slice(block.emitted);
    block.emitted = block.arguments.length;
    this.delta(block, { type: 'input_json_delta', partial_json: partialJson });
  }

  private delta(block: EncoderBlock, delta: Record<string, string>): void {
    this.send('content_block_delta', { type: 'content_block_delta', index: block.position, delta });
  }

  private send(event: string, payload: Record<string, unknown>): void {
    this.writeEvent(event, payload);
  }
}

interface TextBlock {
  kind: 'text';
  position: number;
  text: string;
  emitted: number;
  opened: boolean;
}

interface ThinkingBlock {
  kind: 'thinking';
  position: number;
  text: string;
  emitted: number;
  signature: string;
  opened: boolean;
}

interface RedactedThinkingBlock {
  kind: 'redacted_thinking';
  position: number;
  data: string;
  opened: boolean;
}

interface ToolBlock {
  kind: 'tool_use';
  position: number;
  id: string;
  name: string;
  /** Argument JSON text received so far. */
  arguments: string;
  /** How much of `arguments` was sent to the client. */
  emitted: number;
  opened: boolean;
}

type EncoderBlock = TextBlock | ThinkingBlock | RedactedThinkingBlock | ToolBlock;

/** Whether tool-argument text is one complete JSON value (and so cannot grow). */
function isCompleteJson(text: string): boolean {
  if (text.trim() === '') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function mergeUsage(target: Usage, update: Partial<Usage>): void {
  if (update.inputTokens !== undefined) target.inputTokens = update.inputTokens;
  if (update.outputTokens !== undefined) target.outputTokens = update.outputTokens;
  if (update.cacheReadTokens !== undefined) target.cacheReadTokens = update.cacheReadTokens;
  if (update.cacheWriteTokens !== undefined) target.cacheWriteTokens = update.cacheWriteTokens;
  if (update.reasoningTokens !== undefined) target.reasoningTokens = update.reasoningTokens;
}
