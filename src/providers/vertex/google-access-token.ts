import { readFile } from 'node:fs/promises';
import { GoogleAuth, gaxios, type JWTInput } from 'google-auth-library';
import { ProviderCallError } from '../../core/errors.js';
import type { GoogleCloudSettings } from '../provider.js';

/** OAuth scope for Vertex AI. @see https://cloud.google.com/vertex-ai/docs/general/access-control */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Google's OAuth 2.0 token endpoint, which google-auth-library uses for service accounts. */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * OAuth access tokens for Google Cloud, from `google-auth-library`: a service-account (or other
 * credential) JSON given as a file or inline, or application-default credentials
 * (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's ADC file, the metadata server) when neither is given.
 *
 * Tokens are cached by the library's client and refreshed shortly before they expire, so
 * {@link accessToken} costs nothing on the hot path after the first call; concurrent first calls
 * share one token request. The library makes its own HTTP requests for tokens (off the hot path).
 *
 * A credential JSON whose `token_uri` is not Google's endpoint (tests; private token services)
 * gets its token requests sent there: the library otherwise always uses {@link GOOGLE_TOKEN_URL}.
 *
 * @see https://cloud.google.com/docs/authentication/application-default-credentials
 */
export class GoogleAccessTokenSource {
  private auth: Promise<GoogleAuth> | undefined;

  /** @param provider instance name, for error messages */
  constructor(
    private readonly provider: string,
    private readonly settings: GoogleCloudSettings,
  ) {}

  /**
   * A valid access token (cached until shortly before expiry).
   * @throws ProviderCallError (`api_error`, 502) when no token can be obtained
   */
  async accessToken(): Promise<string> {
    try {
      const client = await (await this.googleAuth()).getClient();
      const { token } = await client.getAccessToken();
      if (typeof token !== 'string' || token === '') throw new Error('the credential produced no access token');
      return token;
    } catch (error) {
      throw this.credentialError('could not get a Google Cloud access token', error);
    }
  }

  /** The project of the credential (service account `project_id`, ADC project), if it names one. */
  async credentialProject(): Promise<string | undefined> {
    try {
      return await (await this.googleAuth()).getProjectId();
    } catch {
      return undefined;
    }
  }

  private googleAuth(): Promise<GoogleAuth> {
    this.auth ??= this.createGoogleAuth().catch((error: unknown) => {
      this.auth = undefined;
      throw error;
    });
    return this.auth;
  }

  private async createGoogleAuth(): Promise<GoogleAuth> {
    let json: string | undefined = this.settings.credentialsJson;
    if (json === undefined && this.settings.credentialsFile !== undefined) {
      try {
        json = await readFile(this.settings.credentialsFile, 'utf8');
      } catch (error) {
        throw this.credentialError(`cannot read credentials file ${this.settings.credentialsFile}`, error);
      }
    }
    if (json === undefined) return new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], projectId: this.settings.project });
    let credentials: JWTInput & { token_uri?: unknown };
    try {
      credentials = JSON.parse(json) as JWTInput & { token_uri?: unknown };
    } catch (error) {
      throw this.credentialError('the Google Cloud credentials are not valid JSON', error);
    }
    const tokenUri = typeof credentials.token_uri === 'string' ? credentials.token_uri : undefined;
    return new GoogleAuth({
      credentials,
      scopes: [CLOUD_PLATFORM_SCOPE],
      projectId: this.settings.project ?? credentials.project_id,
      ...(tokenUri === undefined || tokenUri === GOOGLE_TOKEN_URL ? {} : { clientOptions: { transporter: transporterUsingTokenUri(tokenUri) } }),
    });
  }

  private credentialError(message: string, cause: unknown): ProviderCallError {
    if (cause instanceof ProviderCallError) return cause;
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new ProviderCallError({
      provider: this.provider,
      kind: 'api_error',
      status: 502,
      message: `${this.provider}: ${message}: ${detail}`,
      retryable: false,
      cause,
    });
  }
}

/** A gaxios transporter that sends requests for Google's token endpoint to `tokenUri` instead. */
function transporterUsingTokenUri(tokenUri: string): InstanceType<typeof gaxios.Gaxios> {
  const transporter = new gaxios.Gaxios();
  const target = new URL(tokenUri);
  transporter.interceptors.request.add({
    resolved: async (options) => {
      if (options.url.href === GOOGLE_TOKEN_URL) options.url = target;
      return options;
    },
  });
  return transporter;
}
