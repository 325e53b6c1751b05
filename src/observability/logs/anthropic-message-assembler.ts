import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import { emptyUsage, type Usage } from '../../core/gateway-response.js';
import type { AnthropicEventWriter } from '../../inbound/anthropic/anthropic-stream-encoder.js';

/**
 * Builds what the request log needs from an Anthropic answer as the caller received it: usage
 * (tokens), stop reason, a stream `error` event, and — when content is logged — the answer as an
 * Anthropic Message object (`{id, model, role, content: [...], stop_reason, usage}`), assembled from
 * the stream's events.
 *
 * Fed from three places: Anthropic event objects written by the translated path's encoder
 * ({@link observeEventWriter}), relayed Anthropic SSE bytes (passthrough, parsed with
 * `eventsource-parser`; only `message_start`, `content_block_*`, `message_delta` and `error` are
 * JSON-parsed, and `content_block_*` only when content is kept), or a relayed JSON body.
 */

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Anthropic `usage` (wire names) merged onto IR usage: fields present win. */
function mergeWireUsage(usage: Usage, wire: unknown): void {
  if (!isRecord(wire)) return;
  usage.inputTokens = numberOr(wire.input_tokens, usage.inputTokens);
  usage.outputTokens = numberOr(wire.output_tokens, usage.outputTokens);
  usage.cacheReadTokens = numberOr(wire.cache_read_input_tokens, usage.cacheReadTokens);
  usage.cacheWriteTokens = numberOr(wire.cache_creation_input_tokens, usage.cacheWriteTokens);
}

/** Largest response content kept in one record, characters; longer text is cut (and marked). */
export const MAX_ASSEMBLED_TEXT_CHARS = 4 * 1024 * 1024;

/** Assembles one Anthropic answer (see the module comment). */
export class AnthropicMessageAssembler {
  readonly usage: Usage = emptyUsage();
  stopReason: string | undefined;
  /** Type and message of an `error` event or error body. */
  error: { type: string; message: string } | undefined;
  /** Whether any usage was seen. */
  sawUsage = false;
  private message: JsonRecord | undefined;
  private readonly blocks: JsonRecord[] = [];
  /**
   * Tool-use blocks' input JSON as streamed so far, by block index. Kept beside the blocks, not as
   * a field added to them: a block is a spread copy of its `content_block_start`, and adding (then
   * deleting) a property on such an object cost ~4 µs a block in V8, ten times the rest.
   */
  private readonly toolInputJson = new Map<number, string>();
  private textChars = 0;

  /** @param keepContent assemble the content blocks (false: usage and stop reason only) */
  constructor(readonly keepContent: boolean) {}

  /** Whether events of this name are worth parsing. */
  wants(eventName: string): boolean {
    switch (eventName) {
      case 'message_start':
      case 'message_delta':
      case 'error':
        return true;
      case 'content_block_start':
      case 'content_block_delta':
        return this.keepContent;
      default:
        return false;
    }
  }

  /** One Anthropic stream event (already an object). */
  event(name: string, data: unknown): void {
    if (!isRecord(data)) return;
    switch (name) {
      case 'message_start': {
        const message = data.message;
        if (!isRecord(message)) return;
        mergeWireUsage(this.usage, message.usage);
        this.sawUsage = this.sawUsage || isRecord(message.usage);
        if (this.keepContent) this.message = { ...message, content: this.blocks };
        return;
      }
      case 'content_block_start': {
        if (!this.keepContent || !isRecord(data.content_block)) return;
        const index = numberOr(data.index, this.blocks.length);
        this.blocks[index] = { ...data.content_block };
        return;
      }
      case 'content_block_delta':
        if (this.keepContent) this.applyDelta(numberOr(data.index, -1), data.delta);
        return;
      case 'message_delta': {
        if (isRecord(data.delta) && typeof data.delta.stop_reason === 'string') this.stopReason = data.delta.stop_reason;
        if (isRecord(data.usage)) {
          mergeWireUsage(this.usage, data.usage);
          this.sawUsage = true;
        }
        if (this.message !== undefined && isRecord(data.delta)) Object.assign(this.message, data.delta);
        return;
      }
      case 'error': {
        const error = isRecord(data.error) ? data.error : data;
        this.error = { type: typeof error.type === 'string' ? error.type : 'api_error', message: typeof error.message === 'string' ? error.message : '' };
        return;
      }
      default:
        return;
    }
  }

