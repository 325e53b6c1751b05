import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { HEIMDALL_MCP_IMPLEMENTATION } from './mcp-upstream-client.js';
import { PENDING_AUTHORIZATION_TTL_MS, type McpOAuthStore } from './mcp-oauth-store.js';
import type { McpUpstreamPerUserOAuthSettings } from './mcp-settings.js';

/**
 * The SDK's `OAuthClientProvider` for one caller (`identityKey`) and one upstream MCP server with
 * `per_user_oauth`: the SDK (`auth()` in `@modelcontextprotocol/sdk/client/auth.js`, and the
 * Streamable HTTP / SSE transports on a 401) runs discovery (protected-resource metadata →
 * authorization-server metadata), dynamic client registration, PKCE, the code exchange and
 * refreshes; this class only keeps what it is handed in {@link McpOAuthStore}.
 *
 * When the SDK starts an authorization, `state()` makes a fresh `state` (`<upstream>.<random>`),
 * and `redirectToAuthorization` stores the authorization in progress under it (code verifier,
 * caller, redirect URL) and keeps the URL in {@link authorizationUrl} for Heimdall to hand to the
 * user — nothing is redirected here. The callback (`/api/mcp/oauth/callback`) finds it by `state`.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 * @see https://www.rfc-editor.org/rfc/rfc7636 (PKCE)
 */
export class McpOAuthClientProvider implements OAuthClientProvider {
  /** The authorization URL the SDK produced, once it started an authorization. */
  authorizationUrl: URL | undefined;
  private pendingState: string | undefined;
  /** The access token last handed to the SDK (so that a stale provider does not delete newer tokens). */
  private lastAccessToken: string | undefined;
  private verifier: string | undefined;

  constructor(
    private readonly options: {
      upstreamId: string;
      identityKey: string;
      settings: McpUpstreamPerUserOAuthSettings;
      store: McpOAuthStore;
      /** `<gateway>/api/mcp/oauth/callback`, as the user's browser reaches it. */
      redirectUrl: string;
      /** The code verifier of an authorization being completed (the callback). */
      codeVerifier?: string;
      /** Start a new authorization even though the caller holds tokens (they stay until it completes). */
      ignoreStoredTokens?: boolean;
      clock: () => number;
    },
  ) {
    this.verifier = options.codeVerifier;
  }

  get redirectUrl(): string {
    return this.options.redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    const { settings } = this.options;
    return {
      client_name: `Heimdall (${HEIMDALL_MCP_IMPLEMENTATION.name})`,
      redirect_uris: [this.options.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: settings.clientSecret === undefined ? 'none' : 'client_secret_post',
      ...(settings.scope === undefined ? {} : { scope: settings.scope }),
    };
  }

  state(): string {
    this.pendingState = `${this.options.upstreamId}.${randomBytes(24).toString('base64url')}`;
    return this.pendingState;
  }

  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    const { settings, store, upstreamId } = this.options;
    if (settings.clientId !== undefined) {
      return { client_id: settings.clientId, ...(settings.clientSecret === undefined ? {} : { client_secret: settings.clientSecret }) };
    }
    const registered = await store.client(upstreamId);
    // A registration made for another redirect URL (the gateway's address changed) is not reused.
    if (registered === undefined || !('redirect_uris' in registered) || !registered.redirect_uris.map(String).includes(this.options.redirectUrl)) return undefined;
    return registered;
  }

  async saveClientInformation(information: OAuthClientInformationMixed): Promise<void> {
    if (this.options.settings.clientId !== undefined) return;
    await this.options.store.saveClient(this.options.upstreamId, information);
  }

  async tokens(): Promise<OAuthTokens | undefined> {
    if (this.options.ignoreStoredTokens === true) return undefined;
    const tokens = (await this.options.store.grant(this.options.upstreamId, this.options.identityKey))?.tokens;
    this.lastAccessToken = tokens?.access_token;
    return tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.options.store.saveGrant(this.options.upstreamId, this.options.identityKey, { tokens, redirectUrl: this.options.redirectUrl, obtainedAt: this.options.clock() });
    this.lastAccessToken = tokens.access_token;
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.verifier = codeVerifier;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new Error(`no OAuth authorization of MCP server '${this.options.upstreamId}' is in progress for this caller`);
    return this.verifier;
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrl = authorizationUrl;
    if (this.pendingState === undefined || this.verifier === undefined) return;
    const now = this.options.clock();
    await this.options.store.savePending(
      this.pendingState,
      {
        upstreamId: this.options.upstreamId,
        identityKey: this.options.identityKey,
        codeVerifier: this.verifier,
        redirectUrl: this.options.redirectUrl,
        expiresAt: now + PENDING_AUTHORIZATION_TTL_MS,
      },
      now,
    );
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    const { store, upstreamId, identityKey } = this.options;
    if (scope === 'all' || scope === 'tokens') {
      // Only the tokens this provider used: another connection of the same caller may have
      // refreshed them meanwhile (refresh tokens are often single-use), and those stay.
      const stored = await store.grant(upstreamId, identityKey);
      if (stored !== undefined && stored.tokens.access_token === this.lastAccessToken) await store.deleteGrant(upstreamId, identityKey);
    }
    if (scope === 'all' || scope === 'client') await store.deleteClient(upstreamId);
    if (scope === 'all' || scope === 'verifier') this.verifier = undefined;
  }
}
