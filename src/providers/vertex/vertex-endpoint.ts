import { ProviderCallError } from '../../core/errors.js';
import type { GeminiContentMethod, ProviderInstance, UpstreamCall } from '../provider.js';
import type { GeminiEndpoint } from '../gemini/gemini-chat-client.js';
import { GoogleAccessTokenSource } from './google-access-token.js';

/** Vertex AI's global endpoint; also the `defaultBaseUrl` that stands for "derive from the region". */
export const VERTEX_GLOBAL_BASE_URL = 'https://aiplatform.googleapis.com';

/** Location used when the config names none. */
export const DEFAULT_VERTEX_LOCATION = 'global';

/**
 * The API origin for a location: `https://{location}-aiplatform.googleapis.com`, or
 * `https://aiplatform.googleapis.com` for `global`. A configured `base_url` (tests, private
 * endpoints) is used as it is.
 * @see https://cloud.google.com/vertex-ai/docs/reference/rest#service-endpoint
 */
export function vertexBaseUrl(instance: Pick<ProviderInstance, 'baseUrl' | 'region'>): string {
  const location = instance.region ?? DEFAULT_VERTEX_LOCATION;
  const configured = instance.baseUrl.replace(/\/+$/, '');
  if (configured !== VERTEX_GLOBAL_BASE_URL) return configured;
  return location === 'global' ? VERTEX_GLOBAL_BASE_URL : `https://${location}-aiplatform.googleapis.com`;
}

/** A model name as a URL path segment: percent-encoded, but `@` (Claude's version separator) kept as Google writes it. */
export function encodeModelSegment(model: string): string {
  return encodeURIComponent(model).replaceAll('%40', '@');
}

/** A method of a publisher model on Vertex: Google's generateContent family or Anthropic's rawPredict. */
export type VertexMethod = GeminiContentMethod | 'rawPredict' | 'streamRawPredict';

/**
 * Everything a Vertex AI call needs: the project and location, the URL of a publisher model's
 * method, and the credential headers (an OAuth bearer token from {@link GoogleAccessTokenSource},
 * or, with a configured key, Vertex express mode's `x-goog-api-key`).
 */
export class VertexEndpoint {
  readonly location: string;
  private readonly tokens: GoogleAccessTokenSource;
  private project: Promise<string> | undefined;

  constructor(private readonly instance: ProviderInstance) {
    this.location = instance.region ?? DEFAULT_VERTEX_LOCATION;
    this.tokens = new GoogleAccessTokenSource(instance.name, instance.googleCloud ?? {});
  }

  /**
   * `{base}/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}:{method}`;
   * in express mode (a key and no project) `{base}/v1/publishers/{publisher}/models/{model}:{method}`.
   * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/projects.locations.publishers.models
   */
  async methodUrl(publisher: string, model: string, method: VertexMethod, call: UpstreamCall): Promise<URL> {
    const base = vertexBaseUrl(this.instance);
    const modelPath = `publishers/${publisher}/models/${encodeModelSegment(model)}:${method}`;
    if (this.isExpressMode(call)) return new URL(`${base}/v1/${modelPath}`);
    const project = await this.resolveProject();
    return new URL(`${base}/v1/projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(this.location)}/${modelPath}`);
  }

  /** `authorization: Bearer <token>`, or `x-goog-api-key` in express mode. */
  async authHeaders(call: UpstreamCall): Promise<Record<string, string>> {
    if (call.key !== undefined && call.key.value !== '') return { 'x-goog-api-key': call.key.value };
    return { authorization: `Bearer ${await this.tokens.accessToken()}` };
  }

  /** The Gemini endpoint (`publishers/google`) over this Vertex project. */
  geminiEndpoint(): GeminiEndpoint {
    return {
      dialect: 'vertex',
      methodUrl: (model, method, call) => this.methodUrl('google', model, method, call),
      authHeaders: (call) => this.authHeaders(call),
    };
  }

  private isExpressMode(call: UpstreamCall): boolean {
    return call.key !== undefined && call.key.value !== '' && this.instance.googleCloud?.project === undefined;
  }

  private resolveProject(): Promise<string> {
    this.project ??= (async () => {
      const project = this.instance.googleCloud?.project ?? (await this.tokens.credentialProject());
      if (project === undefined || project === '') {
        this.project = undefined;
        throw new ProviderCallError({
          provider: this.instance.name,
          kind: 'api_error',
          status: 500,
          message: `${this.instance.name}: no Google Cloud project configured (providers.${this.instance.name}.google_cloud.project) and the credentials name none`,
          retryable: false,
        });
      }
      return project;
    })();
    return this.project;
  }
}
