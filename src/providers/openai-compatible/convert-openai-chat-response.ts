import { randomUUID } from 'node:crypto';
import type { AssistantPart } from '../../core/gateway-request.js';
import { emptyUsage, type GatewayResponse } from '../../core/gateway-response.js';
import { convertOpenAIUsage } from './convert-openai-usage.js';
import { finishReasonWithToolCalls, mapOpenAIFinishReason } from './map-openai-finish-reason.js';
import { baseOpenAICompatibleQuirks } from './openai-compatible-quirks.js';
import { readContentPieces, readReasoningField } from './read-openai-message-content.js';

export interface ConvertResponseOptions {
  /** Reported as the model when the response names none. */
  requestedModel: string;
  /** Message fields holding reasoning text, in order of preference (see `reasoningResponseFields`). */
  reasoningFields?: readonly string[];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * Parses a tool call's `arguments` string into the object the IR (and Anthropic's `tool_use.input`)
 * needs. An empty string is `{}` (no-argument tools). Text that is not a JSON object (truncated at
 * the token limit, or malformed by the model) also becomes `{}`: `input` must be an object, and an
 * empty one makes the client's tool validation report the missing parameters back to the model,
 * which can then call again — the same outcome as a malformed call from Anthropic. The finish
 * reason (`max-tokens` when truncated) is kept, so the caller can still tell what happened.
 */
export function parseToolArguments(argumentsText: unknown): Record<string, unknown> {
  if (typeof argumentsText === 'object' && argumentsText !== null && !Array.isArray(argumentsText)) {
    return argumentsText as Record<string, unknown>; // a few servers send an object instead of a string
  }
  if (typeof argumentsText !== 'string' || argumentsText.trim() === '') return {};
  try {
    return record(JSON.parse(argumentsText)) ?? {};
  } catch {
    return {};
  }
}

/**
 * Converts a non-streamed Chat Completions response body into an IR response. Reads choice 0:
 * reasoning (`reasoning_content`, `reasoning`, Mistral `thinking` chunks) comes first as one
 * reasoning part, then the text, then the tool calls (arguments parsed by {@link parseToolArguments};
 * a missing id is generated). Usage goes through `convertOpenAIUsage`; a response without usage
 * reports zeros. A normal stop after tool calls is reported as `tool-use`.
 *
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
export function convertOpenAIChatResponse(body: unknown, options: ConvertResponseOptions): GatewayResponse {
  const fields = record(body) ?? {};
  const choices = Array.isArray(fields.choices) ? fields.choices.map(record) : [];
  const choice = choices.find((candidate) => candidate !== undefined && (candidate.index === undefined || candidate.index === 0));
  const message = record(choice?.message) ?? {};

  const reasoningTexts: string[] = [];
  const texts: string[] = [];
  const reasoningField = readReasoningField(message, options.reasoningFields ?? baseOpenAICompatibleQuirks.reasoningResponseFields);
  if (reasoningField !== undefined) reasoningTexts.push(reasoningField);
  for (const piece of readContentPieces(message.content)) {
    (piece.kind === 'reasoning' ? reasoningTexts : texts).push(piece.text);
  }
  if (typeof message.refusal === 'string' && message.refusal !== '') texts.push(message.refusal);

  const content: AssistantPart[] = [];
  if (reasoningTexts.length > 0) content.push({ type: 'reasoning', text: reasoningTexts.join('') });
  if (texts.length > 0) content.push({ type: 'text', text: texts.join('') });
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const item of toolCalls) {
    const toolCall = record(item);
    const functionFields = record(toolCall?.function);
    if (toolCall === undefined || functionFields === undefined || typeof functionFields.name !== 'string') continue;
    content.push({
      type: 'tool-call',
      id: typeof toolCall.id === 'string' && toolCall.id !== '' ? toolCall.id : `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      name: functionFields.name,
      input: parseToolArguments(functionFields.arguments),
    });
  }

  const finishReason = typeof choice?.finish_reason === 'string' ? choice.finish_reason : undefined;
  const response: GatewayResponse = {
    model: typeof fields.model === 'string' && fields.model !== '' ? fields.model : options.requestedModel,
    content,
    finishReason: finishReasonWithToolCalls(
      mapOpenAIFinishReason(finishReason),
      content.some((part) => part.type === 'tool-call'),
    ),
    usage: convertOpenAIUsage(fields.usage) ?? emptyUsage(),
  };
  if (typeof fields.id === 'string' && fields.id !== '') response.id = fields.id;
  return response;
}
