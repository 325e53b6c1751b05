import { createHash } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function isAlphanumeric(text: string): boolean {
  for (const character of text) {
    if (!ALPHANUMERIC.includes(character)) return false;
  }
  return true;
}

/**
 * A tool call id that a provider with a strict id format accepts: `length` ASCII letters and digits
 * (Mistral requires exactly 9). Ids that already fit are kept; others (e.g. Anthropic's `toolu_01…`
 * from turns served by another provider) are mapped through SHA-256, so the same id maps the same
 * way in an assistant `tool_calls` entry and in the `tool` message answering it.
 *
 * @see https://docs.mistral.ai/capabilities/function_calling/
 */
export function normalizeToolCallId(id: string, length: number): string {
  if (id.length === length && isAlphanumeric(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let normalized = '';
  for (let index = 0; normalized.length < length; index += 1) {
    normalized += ALPHANUMERIC[digest[index % digest.length] % ALPHANUMERIC.length];
  }
  return normalized;
}
