/**
 * Claude model names on Vertex AI and on Anthropic's API differ in one character: Vertex writes the
 * snapshot date after `@` (`claude-sonnet-4-5@20250929`), Anthropic after `-`
 * (`claude-sonnet-4-5-20250929`). Undated names (`claude-sonnet-4-6`) are the same on both.
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude
 */

/** Whether a model name (bare or `publishers/anthropic/models/…`) is a Claude model. */
export function isClaudeModelName(model: string): boolean {
  return /^(publishers\/anthropic\/models\/)?claude-/i.test(model);
}

/** `claude-sonnet-4-5-20250929` → `claude-sonnet-4-5@20250929`; other names unchanged. */
export function vertexClaudeModelName(model: string): string {
  const bare = model.replace(/^publishers\/anthropic\/models\//, '');
  return bare.includes('@') ? bare : bare.replace(/-(\d{8})$/, '@$1');
}

/** `claude-sonnet-4-5@20250929` → `claude-sonnet-4-5-20250929`; other names unchanged. */
export function anthropicClaudeModelName(model: string): string {
  return model.replace('@', '-');
}
