import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { McpSettings, McpToolAllowlist } from './mcp-settings.js';

/**
 * Who is calling the MCP gateway, and which tools they may see. The gateway asks an
 * {@link McpIdentityResolver} on every request (`/mcp`, the credentials API, tool injection); the
 * config-backed {@link ConfigMcpIdentityResolver} stands in until virtual keys live in the
 * governance store, which then implements the same interface.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** Header carrying a caller-chosen session id when no virtual key is sent (auth not enforced). */
export const MCP_SESSION_ID_HEADER = 'x-heimdall-mcp-session-id';
/** Header carrying a virtual key, besides `Authorization: Bearer` and `x-api-key`. */
export const VIRTUAL_KEY_HEADER = 'x-heimdall-vk';

/** A caller identified by a virtual key. `id` is stable and not secret (never the plaintext). */
export interface VirtualKeyIdentity {
  kind: 'virtual-key';
  id: string;
  /**
   * Upstream → tools; an upstream without an entry shows none of its tools. Absent (and no
   * `toolPatterns`) means every tool of every upstream.
   */
  toolAllowlist?: McpToolAllowlist;
  /**
   * Glob patterns over namespaced tool names `<upstream>__<tool>` (`*` = any run of characters),
   * as the governance store's virtual keys hold them (`mcp_tools`); an empty list allows no tool.
   * When present it takes the place of `toolAllowlist`.
   */
  toolPatterns?: readonly string[];
}

/** A caller without a key (auth not enforced), identified by a session id it re-sends on every call. */
export interface SessionIdentity {
  kind: 'session';
  id: string;
  /** Absent means every tool of every upstream. */
  toolAllowlist?: McpToolAllowlist;
}

export type McpIdentity = VirtualKeyIdentity | SessionIdentity;

/** A request refused before anything else: 401 without a valid key when auth is enforced. */
export interface McpIdentityRefusal {
  kind: 'refused';
  status: 401 | 403;
  message: string;
}

export type McpIdentityResolution = McpIdentity | McpIdentityRefusal;

/** Resolves the caller of a request from its headers. Implemented by governance later. */
export interface McpIdentityResolver {
  resolve(headers: IncomingHttpHeaders): Promise<McpIdentityResolution>;
}

/** The key an identity's per-user state (credentials) is stored under: `virtual-key:<id>` or `session:<id>`. */
export function identityKey(identity: McpIdentity): string {
  return `${identity.kind}:${identity.id}`;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}

/**
 * The virtual key a request presents: `Authorization: Bearer <vk>`, `x-api-key: <vk>` or
 * `x-heimdall-vk: <vk>` (checked in that order of precedence: x-heimdall-vk, Authorization, x-api-key).
 */
export function presentedVirtualKey(headers: IncomingHttpHeaders): string | undefined {
  const explicit = headerValue(headers, VIRTUAL_KEY_HEADER);
  if (explicit !== undefined) return explicit;
  const authorization = headerValue(headers, 'authorization');
  if (authorization !== undefined && /^bearer\s+/i.test(authorization)) {
    const token = authorization.replace(/^bearer\s+/i, '').trim();
    if (token !== '') return token;
  }
  return headerValue(headers, 'x-api-key');
}

/** A stable, non-secret id for a virtual key given by its plaintext. */
export function virtualKeyIdForPlaintext(plaintext: string): string {
  return `vk_${createHash('sha256').update(plaintext).digest('hex').slice(0, 16)}`;
}

function constantTimeEquals(left: string, right: string): boolean {
  const leftBytes = Buffer.from(left);
  const rightBytes = Buffer.from(right);
  return leftBytes.length === rightBytes.length && timingSafeEqual(leftBytes, rightBytes);
}

/**
 * Identities from the config's `mcp.access` (virtual key plaintext → allowlist) and
 * `mcp.enforce_auth_on_inference`:
 * - a known key → a virtual-key identity with its allowlist;
 * - enforcement on and no known key → refused (401);
 * - enforcement off and no known key → a session identity: the `x-heimdall-mcp-session-id` header,
 *   else the transport's `mcp-session-id`, else `anonymous`; its tools are `mcp.anonymous_access`.
 */
export class ConfigMcpIdentityResolver implements McpIdentityResolver {
  private readonly keys: Array<{ plaintext: string; id: string; allowlist: McpToolAllowlist }>;

  constructor(private readonly settings: Pick<McpSettings, 'access' | 'anonymousAccess' | 'enforceAuth'>) {
    this.keys = [...settings.access].map(([plaintext, allowlist]) => ({ plaintext, id: virtualKeyIdForPlaintext(plaintext), allowlist }));
  }

  resolve(headers: IncomingHttpHeaders): Promise<McpIdentityResolution> {
    return Promise.resolve(this.resolveNow(headers));
  }

  private resolveNow(headers: IncomingHttpHeaders): McpIdentityResolution {
    const presented = presentedVirtualKey(headers);
    if (presented !== undefined) {
      const known = this.keys.find((key) => constantTimeEquals(key.plaintext, presented));
      if (known !== undefined) return { kind: 'virtual-key', id: known.id, toolAllowlist: known.allowlist };
    }
    if (this.settings.enforceAuth) {
      return {
        kind: 'refused',
        status: 401,
        message:
          presented === undefined
            ? 'a virtual key is required: send "Authorization: Bearer <virtual key>" (or x-api-key / x-heimdall-vk)'
            : 'the virtual key is not valid',
      };
    }
    const sessionId = headerValue(headers, MCP_SESSION_ID_HEADER) ?? headerValue(headers, 'mcp-session-id') ?? 'anonymous';
    const anonymous = this.settings.anonymousAccess;
    return anonymous === '*' ? { kind: 'session', id: sessionId } : { kind: 'session', id: sessionId, toolAllowlist: anonymous };
  }
}
