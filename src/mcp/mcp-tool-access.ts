import type { McpIdentity } from './mcp-identity.js';
import type { McpUpstreamSettings } from './mcp-settings.js';

/**
 * Tool governance: which of an upstream's tools a caller may see (`tools/list`) and call
 * (`tools/call`). A tool is visible when the upstream exposes it (its `tools` allowlist) and the
 * caller's allowlist names it (or `*`) under that upstream. A caller's allowlist without an entry
 * for an upstream gives none of its tools; a session identity without an allowlist gets them all.
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
  if (identity.toolAllowlist === undefined) return true;
  return selects(identity.toolAllowlist[upstream.id], toolName);
}

/**
 * Whether `identity` has any access to the upstream: its resources and prompts are visible to
 * callers whose allowlist has an entry for it.
 */
export function hasUpstreamAccess(identity: McpIdentity, upstreamId: string): boolean {
  if (identity.toolAllowlist === undefined) return true;
  const selection = identity.toolAllowlist[upstreamId];
  return selection === '*' || (selection !== undefined && selection.length > 0);
}
