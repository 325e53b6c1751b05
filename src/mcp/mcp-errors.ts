/**
 * Typed errors of the MCP gateway. HTTP-level refusals (authentication, admin API) are
 * `GatewayError`s from `src/core/errors.ts`; these cover the upstream side.
 * @see https://modelcontextprotocol.io/specification/2025-11-25/server/tools#error-handling
 */

/** An upstream MCP server that cannot serve a request: not connected, disabled, or its transport failed. */
export class McpUpstreamUnavailableError extends Error {
  readonly upstreamId: string;

  constructor(upstreamId: string, reason: string, options?: { cause?: unknown }) {
    super(`MCP server '${upstreamId}' is unavailable: ${reason}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'McpUpstreamUnavailableError';
    this.upstreamId = upstreamId;
  }
}

/** A call to an upstream that needs the caller's own credential, which Heimdall does not hold yet. */
export class McpCredentialRequiredError extends Error {
  readonly upstreamId: string;
  readonly headerNames: readonly string[];

  constructor(upstreamId: string, headerNames: readonly string[], instructions: string) {
    super(instructions);
    this.name = 'McpCredentialRequiredError';
    this.upstreamId = upstreamId;
    this.headerNames = headerNames;
  }
}

/** A call to a `per_user_oauth` upstream the caller has not authorised (or whose authorization ended); the message holds the URL to open. */
export class McpAuthorizationRequiredError extends Error {
  readonly upstreamId: string;
  readonly authorizationUrl: string;

  constructor(upstreamId: string, authorizationUrl: string, instructions: string) {
    super(instructions);
    this.name = 'McpAuthorizationRequiredError';
    this.upstreamId = upstreamId;
    this.authorizationUrl = authorizationUrl;
  }
}
