import { randomUUID } from 'node:crypto';
import type { Usage } from '../../core/gateway-response.js';
import type { StreamEventSink } from '../../core/stream-events.js';
import { convertOpenAIUsage } from './convert-openai-usage.js';
import { finishReasonWithToolCalls, mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { baseOpenAICompatibleQuirks } from './openai-compatible-quirks.js';
import { readContentPieces, readReasoningField } from './read-openai-message-content.js';

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** One tool call being streamed. */
interface ToolCallState {
  /** The IR index it is reported under. */
  index: number;
  id?: string;
  name?: string;
  started: boolean;
  /** Argument text received before the call could be started (no name yet). */
  pendingArguments: string;
}

export interface OpenAIChatStreamTranslatorOptions {
  /** Delta fields holding reasoning text, in order of preference (see `reasoningResponseFields`). */
  reasoningFields?: readonly string[];
}

/**
 * Turns the parsed chunks of one Chat Completions stream (`chat.completion.chunk` objects) into IR
 * stream events. One translator per stream: call {@link push} for every chunk, then {@link end}
 * when the stream is over.
 *
 * - `response-metadata` (id, model) comes first, once.
 * - Reasoning (`reasoning_content`, `reasoning`, Mistral `thinking` chunks) becomes
 *   `reasoning-delta`, text becomes `text-delta`; only choice 0 is read.
 * - Tool calls are keyed by the upstream `index`. A call starts (`tool-call-start`) at its first
 *   delta carrying a name; argument text becomes `tool-call-delta`. Calls sent whole in one chunk
 *   (Mistral, xAI), deltas without `index` (Mistral: matched by `id`, else the latest call) and a
 *   new `id` reusing a finished call's index (a fresh index is taken) are handled; a call without
 *   an id gets a generated one.
 * - Usage and finish reason are only remembered: OpenAI sends usage in a last chunk with empty
 *   `choices` after the one carrying `finish_reason`, so `usage` and `finish` are emitted by
 *   {@link end}, usage first. A normal stop after tool calls is reported as `tool-use`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat-streaming/streaming
 */
export class OpenAIChatStreamTranslator {
  private readonly reasoningFields: readonly string[];
  private metadataSent = false;
  private finishReason: string | undefined;
  private usage: Usage | undefined;
  private ended = false;
  /** Calls by IR index. */
  private readonly toolCalls = new Map<number, ToolCallState>();
  /** IR index of each upstream index (differs only when an upstream index is reused). */
  private readonly indexByUpstreamIndex = new Map<number, number>();
  private readonly indexById = new Map<string, number>();
  private latestToolCallIndex: number | undefined;

  constructor(
    private readonly sink: StreamEventSink,
    options: OpenAIChatStreamTranslatorOptions = {},
  ) {
    this.reasoningFields = options.reasoningFields ?? baseOpenAICompatibleQuirks.reasoningResponseFields;
  }

  /** Whether a chunk carried a `finish_reason`. */
  get sawFinishReason(): boolean {
    return this.finishReason !== undefined;
  }

  /** Handles one parsed chunk. Values that are not chunk objects are ignored. */
  push(chunk: unknown): void {
    if (this.ended) return;
    const fields = record(chunk);
    if (fields === undefined) return;
    if (!this.metadataSent) {
      this.metadataSent = true;
      const id = nonEmptyString(fields.id);
      const model = nonEmptyString(fields.model);
      this.sink.event({ type: 'response-metadata', ...(id === undefined ? {} : { id }), ...(model === undefined ? {} : { model }) });
    }
    const usage = convertOpenAIUsage(fields.usage) ?? convertOpenAIUsage(record(fields.x_groq)?.usage);
    if (usage !== undefined) this.usage = usage;
    if (!Array.isArray(fields.choices)) return;
    for (const choiceValue of fields.choices) {
      const choice = record(choiceValue);
      if (choice === undefined || (choice.index !== undefined && choice.index !== 0)) continue;
      const delta = record(choice.delta) ?? record(choice.message);
      if (delta !== undefined) this.pushDelta(delta);
      const finishReason = nonEmptyString(choice.finish_reason);
      if (finishReason !== undefined) this.finishReason = finishReason;
    }
  }

  /** Ends the stream: emits the usage (when any was reported) and then `finish`. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.usage !== undefined) this.sink.event({ type: 'usage', usage: this.usage });
    const madeToolCalls = [...this.toolCalls.values()].some((call) => call.started);
    this.sink.event({ type: 'finish', reason: finishReasonWithToolCalls(mapOpenAIFinishReason(this.finishReason), madeToolCalls) });
  }

  private pushDelta(delta: Record<string, unknown>): void {
    const reasoning = readReasoningField(delta, this.reasoningFields);
    if (reasoning !== undefined) this.sink.event({ type: 'reasoning-delta', text: reasoning });
    for (const piece of readContentPieces(delta.content)) {
      this.sink.event(piece.kind === 'text' ? { type: 'text-delta', text: piece.text } : { type: 'reasoning-delta', text: piece.text });
    }
    const refusal = nonEmptyString(delta.refusal);
    if (refusal !== undefined) this.sink.event({ type: 'text-delta', text: refusal });
    if (Array.isArray(delta.tool_calls)) {
      for (const item of delta.tool_calls) {
        const toolCall = record(item);
        if (toolCall !== undefined) this.pushToolCallDelta(toolCall);
      }
    }
  }

  private pushToolCallDelta(toolCall: Record<string, unknown>): void {
    const id = nonEmptyString(toolCall.id);
    const functionFields = record(toolCall.function);
    const name = nonEmptyString(functionFields?.name);
    const argumentsDelta = typeof functionFields?.arguments === 'string' ? functionFields.arguments : '';
    const state = this.toolCallState(typeof toolCall.index === 'number' ? toolCall.index : undefined, id);
    if (id !== undefined && state.id === undefined) {
      state.id = id;
      this.indexById.set(id, state.index);
    }
    if (name !== undefined && state.name === undefined) state.name = name;
    this.latestToolCallIndex = state.index;

    if (!state.started) {
      state.pendingArguments += argumentsDelta;
      if (state.name === undefined) return;
      state.started = true;
      this.sink.event({ type: 'tool-call-start', index: state.index, id: state.id ?? generatedToolCallId(), name: state.name });
      if (state.pendingArguments !== '') {
        this.sink.event({ type: 'tool-call-delta', index: state.index, argumentsDelta: state.pendingArguments });
        state.pendingArguments = '';
      }
      return;
    }
    if (argumentsDelta !== '') this.sink.event({ type: 'tool-call-delta', index: state.index, argumentsDelta });
  }

  /** The call a tool-call delta belongs to, creating it when the delta starts a new one. */
  private toolCallState(upstreamIndex: number | undefined, id: string | undefined): ToolCallState {
    if (upstreamIndex !== undefined) {
      const known = this.toolCalls.get(this.indexByUpstreamIndex.get(upstreamIndex) ?? upstreamIndex);
      if (known !== undefined && (id === undefined || known.id === undefined || known.id === id)) return known;
      // a new call: normally under its own index; under a fresh one when the index is taken
      const index = known === undefined && !this.toolCalls.has(upstreamIndex) ? upstreamIndex : this.nextFreeIndex();
      this.indexByUpstreamIndex.set(upstreamIndex, index);
      return this.createToolCall(index);
    }
    if (id !== undefined) {
      const known = this.indexById.get(id);
      return known === undefined ? this.createToolCall(this.nextFreeIndex()) : (this.toolCalls.get(known) as ToolCallState);
    }
    const latest = this.latestToolCallIndex === undefined ? undefined : this.toolCalls.get(this.latestToolCallIndex);
    return latest ?? this.createToolCall(this.nextFreeIndex());
  }

  private createToolCall(index: number): ToolCallState {
    const state: ToolCallState = { index, started: false, pendingArguments: '' };
    this.toolCalls.set(index, state);
    return state;
  }

  private nextFreeIndex(): number {
    let next = 0;
    for (const index of this.toolCalls.keys()) next = Math.max(next, index + 1);
    return next;
  }
}

/** An id for a tool call the provider sent without one (some local servers do). */
function generatedToolCallId(): string {
  return `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
}