  /** Whether `text` is a string that still fits the assembled text's budget (counted when it does). */
  private fits(text: unknown): text is string {
    if (typeof text !== 'string' || this.textChars > MAX_ASSEMBLED_TEXT_CHARS) return false;
    this.textChars += text.length;
    return true;
  }

  private applyDelta(index: number, delta: unknown): void {
    const block = this.blocks[index];
    if (block === undefined || !isRecord(delta)) return;
    const append = (field: string, text: unknown): void => {
      if (this.fits(text)) block[field] = `${typeof block[field] === 'string' ? (block[field] as string) : ''}${text}`;
    };
    switch (delta.type) {
      case 'text_delta':
        append('text', delta.text);
        return;
      case 'thinking_delta':
        append('thinking', delta.thinking);
        return;
      case 'signature_delta':
        if (typeof delta.signature === 'string') block.signature = delta.signature;
        return;
      case 'input_json_delta':
        if (this.fits(delta.partial_json)) this.toolInputJson.set(index, `${this.toolInputJson.get(index) ?? ''}${delta.partial_json}`);
        return;
      case 'citations_delta':
        block.citations = [...(Array.isArray(block.citations) ? block.citations : []), delta.citation];
        return;
      default:
        return;
    }
  }

  /** A complete (non-streamed) Anthropic Message or error body. */
  body(value: unknown): void {
    if (!isRecord(value)) return;
    if (value.type === 'error') {
      this.event('error', value);
      return;
    }
    mergeWireUsage(this.usage, value.usage);
    this.sawUsage = this.sawUsage || isRecord(value.usage);
    if (typeof value.stop_reason === 'string') this.stopReason = value.stop_reason;
    if (this.keepContent) this.message = value;
  }

  /** The assembled Message (tool inputs parsed from their JSON deltas), or undefined when there is none or content is not kept. */
  result(): unknown {
    if (this.message === undefined) return this.error === undefined ? undefined : { type: 'error', error: this.error };
    for (const [index, json] of this.toolInputJson) {
      const block = this.blocks[index];
      if (block === undefined) continue;
      try {
        block.input = json === '' ? {} : (JSON.parse(json) as unknown);
      } catch {
        block.input = json;
      }
    }
    this.toolInputJson.clear();
    if (this.textChars > MAX_ASSEMBLED_TEXT_CHARS) this.message.heimdall_truncated = true;
    return this.message;
  }
}

/** Longest relayed JSON body kept for parsing, bytes. */
const MAX_JSON_BODY_BYTES = 8 * 1024 * 1024;

/**
 * Observes relayed Anthropic bytes (passthrough path): SSE when the upstream said
 * `text/event-stream`, else a JSON body parsed once at the end.
 */
export class AnthropicRelayObserver {
  private readonly parser: EventSourceParser | undefined;
  private readonly decoder = new TextDecoder();
  private readonly jsonChunks: Buffer[] = [];
  private jsonBytes = 0;

  constructor(
    private readonly assembler: AnthropicMessageAssembler,
    eventStream: boolean,
  ) {
    this.parser = eventStream
      ? createParser({
          onEvent: (message: EventSourceMessage) => {
            const name = message.event ?? '';
            if (!this.assembler.wants(name)) return;
            try {
              this.assembler.event(name, JSON.parse(message.data) as unknown);
            } catch {
              // A malformed event is the caller's problem to see, not the log's.
            }
          },
        })
      : undefined;
  }

  /** One relayed chunk. */
  chunk(chunk: Buffer): void {
    if (this.parser !== undefined) {
      this.parser.feed(this.decoder.decode(chunk, { stream: true }));
      return;
    }
    if (this.jsonBytes + chunk.length > MAX_JSON_BODY_BYTES) return;
    this.jsonBytes += chunk.length;
    this.jsonChunks.push(chunk);
  }

  /** The body ended. */
  end(): void {
    if (this.parser !== undefined || this.jsonChunks.length === 0) return;
    try {
      this.assembler.body(JSON.parse(Buffer.concat(this.jsonChunks).toString('utf8')) as unknown);
    } catch {
      // not JSON (an upstream HTML error page…): nothing to assemble
    }
    this.jsonChunks.length = 0;
  }
}

/** An encoder's event writer that also feeds the assembler (translated path). */
export function observeEventWriter(writer: AnthropicEventWriter, assembler: AnthropicMessageAssembler, onFirstEvent: () => void): AnthropicEventWriter {
  let first = true;
  return (event, data) => {
    if (first) {
      first = false;
      onFirstEvent();
    }
    if (assembler.wants(event)) assembler.event(event, data);
    writer(event, data);
  };
}
