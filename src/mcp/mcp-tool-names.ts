import { createHash } from 'node:crypto';

/**
 * Names of aggregated tools and prompts: `<upstream>__<name>`, restricted to what Claude Code and
 * the model APIs accept — `^[a-zA-Z0-9_-]+$`, at most 64 characters by default (OpenAI's function
 * name limit; Claude Code then shows the tool as `mcp__<server>__<name>`).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#tool-names
 */

/** Separates the upstream name from the upstream's own tool name. */
export const MCP_NAME_SEPARATOR = '__';

/** Characters allowed in an aggregated name. */
const ALLOWED_NAME = /^[a-zA-Z0-9_-]+$/;

/**
 * Replaces characters outside `[a-zA-Z0-9_-]` with `_` and shortens names longer than `maxLength`
 * to a prefix plus `_` and 8 hex characters of the full name's SHA-256, so distinct long names stay
 * distinct.
 */
export function sanitizeToolName(name: string, maxLength: number): string {
  const cleaned = ALLOWED_NAME.test(name) ? name : name.replace(/[^a-zA-Z0-9_-]/g, '_');
  const nonEmpty = cleaned === '' ? '_' : cleaned;
  if (nonEmpty.length <= maxLength) return nonEmpty;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${nonEmpty.slice(0, maxLength - 9)}_${hash}`;
}

/**
 * The name a caller sees for an upstream's tool or prompt: `<upstream>__<name>` when the upstream is
 * namespaced, else the upstream's own name, made safe by {@link sanitizeToolName}.
 */
export function aggregatedName(upstreamId: string, name: string, namespaced: boolean, maxLength: number): string {
  return sanitizeToolName(namespaced ? `${upstreamId}${MCP_NAME_SEPARATOR}${name}` : name, maxLength);
}
