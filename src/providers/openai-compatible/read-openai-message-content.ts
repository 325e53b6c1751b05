/**
 * Reading the text and reasoning out of a Chat Completions `message` or streamed `delta`, in the
 * shapes compatible providers use:
 * - `content` as a string (everyone);
 * - `content` as an array of chunks (Mistral's reasoning models):
 *   `[{type:'thinking', thinking:[{type:'text', text}]}, {type:'text', text}]`;
 * - reasoning in a sibling field: `reasoning_content` (DeepSeek, xAI, vLLM, Moonshot) or
 *   `reasoning` (Groq, OpenRouter, Ollama, Cerebras).
 *
 * @see https://docs.mistral.ai/capabilities/reasoning/
 * @see https://api-docs.deepseek.com/guides/reasoning_model
 * @see https://console.groq.com/docs/reasoning
 */

/** One piece of message content, in order. */
export type ContentPiece = { kind: 'text' | 'reasoning'; text: string };

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The first non-empty string among `fields` of `message` (so a text sent under two names counts once). */
export function readReasoningField(message: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (const field of fields) {
    const value = message[field];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** Text of Mistral's `thinking` chunk: a string, or an array of `{type:'text', text}`. */
function thinkingText(thinking: unknown): string {
  if (typeof thinking === 'string') return thinking;
  if (!Array.isArray(thinking)) return '';
  let text = '';
  for (const item of thinking) {
    const fields = record(item);
    if (fields !== undefined && typeof fields.text === 'string') text += fields.text;
  }
  return text;
}

/** The non-empty pieces of a `content` value, in order. */
export function readContentPieces(content: unknown): ContentPiece[] {
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const pieces: ContentPiece[] = [];
  for (const item of content) {
    if (typeof item === 'string') {
      if (item !== '') pieces.push({ kind: 'text', text: item });
      continue;
    }
    const fields = record(item);
    if (fields === undefined) continue;
    if (fields.type === 'thinking') {
      const text = thinkingText(fields.thinking);
      if (text !== '') pieces.push({ kind: 'reasoning', text });
    } else if (fields.type === 'text' && typeof fields.text === 'string' && fields.text !== '') {
      pieces.push({ kind: 'text', text: fields.text });
    }
  }
  return pieces;
}
