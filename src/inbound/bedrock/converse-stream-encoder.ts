import type { GatewayError } from '../../core/errors.js';
import { emptyUsage, type FinishReason, type Usage } from '../../core/gateway-response.js';
import type { StreamEvent, StreamEventSink } from '../../core/stream-events.js';
import { newAnthropicToolUseId } from '../anthropic/anthropic-message-id.js';
import { encodeConverseUsage } from './encode-converse-response.js';
import { mapFinishReasonToConverse } from './map-finish-reason-to-converse.js';

/** Receives one ConverseStream event: its `:event-type` and JSON payload. */
export type ConverseEventWriter = (eventType: string, payload: Record<string, unknown>) => void;

type OpenBlock = { kind: 'text' | 'reasoning'; index: number } | { kind: 'tool'; index: number };

/**
 * Turns IR stream events into ConverseStream events: `messageStart`, then per content block
 * `contentBlockStart` (tool calls only, with `toolUse.toolUseId` and `name`), `contentBlockDelta`
 * (`text`, `toolUse.input`, `reasoningContent.text` / `.signature` / `.redactedContent`) and
 * `contentBlockStop`, then `messageStop` (stop reason) and `metadata` (usage, latency).
 *
 * Text and reasoning blocks close when anything else arrives; tool blocks keep their own
 * `contentBlockIndex`, so argument deltas of parallel calls may interleave (consumers key by
 * index), and close at the end. One encoder per stream.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
export class ConverseStreamEncoder implements StreamEventSink {
  private nextIndex = 0;
  /** The open text or reasoning block, if any. */
  private current: OpenBlock | undefined;
  private readonly tools = new Map<number, OpenBlock>();
  private readonly usage: Usage = emptyUsage();
  private finishReason: FinishReason | undefined;
  private stopSequence: string | undefined;
  private started = false;
  private ended = false;

  constructor(
    private readonly write: ConverseEventWriter,
    private readonly startedAt: number,
  ) {}

  /** Sends `messageStart`. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.write('messageStart', { role: 'assistant' });
  }

  event(event: StreamEvent): void {
    if (this.ended) return;
    this.start();
    switch (event.type) {
      case 'response-metadata':
        return;
      case 'text-delta':
        if (event.text === '') return;
        this.delta(this.sequential('text'), { text: event.text });
        return;
      case 'reasoning-delta':
        if (event.text === '') return;
        this.delta(this.sequential('reasoning'), { reasoningContent: { text: event.text } });
        return;
      case 'reasoning-signature':
        this.delta(this.sequential('reasoning'), { reasoningContent: { signature: event.signature } });
        return;
      case 'redacted-reasoning': {
        this.closeCurrent();
        const index = this.nextIndex++;
        this.write('contentBlockDelta', { contentBlockIndex: index, delta: { reasoningContent: { redactedContent: event.data } } });
        this.write('contentBlockStop', { contentBlockIndex: index });
        return;
      }
      case 'tool-call-start': {
        if (this.tools.has(event.index)) return;
        this.closeCurrent();
        const block: OpenBlock = { kind: 'tool', index: this.nextIndex++ };
        this.tools.set(event.index, block);
        this.write('contentBlockStart', {
          contentBlockIndex: block.index,
          start: { toolUse: { toolUseId: event.id === '' ? newAnthropicToolUseId() : event.id, name: event.name } },
        });
        return;
      }
      case 'tool-call-delta': {
        const block = this.tools.get(event.index);
        if (block === undefined || event.argumentsDelta === '') return;
        this.delta(block, { toolUse: { input: event.argumentsDelta } });
        return;
      }
      case 'usage':
        Object.assign(this.usage, Object.fromEntries(Object.entries(event.usage).filter(([, value]) => value !== undefined)));
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

  /** Closes open blocks and sends `messageStop` and `metadata`. */
  end(): void {
    if (this.ended) return;
    this.start();
    this.closeCurrent();
    for (const block of this.tools.values()) this.write('contentBlockStop', { contentBlockIndex: block.index });
    this.ended = true;
    const stopReason = mapFinishReasonToConverse(this.finishReason ?? 'end-turn', this.tools.size > 0);
    const messageStop: Record<string, unknown> = { stopReason };
    if (stopReason === 'stop_sequence' && this.stopSequence !== undefined) messageStop.additionalModelResponseFields = { stop_sequence: this.stopSequence };
    this.write('messageStop', messageStop);
    this.write('metadata', { usage: encodeConverseUsage(this.usage), metrics: { latencyMs: Math.max(0, Date.now() - this.startedAt) } });
  }

  /** Ends the stream after a failure; the caller writes the exception message. */
  fail(_error: GatewayError): void {
    this.ended = true;
  }

  /** The open text/reasoning block of `kind`, opening a new one (closing the previous) when needed. */
  private sequential(kind: 'text' | 'reasoning'): OpenBlock {
    if (this.current !== undefined && this.current.kind === kind) return this.current;
    this.closeCurrent();
    this.current = { kind, index: this.nextIndex++ };
    return this.current;
  }

  private closeCurrent(): void {
    if (this.current === undefined) return;
    this.write('contentBlockStop', { contentBlockIndex: this.current.index });
    this.current = undefined;
  }

  private delta(block: OpenBlock, delta: Record<string, unknown>): void {
    this.write('contentBlockDelta', { contentBlockIndex: block.index, delta });
  }
}
