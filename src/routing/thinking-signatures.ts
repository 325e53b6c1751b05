import type { DroppedFieldLog } from '../core/dropped-fields.js';
import type { GatewayRequest } from '../core/gateway-request.js';
import { isJsonObject, type JsonObject } from '../core/request-validation.js';

/**
 * Thinking blocks across providers.
 *
 * A thinking block's `signature` only means something to whoever made it, and Anthropic refuses a
 * request whose history carries a thinking block with a signature it did not issue (or none). When
 * a conversation moves to another provider or model (a fallback, a routing rule, Claude Code's
 * `/model`), its history holds thinking from the old one, so Heimdall tells signatures apart:
 *
 * - **Anthropic** signatures (Anthropic API, Bedrock, Vertex — compatible across the three) are
 *   base64: they never contain `:`.
 * - **Heimdall-issued** signatures mark thinking that Heimdall encoded from a translated provider
 *   that signs nothing (OpenAI-compatible `reasoning_content`, …): `heimdall:v1:<provider>/<model>`.
 * - **Gemini** thought signatures travel as `gemini:<signature>` (`providers/gemini/gemini-thought-signature.ts`).
 * - An empty or missing signature is foreign too.
 *
 * Rule: a signature is Anthropic's when it is non-empty and has no `:`. Every non-Anthropic
 * signature Heimdall issues has the form `<issuer>:<payload>`.
 *
 * What happens to foreign thinking:
 * - Sent to an Anthropic-format provider (passthrough): the block is dropped (Anthropic ignores the
 *   thinking of earlier turns anyway). An assistant message left with nothing keeps the thinking as
 *   a text block. When the dropped block was in the last assistant message next to a `tool_use`
 *   (a tool loop in progress, where Anthropic wants the message to start with signed thinking),
 *   thinking is switched off for that one request (`thinking` and `clear_thinking_*` context edits
 *   removed). Every drop is recorded in `x-heimdall-dropped-fields`.
 * - Sent through translation: Heimdall-issued signatures are removed (they mean nothing upstream)
 *   and each translator keeps or drops the reasoning text by its own rules.
 *
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking#thinking-encryption
 * @see ../../docs/architecture.md#thinking-across-providers
 */

/** Who issued a thinking signature. */
export type ThinkingSignatureIssuer = 'anthropic' | 'heimdall' | 'gemini' | 'unsigned' | 'other';

/** The prefix of signatures Heimdall gives thinking from translated providers. */
export const HEIMDALL_SIGNATURE_PREFIX = 'heimdall:';

/** The signature Heimdall puts on thinking from a translated provider that signs nothing. */
export function heimdallThinkingSignature(provider: string, model: string): string {
  return `${HEIMDALL_SIGNATURE_PREFIX}v1:${provider}/${model}`;
}

/** Who issued a signature (see the rules above). */
export function thinkingSignatureIssuer(signature: string | undefined | null): ThinkingSignatureIssuer {
  if (signature === undefined || signature === null || signature === '') return 'unsigned';
  if (signature.startsWith(HEIMDALL_SIGNATURE_PREFIX)) return 'heimdall';
  if (signature.startsWith('gemini:')) return 'gemini';
  if (signature.includes(':')) return 'other';
  return 'anthropic';
}

/** Whether Anthropic (or Bedrock/Vertex Claude) issued this signature and will accept it back. */
export function isAnthropicThinkingSignature(signature: string | undefined | null): boolean {
  return thinkingSignatureIssuer(signature) === 'anthropic';
}

function isForeignThinkingBlock(block: unknown): block is JsonObject & { type: 'thinking' } {
  return isJsonObject(block) && block.type === 'thinking' && !isAnthropicThinkingSignature(typeof block.signature === 'string' ? block.signature : undefined);
}

/** Whether thinking is switched on in an Anthropic body (`enabled` or `adaptive`). */
function thinkingIsOn(root: JsonObject): boolean {
  return isJsonObject(root.thinking) && (root.thinking.type === 'enabled' || root.thinking.type === 'adaptive');
}

/** Removes `clear_thinking_*` context-management edits (they need thinking on); drops `context_management` when nothing is left. */
function removeThinkingContextEdits(root: JsonObject, dropped: DroppedFieldLog): void {
  const management = root.context_management;
  if (!isJsonObject(management) || !Array.isArray(management.edits)) return;
  const edits = management.edits.filter((edit) => !(isJsonObject(edit) && typeof edit.type === 'string' && edit.type.startsWith('clear_thinking')));
  if (edits.length === management.edits.length) return;
  dropped.drop('context_management.edits', 'clear_thinking edits need thinking, which was switched off for this request');
  if (edits.length === 0 && Object.keys(management).length === 1) delete root.context_management;
  else root.context_management = { ...management, edits };
}

/**
 * Makes an Anthropic Messages body acceptable to an Anthropic-format provider: thinking blocks
 * with a foreign signature are dropped (see the module comment). Mutates `root`.
 * @returns whether the body changed (the caller re-serialises it)
 */
export function dropForeignThinkingBlocks(root: JsonObject, dropped: DroppedFieldLog): boolean {
  const messages = root.messages;
  if (!Array.isArray(messages)) return false;
  let lastAssistant = -1;
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message: unknown = messages[index];
    if (isJsonObject(message) && message.role === 'assistant') {
      lastAssistant = index;
      break;
    }
  }
  let changed = false;
  let loopLostThinking = false;
  const kept: unknown[] = [];
  messages.forEach((message: unknown, index) => {
    if (!isJsonObject(message) || message.role !== 'assistant' || !Array.isArray(message.content) || !message.content.some(isForeignThinkingBlock)) {
      kept.push(message);
      return;
    }
    changed = true;
    const content = message.content as unknown[];
    const remaining = content.filter((block) => !isForeignThinkingBlock(block));
    content.forEach((block, position) => {
      if (isForeignThinkingBlock(block)) dropped.drop(`messages.${index}.content.${position}`, 'thinking from another provider or model (its signature is not Anthropic\'s)');
    });
    if (index === lastAssistant && remaining.some((block) => isJsonObject(block) && block.type === 'tool_use')) loopLostThinking = true;
    if (remaining.length > 0) {
      kept.push({ ...message, content: remaining });
      return;
    }
    const text = content
      .filter(isForeignThinkingBlock)
      .map((block) => (typeof block.thinking === 'string' ? block.thinking : ''))
      .join('\n\n');
    if (text.trim() !== '') kept.push({ ...message, content: [{ type: 'text', text }] });
  });
  if (!changed) return false;
  root.messages = kept;
  if (loopLostThinking && thinkingIsOn(root)) {
    delete root.thinking;
    dropped.drop('thinking', 'the tool loop in progress started with thinking from another provider, which Anthropic cannot verify; thinking is off for this request');
    removeThinkingContextEdits(root, dropped);
  }
  return true;
}

/**
 * Removes signatures that mean nothing to any upstream (Heimdall-issued and unknown ones) from the
 * IR, so translators treat that reasoning as unsigned. Anthropic and Gemini signatures stay for
 * the translators that use them. Mutates `request`.
 */
export function stripForeignReasoningSignatures(request: GatewayRequest): void {
  for (const message of request.messages) {
    if (message.role !== 'assistant') continue;
    for (const part of message.content) {
      if (part.type !== 'reasoning' || part.signature === undefined) continue;
      const issuer = thinkingSignatureIssuer(part.signature);
      if (issuer === 'heimdall' || issuer === 'other' || issuer === 'unsigned') delete part.signature;
    }
  }
}
