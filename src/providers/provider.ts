import type { IncomingHttpHeaders } from 'node:http';
import type { UpstreamCaptureSink } from '../observability/upstream-capture.js';
import type { Readable } from 'node:stream';
import type { DroppedFieldLog } from '../core/dropped-fields.js';
import type { GatewayRequest } from '../core/gateway-request.js';
import type { GatewayResponse } from '../core/gateway-response.js';
import type { StreamEventSink } from '../core/stream-events.js';
import type { UpstreamStreamResponse } from '../upstream/upstream-stream.js';

/** Per-provider upstream timeouts, in ms. */
export interface ProviderTimeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
}

/** One API key of a provider instance. `models` holds names or glob patterns (`*`). */
export interface ProviderKey {
  /** Stable label for logs (the configured name or `key-N`); never the secret. */
  id: string;
  value: string;
  weight: number;
  models: string[];
  /** Model name → upstream deployment id for this key; wins over the instance's `deployments`. */
  deployments?: Readonly<Record<string, string>>;
  /** AWS access key id: with it, `value` is the secret access key (SigV4); without it, a bearer key. */
  accessKeyId?: string;
  /** AWS session token of temporary credentials. */
  sessionToken?: string;
}

/** Microsoft Entra ID client credentials (OAuth 2.0 client-credentials grant). */
export interface EntraClientCredentials {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** OAuth scope; absent means the provider's own `.default` scope. */
  scope?: string;
  /** Token authority, default `https://login.microsoftonline.com`. */
  authorityHost?: string;
}

/** A configured provider: an entry of the config's `providers` map (or one made from env vars). */
export interface ProviderInstance {
  /** The entry name, used as the `provider/` prefix of model names. */
  name: string;
  definition: ProviderDefinition;
  baseUrl: string;
  keys: ProviderKey[];
  headers: Record<string, string>;
  /** Models this provider offers (for listing); empty when not configured. */
  models: string[];
  maxOutputTokens?: number;
  timeouts: ProviderTimeouts;
  /** Model name → upstream deployment id (Bedrock inference profile / ARN, Azure deployment). */
  deployments?: Readonly<Record<string, string>>;
  /** Cloud region (Bedrock). */
  region?: string;
  /** AWS credential chain settings (Bedrock without keys). */
  aws?: { credentialChain: boolean; profile?: string };
  /** Azure OpenAI `api-version`; absent means the v1 API. */
  apiVersion?: string;
  /** Entra ID client credentials (Azure), used instead of keys. */
  entra?: EntraClientCredentials;
  /** Google Cloud project and credentials (Vertex AI); the location is `region`. */
  googleCloud?: GoogleCloudSettings;
}

/**
 * Google Cloud settings of a Vertex AI instance. Without `credentialsFile` / `credentialsJson`,
 * application-default credentials are used (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud, metadata server).
 */
export interface GoogleCloudSettings {
  project?: string;
  /** Path of a service-account (or other credential) JSON file. */
  credentialsFile?: string;
  /** The credential JSON itself. */
  credentialsJson?: string;
}

/** Everything one upstream call needs besides the request itself. */
export interface UpstreamCall {
  instance: ProviderInstance;
  /** The key chosen for this call; absent for providers without keys (Ollama, vLLM, …). */
  key?: ProviderKey;
  /** Model name as the upstream knows it. */
  model: string;
  /** Aborted when the client disconnects. */
  signal: AbortSignal;
  /** The caller's request headers (for `anthropic-beta`, `anthropic-version`, credential forwarding). */
  inboundHeaders: IncomingHttpHeaders;
  /** Collects fields the provider could not take. */
  dropped: DroppedFieldLog;
  /** The request log's capture of this attempt's upstream exchanges (content logging on); clients pass it to `sendUpstreamRequest`. */
  capture?: UpstreamCaptureSink;
}

/** An upstream HTTP response handed back unparsed, for relaying byte for byte. */
export interface RawUpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/**
 * A provider that speaks Anthropic Messages natively. Anthropic-format callers are passed through
 * to it untouched (same-format traffic bypasses the IR).
 */
