import { ProviderCallError } from '../../core/errors.js';
import { readBodyText, sendUpstreamRequest } from '../../upstream/upstream-http.js';
import type { EntraClientCredentials, ProviderTimeouts } from '../provider.js';

/** Default Microsoft Entra ID authority. */
export const DEFAULT_ENTRA_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** A token is refreshed this long before it expires, ms. */
const REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** The OAuth 2.0 token endpoint of a tenant: `{authority}/{tenant}/oauth2/v2.0/token`. */
export function entraTokenUrl(credentials: EntraClientCredentials): URL {
  let authority = credentials.authorityHost ?? DEFAULT_ENTRA_AUTHORITY_HOST;
  while (authority.endsWith('/')) authority = authority.slice(0, -1);
  return new URL(`${authority}/${encodeURIComponent(credentials.tenantId)}/oauth2/v2.0/token`);
}

/** The form body of a client-credentials token request for `scope`. */
export function entraTokenRequestBody(credentials: EntraClientCredentials, scope: string): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: credentials.clientId,
    client_secret: credentials.clientSecret,
    scope,
  }).toString();
}

interface CachedToken {
  token: string;
  /** Epoch ms after which the token is fetched again. */
  refreshAt: number;
}

/**
 * Microsoft Entra ID access tokens by the OAuth 2.0 client-credentials grant, fetched through the
 * shared undici pools and cached until five minutes before they expire; concurrent callers share
 * one fetch. Used as `Authorization: Bearer <token>` for Azure OpenAI (scope
 * `https://cognitiveservices.azure.com/.default`) and Azure AI Foundry (`https://ai.azure.com/.default`).
 *
 * @see https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 */
export class EntraTokenProvider {
  private cached: CachedToken | undefined;
  private pending: Promise<CachedToken> | undefined;

  /**
   * @param defaultScope used when the credentials name no scope
   * @param now clock, epoch ms (injectable for tests)
   */
  constructor(
    private readonly provider: string,
    private readonly credentials: EntraClientCredentials,
    private readonly defaultScope: string,
    private readonly timeouts: ProviderTimeouts,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A valid access token.
   * @throws ProviderCallError (`authentication_error`) when the token endpoint refuses or answers nonsense
   */
  async token(): Promise<string> {
    if (this.cached !== undefined && this.now() < this.cached.refreshAt) return this.cached.token;
    // Shared by concurrent callers, so not tied to one caller's abort signal (the pool's timeouts apply).
    this.pending ??= this.fetch(new AbortController().signal).finally(() => {
      this.pending = undefined;
    });
    this.cached = await this.pending;
    return this.cached.token;
  }

  private async fetch(signal: AbortSignal): Promise<CachedToken> {
    const requestedAt = this.now();
    const response = await sendUpstreamRequest({
      provider: this.provider,
      url: entraTokenUrl(this.credentials),
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: entraTokenRequestBody(this.credentials, this.credentials.scope ?? this.defaultScope),
      signal,
      timeouts: this.timeouts,
    });
    const text = await readBodyText(response.body).catch(() => '');
    let payload: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      payload = JSON.parse(text) as typeof payload;
    } catch {
      // reported below
    }
    if (response.statusCode !== 200 || typeof payload.access_token !== 'string') {
      const reason = typeof payload.error_description === 'string' ? payload.error_description : typeof payload.error === 'string' ? payload.error : text.slice(0, 300);
      throw new ProviderCallError({
        provider: this.provider,
        kind: 'authentication_error',
        message: `${this.provider}: Entra ID token request failed (${response.statusCode}): ${reason}`,
        upstreamStatus: response.statusCode,
        retryable: response.statusCode >= 500,
      });
    }
    const expiresInSeconds = typeof payload.expires_in === 'number' ? payload.expires_in : Number(payload.expires_in ?? 3600);
    return { token: payload.access_token, refreshAt: requestedAt + Math.max(0, expiresInSeconds * 1000 - REFRESH_MARGIN_MS) };
  }
}
