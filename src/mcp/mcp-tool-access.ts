import { matchesAnyModelPattern } from '../routing/match-model-pattern.js';
import type { McpIdentity } from './mcp-identity.js';
import type { McpUpstreamSettings } from './mcp-settings.js';
import { MCP_NAME_SEPARATOR } from './mcp-tool-names.js';

/**
 * Tool governance: which of an upstream's tools a caller may see (`tools/list`) and call
 * (`tools/call`). A tool is visible when the upstream exposes it (its `tools` allowlist) and the
 * caller's allowlist names it (or `*`) under that upstream. A caller's allowlist without an entry
 * for an upstream gives none of its tools; an identity without an allowlist gets them all. A
 * virtual key from the governance store carries glob patterns instead (`toolPatterns`), matched
 * against `<upstream>__<tool>` (the upstream's own tool name, whether or not the upstream is
 * namespaced): `everything__*` allows every tool of `everything`, `*` every tool, `[]` none.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#security-considerations
 */

function selects(selection: '*' | readonly string[] | undefined, toolName: string): boolean {
  return selection === '*' || (selection !== undefined && selection.includes(toolName));
}

/** Whether the upstream exposes `toolName` at all (its configured `tools`). */
export function upstreamExposesTool(upstream: Pick<McpUpstreamSettings, 'tools'>, toolName: string): boolean {
  return selects(upstream.tools, toolName);
}

/** Whether `identity` may see and call the upstream's tool `toolName` (the upstream's own name). */
export function isToolAllowed(identity: McpIdentity, upstream: Pick<McpUpstreamSettings, 'id' | 'tools'>, toolName: string): boolean {
  if (!upstreamExposesTool(upstream, toolName)) return false;
  if (identity.kind === 'virtual-key' && identity.toolPatterns !== undefined) {
    return matchesAnyModelPattern(identity.toolPatterns, `${upstream.id}${MCP_NAME_SEPARATOR}${toolName}`);
  }
  if (identity.toolAllowlist === undefined) return true;
  return selects(identity.toolAllowlist[upstream.id], toolName);
}

/**
 * Whether `identity` has any access to the upstream: its resources and prompts are visible to
 * callers whose allowlist has an entry for it.
 */
export function hasUpstreamAccess(identity: McpIdentity, upstreamId: string): boolean {
  if (identity.kind === 'virtual-key' && identity.toolPatterns !== undefined) {
    const prefix = `${upstreamId}${MCP_NAME_SEPARATOR}`;
    return identity.toolPatterns.some((pattern) => patternCanMatchUnder(pattern, prefix));
  }
  if (identity.toolAllowlist === undefined) return true;
  const selection = identity.toolAllowlist[upstreamId];
  return selection === '*' || (selection !== undefined && selection.length > 0);
}

/**
 * Whether a glob pattern can match some name `<prefix><tool>` (a non-empty tool name): its literal
 * part before the first `*` is a prefix of `prefix` or starts with it.
 */
function patternCanMatchUnder(pattern: string, prefix: string): boolean {
  const starAt = pattern.indexOf('*');
  if (starAt === -1) return pattern.startsWith(prefix) && pattern.length > prefix.length;
  const literal = pattern.slice(0, starAt);
  return prefix.startsWith(literal) || literal.startsWith(prefix);
}
