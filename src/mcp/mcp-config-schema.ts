import { Type, type Static } from '@sinclair/typebox';

/**
 * The `mcp` and `admin` sections of the Heimdall config file (TypeBox: one definition for the
 * TypeScript type and the published JSON Schema). `src/config/config-schema.ts` mounts them.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports
 */

const Secret = Type.String({ minLength: 1, description: 'A secret, or "env.NAME" to read it from environment variable NAME.' });

/** Upstream names become tool-name prefixes (`<upstream>__<tool>`): 1–32 letters, digits, `-`, single `_`. */
export const MCP_UPSTREAM_NAME_PATTERN = '^[a-zA-Z0-9](?:[a-zA-Z0-9-]|_(?!_)){0,31}$';

/** A tool allowlist entry: `"*"` for every tool, or the upstream's own tool names. */
export const McpToolSelectionSchema = Type.Union([Type.Literal('*'), Type.Array(Type.String({ minLength: 1 }))], {
  description: '"*" for every tool of the upstream, or a list of its tool names (as the upstream names them, without the prefix).',
});

/** Upstream name → tools a caller may see and call. An upstream without an entry gives none of its tools. */
export const McpToolAllowlistSchema = Type.Record(Type.String({ pattern: MCP_UPSTREAM_NAME_PATTERN }), McpToolSelectionSchema, {
  additionalProperties: false,
  description: 'Upstream name → "*" or a list of its tool names. An upstream without an entry shows none of its tools.',
});

export const McpServerConfigSchema = Type.Object(
  {
    transport: Type.Optional(
      Type.Union([Type.Literal('stdio'), Type.Literal('streamable-http'), Type.Literal('sse')], {
        description: 'How Heimdall reaches the server. Default: "stdio" with `command`, "streamable-http" with `url`.',
      }),
    ),
    command: Type.Optional(Type.String({ minLength: 1, description: 'stdio: the executable to start.' })),
    args: Type.Optional(Type.Array(Type.String(), { description: 'stdio: its arguments.' })),
    env: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: 'stdio: extra environment variables; values may be "env.NAME".' })),
    cwd: Type.Optional(Type.String({ minLength: 1, description: 'stdio: working directory.' })),
    url: Type.Optional(Type.String({ pattern: '^https?://', description: 'streamable-http / sse: the server URL (e.g. http://127.0.0.1:3001/mcp).' })),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Secret, { description: 'Static headers sent on every request to the server (values may be "env.NAME").' })),
    per_user_headers: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        description:
          'Headers each caller must supply for themselves (PUT /api/mcp/credentials/<upstream>); calls use a connection per caller. HTTP transports only.',
      }),
    ),
    oauth: Type.Optional(
      Type.Object(
        {
          client_id: Type.String({ minLength: 1 }),
          client_secret: Secret,
          scope: Type.Optional(Type.String({ minLength: 1 })),
        },
        {
          additionalProperties: false,
          description: 'OAuth client-credentials grant against the server\'s authorization server (discovered from the server). HTTP transports only.',
        },
      ),
    ),
    per_user_oauth: Type.Optional(
      Type.Object(
        {
          client_id: Type.Optional(Type.String({ minLength: 1, description: 'A client registered in advance with the authorization server. Default: dynamic client registration (RFC 7591).' })),
          client_secret: Type.Optional(Secret),
          scope: Type.Optional(Type.String({ minLength: 1, description: 'Scope to ask for. Default: what the server advertises.' })),
        },
        {
          additionalProperties: false,
          description:
            "Each caller authorises Heimdall once with their own account (OAuth authorization code + PKCE, discovered from the server's 401); calls then carry that caller's token, refreshed when it expires. HTTP transports only. {} uses discovery and dynamic client registration.",
        },
      ),
    ),
    tools: Type.Optional(McpToolSelectionSchema),
    namespace: Type.Optional(
      Type.Boolean({
        description: 'Prefix tool and prompt names with "<upstream>__" (default true). false exposes the upstream\'s own names; on a clash the first upstream (by name) wins.',
      }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'false keeps the entry but does not connect. Default true.' })),
    call_timeout_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Longest a forwarded request (tool call, read, …) may take, ms. Default 120000.' })),
  },
  { additionalProperties: false },
);

