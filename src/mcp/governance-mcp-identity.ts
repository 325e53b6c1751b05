import type { IncomingHttpHeaders } from 'node:http';
import type { GovernanceService } from '../governance/governance-service.js';
import { MCP_SESSION_ID_HEADER, type McpIdentityResolution, type McpIdentityResolver } from './mcp-identity.js';

/**
 * MCP callers identified by the governance store's virtual keys (used when the gateway runs with
 * governance, in place of the config's `mcp.access`):
 * - a valid key → a virtual-key identity (the key's store id) whose tools are the key's `mcp_tools`
 *   glob patterns over `<upstream>__<tool>`; a key without `mcp_tools` may use every tool, an empty
 *   list none;
 * - an invalid key (unknown, revoked, inactive, expired, malformed) → refused, 401, with
 *   governance's message;
 * - no key → refused (401) when `governance.enforce_auth_on_inference` is on, else a session
 *   identity (the `x-heimdall-mcp-session-id` header, else the transport's `mcp-session-id`, else
 *   `anonymous`) with every tool.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */
export class GovernanceMcpIdentityResolver implements McpIdentityResolver {
  constructor(private readonly service: Pick<GovernanceService, 'authenticate' | 'settings'>) {}

  /**
   * Resolves the caller of a request from its headers.
   * @throws GatewayError 500 when the store cannot be read (as `GovernanceService.authenticate`)
   */
  async resolve(headers: IncomingHttpHeaders): Promise<McpIdentityResolution> {
    const result = await this.service.authenticate(headers);
    switch (result.status) {
      case 'valid': {
        const { virtualKey } = result.context;
        return virtualKey.mcpTools === undefined
          ? { kind: 'virtual-key', id: virtualKey.id }
          : { kind: 'virtual-key', id: virtualKey.id, toolPatterns: [...virtualKey.mcpTools] };
      }
      case 'invalid':
        return { kind: 'refused', status: 401, message: result.message };
      case 'none':
        if (this.service.settings.enforceAuthOnInference) {
          return {
            kind: 'refused',
            status: 401,
            message: 'a Heimdall virtual key is required: send "Authorization: Bearer <virtual key>" (or x-api-key / x-heimdall-vk)',
          };
        }
        return { kind: 'session', id: firstHeader(headers, MCP_SESSION_ID_HEADER) ?? firstHeader(headers, 'mcp-session-id') ?? 'anonymous' };
      default: {
        const unreachable: never = result;
        throw new Error(`unknown authentication result ${String(unreachable)}`);
      }
    }
  }
}

/** The first non-blank value of a header, trimmed. */
function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first.trim() === '' ? undefined : first.trim();
}
