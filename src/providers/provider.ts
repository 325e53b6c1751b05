import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { DroppedFieldLog } from '../core/dropped-fields.js';
import type { GatewayRequest } from '../core/gateway-request.js';
import type { GatewayResponse } from '../core/gateway-response.js';
import type { StreamEventSink } from '../core/stream-events.js';

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
  /** Anthropic `count_tokens` for the same body. Resolves for any HTTP status. */
  countTokens(body: Buffer, call: UpstreamCall): Promise<RawUpstreamResponse>;
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

/** What a provider kind can do for a configured instance. */
export interface ProviderClient {
  messages?: AnthropicMessagesClient;
  chat?: ChatClient;
}

/** A kind of provider (OpenAI, Groq, Anthropic, …): one entry of the provider registry. */
export interface ProviderDefinition {
  kind: string;
  displayName: string;
  /** API base URL used when the config gives none; absent when the user must give one. */
  defaultBaseUrl?: string;
  /** Environment variable holding the key, for the zero-config start (e.g. `OPENAI_API_KEY`). */
  apiKeyEnvironmentVariable?: string;
  /** Whether requests need a key (false for local servers such as Ollama). */
  requiresKey: boolean;
  /** A short note for the README's feature table. */
  notes?: string;
  createClient(instance: ProviderInstance): ProviderClient;
}