export const McpConfigSchema = Type.Object(
  {
    servers: Type.Optional(
      Type.Record(Type.String({ pattern: MCP_UPSTREAM_NAME_PATTERN }), McpServerConfigSchema, {
        additionalProperties: false,
        description: 'Upstream MCP servers by name (1–32 letters, digits, "-" or single "_"; the name prefixes their tools).',
      }),
    ),
    access: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), McpToolAllowlistSchema, {
        description:
          'Virtual key (its plaintext, or "env.NAME") → the tools it may see and call, per upstream. Stands in until virtual keys are managed by the governance store.',
      }),
    ),
    anonymous_access: Type.Optional(
      Type.Union([Type.Literal('*'), McpToolAllowlistSchema], {
        description: 'Tools of callers without a (known) key when enforce_auth_on_inference is off. Default "*": every tool.',
      }),
    ),
    enforce_auth_on_inference: Type.Optional(
      Type.Boolean({ description: 'Refuse /mcp requests (and MCP tool injection) without a valid virtual key. Default false.' }),
    ),
    inject_tools: Type.Optional(
      Type.Boolean({
        description:
          'Add the caller\'s allowed MCP tools to inference requests (never for Claude Code, which has its own MCP client). Default false.',
      }),
    ),
    agent_max_steps: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 50, description: 'Agent mode (x-heimdall-mcp-agent: 1): most tool rounds run for one request. Default 5.' }),
    ),
    max_tool_name_length: Type.Optional(
      Type.Integer({ minimum: 16, maximum: 128, description: 'Longest aggregated tool name; longer ones are shortened with a hash. Default 64.' }),
    ),
    public_url: Type.Optional(
      Type.String({
        pattern: '^https?://',
        description:
          "The gateway's URL as users' browsers reach it (e.g. https://heimdall.example.com), for the OAuth redirect URL <public_url>/api/mcp/oauth/callback of per_user_oauth upstreams. Default: http://<Host header of the request>.",
      }),
    ),
    allowed_hosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Host names accepted in Host/Origin of /mcp requests (DNS-rebinding protection). Default: localhost, 127.0.0.1 and [::1] when bound to loopback; unchecked otherwise.',
      }),
    ),
    health_check: Type.Optional(
      Type.Object(
        {
          interval_ms: Type.Optional(Type.Integer({ minimum: 10, description: 'Ping interval per upstream, ms. Default 5000.' })),
          timeout_ms: Type.Optional(Type.Integer({ minimum: 10, description: 'Ping timeout, ms. Default 5000.' })),
          failure_threshold: Type.Optional(Type.Integer({ minimum: 1, description: 'Consecutive failed pings before an upstream is marked disconnected. Default 5.' })),
          reconnect_initial_ms: Type.Optional(Type.Integer({ minimum: 10, description: 'First reconnect delay, ms; doubles per attempt. Default 1000.' })),
          reconnect_max_ms: Type.Optional(Type.Integer({ minimum: 10, description: 'Longest reconnect delay, ms. Default 60000.' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'The MCP gateway: upstream MCP servers aggregated behind /mcp, with per-key tool governance.' },
);

/** The `admin` section lives in `src/admin/admin-config-schema.ts`; re-exported for the MCP gateway's imports. */
export { AdminConfigSchema, type AdminConfig } from '../admin/admin-config-schema.js';

export type McpConfig = Static<typeof McpConfigSchema>;
export type McpServerConfig = Static<typeof McpServerConfigSchema>;
export type McpToolSelectionConfig = Static<typeof McpToolSelectionSchema>;