export interface AnthropicMessagesClient {
  /**
   * Sends an Anthropic Messages body (already carrying the upstream model name) and returns the
   * upstream response unparsed. Resolves for any HTTP status; rejects with `ProviderCallError` only
   * for network failures and timeouts.
   */
  sendMessages(body: Buffer, call: UpstreamCall, stream: boolean): Promise<RawUpstreamResponse>;
  /**
   * Optional: {@link sendMessages} with the response body pushed as undici parses it (no
   * `Readable`: `upstream/upstream-stream.ts`), for sinks that can relay such a body
   * (`AnthropicResponseSink.relayPushed`). Resolves for any HTTP status; rejects like `sendMessages`.
   */
  openMessages?(body: Buffer, call: UpstreamCall, stream: boolean): Promise<UpstreamStreamResponse>;
  /** Anthropic `count_tokens` for the same body. Resolves for any HTTP status. */
  countTokens(body: Buffer, call: UpstreamCall): Promise<RawUpstreamResponse>;
  /**
   * Whether this call's model is served in Anthropic format. When false, Anthropic-format requests
   * take the IR path through the provider's `chat` client (Bedrock: Claude models go through
   * InvokeModel, every other model through Converse). Absent means every model.
   */
  acceptsModel?(call: UpstreamCall): boolean;
}

/** An upstream stream in progress. */
export interface ProviderStream {
  /**
   * Reads the upstream to its end, handing each IR event to `sink`. Rejects with
   * `ProviderCallError` when the upstream fails mid-stream.
   */
  pipeTo(sink: StreamEventSink): Promise<void>;
}

/** A provider reached through translation from the IR. */
export interface ChatClient {
  /** A complete response. Rejects with `ProviderCallError` on any upstream failure. */
  complete(request: GatewayRequest, call: UpstreamCall): Promise<GatewayResponse>;
  /**
   * Starts a streamed response. Resolves once the upstream answered with a success status, before
   * any event reaches the caller (the last point where a fallback is possible); rejects with
   * `ProviderCallError` otherwise.
   */
  stream(request: GatewayRequest, call: UpstreamCall): Promise<ProviderStream>;
}

/** A method of Google's `generateContent` family. */
export type GeminiContentMethod = 'generateContent' | 'streamGenerateContent' | 'countTokens';

/**
 * A provider that speaks Google's `generateContent` natively (Gemini API, Vertex AI). Gemini-format
 * callers (`/genai`) are passed through to it untouched (same-format traffic bypasses the IR).
 */
export interface GeminiContentClient {
  /**
   * Sends a Gemini request body unchanged to `method` of `call.model`, with the `alt` query
   * parameter as given (`sse` for an SSE stream), and returns the upstream response unparsed.
   * Resolves for any HTTP status; rejects with `ProviderCallError` only for network failures.
   */
  sendGenerateContent(method: GeminiContentMethod, body: Buffer, call: UpstreamCall, alt?: string): Promise<RawUpstreamResponse>;
}

/** What a provider kind can do for a configured instance. */
export interface ProviderClient {
  messages?: AnthropicMessagesClient;
  chat?: ChatClient;
  /** Gemini-format passthrough (Gemini API, Vertex AI Gemini models). */
  gemini?: GeminiContentClient;
}

/** A kind of provider (OpenAI, Groq, Anthropic, …): one entry of the provider registry. */
export interface ProviderDefinition {
  kind: string;
  displayName: string;
  /** API base URL used when the config gives none; absent when the user must give one. */
  defaultBaseUrl?: string;
  /** Environment variable holding the key, for the zero-config start (e.g. `OPENAI_API_KEY`). */
  apiKeyEnvironmentVariable?: string;
  /** Further variables read, in order, when `apiKeyEnvironmentVariable` is unset (e.g. `GOOGLE_API_KEY` for Gemini). */
  alternativeApiKeyEnvironmentVariables?: string[];
  /** Whether requests need a key (false for local servers such as Ollama). */
  requiresKey: boolean;
  /** A short note for the README's feature table. */
  notes?: string;
  createClient(instance: ProviderInstance): ProviderClient;
}
