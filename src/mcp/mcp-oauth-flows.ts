import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { McpOAuthClientProvider } from './mcp-oauth-client-provider.js';
import type { McpOAuthStore } from './mcp-oauth-store.js';
import type { McpUpstream } from './mcp-upstream.js';

/**
 * Per-user OAuth towards upstream MCP servers with `per_user_oauth` (authorization code + PKCE,
 * run by the SDK's `auth()`): starting a caller's authorization (the URL they open), completing
 * it on the gateway's callback (code exchange, tokens stored encrypted per caller and upstream),
 * and the token-carrying `OAuthClientProvider` of a caller's connection (the SDK transport sends
 * the token and refreshes it on a 401).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

/** The OAuth flow with an upstream failed (discovery, registration, code exchange). */
export class McpOAuthFlowError extends Error {
  constructor(
    message: string,
    readonly upstreamId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'McpOAuthFlowError';
  }
}

/** A callback whose `state` is unknown, already used or expired. */
export class McpOAuthStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'McpOAuthStateError';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function serverUrlOf(upstream: McpUpstream): string {
  const transport = upstream.settings.transport;
  if (transport.kind === 'stdio') throw new McpOAuthFlowError(`MCP server '${upstream.id}' runs over stdio and takes no OAuth`, upstream.id);
  return transport.url;
}

export class McpOAuthFlows {
  constructor(
    readonly store: McpOAuthStore,
    private readonly findUpstream: (id: string) => McpUpstream | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  private provider(upstream: McpUpstream, identityKey: string, redirectUrl: string, codeVerifier?: string): McpOAuthClientProvider {
    const settings = upstream.settings.perUserOAuth;
    if (settings === undefined) throw new McpOAuthFlowError(`MCP server '${upstream.id}' does not use per-user OAuth`, upstream.id);
    return new McpOAuthClientProvider({
      upstreamId: upstream.id,
      identityKey,
      settings,
      store: this.store,
      redirectUrl,
      ...(codeVerifier === undefined ? {} : { codeVerifier }),
      clock: this.clock,
      ...(codeVerifier === undefined ? { ignoreStoredTokens: true } : {}),
    });
  }

  /**
   * Starts an authorization of `upstream` for a caller: discovery, dynamic client registration
   * when no client is known, PKCE; the authorization in progress is stored under its `state`.
   * Tokens the caller already holds stay in use until the new authorization completes.
   * @returns the authorization server's URL for the user to open in a browser
   * @throws McpOAuthFlowError when discovery or registration fails
   */
  async beginAuthorization(upstream: McpUpstream, identityKey: string, redirectUrl: string): Promise<URL> {
    const provider = this.provider(upstream, identityKey, redirectUrl);
    const scope = upstream.settings.perUserOAuth?.scope;
    try {
      await auth(provider, { serverUrl: serverUrlOf(upstream), ...(scope === undefined ? {} : { scope }) });
    } catch (error) {
      if (error instanceof McpOAuthFlowError) throw error;
      throw new McpOAuthFlowError(`starting the OAuth authorization with MCP server '${upstream.id}' failed: ${describe(error)}`, upstream.id, { cause: error });
    }
    if (provider.authorizationUrl === undefined) throw new McpOAuthFlowError(`MCP server '${upstream.id}': the authorization server gave no authorization URL`, upstream.id);
    return provider.authorizationUrl;
  }

  /**
   * Completes the authorization started with `state`: exchanges `code` (with the PKCE verifier)
   * for tokens and stores them for the caller who started it.
   * @returns the upstream and the caller
   * @throws McpOAuthStateError when `state` is unknown, used or expired
   * @throws McpOAuthFlowError when the upstream is gone or the exchange fails
   */
  async completeAuthorization(state: string, code: string): Promise<{ upstream: McpUpstream; identityKey: string }> {
    const pending = await this.store.takePending(state, this.clock());
    if (pending === undefined) throw new McpOAuthStateError('this authorization is unknown, was already completed, or expired; start it again');
    const upstream = this.findUpstream(pending.upstreamId);
    if (upstream === undefined || upstream.settings.perUserOAuth === undefined) {
      throw new McpOAuthFlowError(`MCP server '${pending.upstreamId}' no longer uses per-user OAuth`, pending.upstreamId);
    }
    const provider = this.provider(upstream, pending.identityKey, pending.redirectUrl, pending.codeVerifier);
    const scope = upstream.settings.perUserOAuth.scope;
    try {
      await auth(provider, { serverUrl: serverUrlOf(upstream), authorizationCode: code, ...(scope === undefined ? {} : { scope }) });
    } catch (error) {
      throw new McpOAuthFlowError(`exchanging the authorization code with MCP server '${upstream.id}' failed: ${describe(error)}`, upstream.id, { cause: error });
    }
    return { upstream, identityKey: pending.identityKey };
  }

  /** Whether the caller holds tokens for the upstream. */
  async isAuthorized(upstreamId: string, identityKey: string): Promise<boolean> {
    return (await this.store.grant(upstreamId, identityKey)) !== undefined;
  }

  /** The provider a caller's connection uses (their stored tokens, refreshed by the SDK); undefined without tokens. */
  async connectionProvider(upstream: McpUpstream, identityKey: string): Promise<McpOAuthClientProvider | undefined> {
    const grant = await this.store.grant(upstream.id, identityKey);
    if (grant === undefined) return undefined;
    const settings = upstream.settings.perUserOAuth;
    if (settings === undefined) return undefined;
    return new McpOAuthClientProvider({ upstreamId: upstream.id, identityKey, settings, store: this.store, redirectUrl: grant.redirectUrl, clock: this.clock });
  }

  /**
   * The provider of the upstream's shared connection (listing tools, health checks): the tokens of
   * the caller who authorised most recently; undefined while nobody has.
   */
  async sharedConnectionProvider(upstream: McpUpstream): Promise<McpOAuthClientProvider | undefined> {
    const identityKey = await this.store.latestAuthorizedIdentity(upstream.id);
    return identityKey === undefined ? undefined : this.connectionProvider(upstream, identityKey);
  }

  /** Forgets a caller's tokens for the upstream. @returns whether they held any */
  forget(upstreamId: string, identityKey: string): Promise<boolean> {
    return this.store.deleteGrant(upstreamId, identityKey);
  }
}
