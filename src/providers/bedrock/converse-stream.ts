import type { FinishReason } from '../../core/gateway-response.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import { convertConverseUsage } from './convert-converse-usage.js';
import { mapConverseStopReason, stopSequenceFromAdditionalFields } from './map-converse-stop-reason.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Translates one ConverseStream response into IR stream events; one translator per stream.
 *
 * - `contentBlockStart.start.toolUse` → `tool-call-start` keyed by `contentBlockIndex`;
 * - `contentBlockDelta.delta`: `text` → `text-delta`, `toolUse.input` → `tool-call-delta`,
 *   `reasoningContent.text` / `.signature` / `.redactedContent` → `reasoning-delta` /
 *   `reasoning-signature` / `redacted-reasoning`;
 * - `metadata.usage` → `usage` (with cache reads and writes);
 * - `messageStop.stopReason` → `finish` (the stop sequence from `additionalModelResponseFields`).
 * `messageStart` and `contentBlockStop` carry nothing the IR needs; unknown events are ignored.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html
 */
export class ConverseStreamTranslator {
  private finished = false;

  constructor(private readonly sink: StreamEventSink) {}

  /** Whether `messageStop` arrived. */
  get sawMessageStop(): boolean {
    return this.finished;
  }

  /**
   * Handles one event.
   * @param eventType the `:event-type` header (`messageStart`, `contentBlockDelta`, …)
   * @param payload the parsed JSON payload
   */
  push(eventType: string, payload: unknown): void {
    if (!isRecord(payload)) return;
    const index = typeof payload.contentBlockIndex === 'number' ? payload.contentBlockIndex : 0;
    switch (eventType) {
      case 'contentBlockStart': {
        const toolUse = isRecord(payload.start) ? payload.start.toolUse : undefined;
        if (isRecord(toolUse)) {
          this.sink.event({
            type: 'tool-call-start',
            index,
            id: typeof toolUse.toolUseId === 'string' ? toolUse.toolUseId : '',
            name: typeof toolUse.name === 'string' ? toolUse.name : '',
          });
        }
        return;
      }
      case 'contentBlockDelta': {
        const delta = payload.delta;
        if (!isRecord(delta)) return;
        if (typeof delta.text === 'string') {
          this.sink.event({ type: 'text-delta', text: delta.text });
        } else if (isRecord(delta.toolUse)) {
          const input = delta.toolUse.input;
          if (typeof input === 'string' && input !== '') this.sink.event({ type: 'tool-call-delta', index, argumentsDelta: input });
        } else if (isRecord(delta.reasoningContent)) {
          const reasoning = delta.reasoningContent;
          if (typeof reasoning.text === 'string' && reasoning.text !== '') this.sink.event({ type: 'reasoning-delta', text: reasoning.text });
          if (typeof reasoning.signature === 'string' && reasoning.signature !== '') {
            this.sink.event({ type: 'reasoning-signature', signature: reasoning.signature });
          }
          if (typeof reasoning.redactedContent === 'string') this.sink.event({ type: 'redacted-reasoning', data: reasoning.redactedContent });
        }
        return;
      }
      case 'metadata':
        if (isRecord(payload.usage)) this.sink.event({ type: 'usage', usage: convertConverseUsage(payload.usage) });
        return;
      case 'messageStop': {
        this.finished = true;
        const reason: FinishReason = mapConverseStopReason(typeof payload.stopReason === 'string' ? payload.stopReason : undefined);
        const additional = isRecord(payload.additionalModelResponseFields) ? payload.additionalModelResponseFields : undefined;
        const stopSequence = stopSequenceFromAdditionalFields(additional);
        this.sink.event(stopSequence === undefined ? { type: 'finish', reason } : { type: 'finish', reason, stopSequence });
        return;
      }
      default:
        return;
    }
  }
}
