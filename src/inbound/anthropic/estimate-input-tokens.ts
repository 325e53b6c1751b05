import { countTokens } from 'gpt-tokenizer';
import type { GatewayRequest, UserPart, AssistantPart } from '../../core/gateway-request.js';

/** Tokens counted for each image, whose size is not known without decoding it. */
export const ESTIMATED_TOKENS_PER_IMAGE = 1_600;
/** Tokens counted for each PDF document. */
export const ESTIMATED_TOKENS_PER_PDF = 3_000;
/** Tokens added per message for role and framing. */
const TOKENS_PER_MESSAGE = 4;

/**
 * Estimates the input tokens of a request for providers that offer no counting endpoint.
 *
 * Text (system, messages, tool calls and results, tool names, descriptions and JSON schemas) is
 * tokenised with the `o200k_base` encoding (`gpt-tokenizer`), exact for current OpenAI models and
 * an estimate for others (Claude's tokenizer typically yields somewhat more tokens). Each image
 * counts {@link ESTIMATED_TOKENS_PER_IMAGE}, each PDF {@link ESTIMATED_TOKENS_PER_PDF}, plus
 * {@link TOKENS_PER_MESSAGE} per message.
 *
 * @returns estimated input tokens
 */
export function estimateInputTokens(request: GatewayRequest): number {
  const texts: string[] = [];
  let fixed = 0;
  for (const part of request.system) texts.push(part.text);
  const addPart = (part: UserPart | AssistantPart): void => {
    switch (part.type) {
      case 'text':
        texts.push(part.text);
        return;
      case 'image':
        fixed += ESTIMATED_TOKENS_PER_IMAGE;
        return;
      case 'document':
        if (part.source.kind === 'text') texts.push(part.source.text);
        else fixed += ESTIMATED_TOKENS_PER_PDF;
        return;
      case 'tool-call':
        texts.push(part.name, JSON.stringify(part.input));
        return;
      case 'tool-result':
        for (const inner of part.content) addPart(inner);
        return;
      case 'reasoning':
        texts.push(part.text);
        return;
      case 'redacted-reasoning':
        return;
      default: {
        const unreachable: never = part;
        throw new Error(`unknown part ${JSON.stringify(unreachable)}`);
      }
    }
  };
  for (const message of request.messages) {
    fixed += TOKENS_PER_MESSAGE;
    for (const part of message.content) addPart(part);
  }
  for (const tool of request.tools) {
    texts.push(tool.name, tool.description ?? '', JSON.stringify(tool.inputSchema));
  }
  return fixed + countTokens(texts.join('\n'));
}
