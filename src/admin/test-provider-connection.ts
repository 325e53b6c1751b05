import type { Readable } from 'node:stream';
import { DroppedFieldLog } from '../core/dropped-fields.js';
import { GatewayError, ProviderCallError } from '../core/errors.js';
import type { AssistantPart } from '../core/gateway-request.js';
import { parseAnthropicRequest } from '../inbound/anthropic/parse-anthropic-request.js';
import { clientForInstance } from '../providers/client-for-instance.js';
import type { ProviderInstance, ProviderKey, UpstreamCall } from '../providers/provider.js';
import { AdminApiError, invalidField, notFound } from './admin-api-errors.js';

/**
 * The dashboard's "test" button: one tiny request (`max_tokens: 1`, one user message) sent to a
 * provider through one of its keys, with the provider's own client from the registry — the
 * Anthropic Messages passthrough for providers that speak it, else the provider's translating
 * `chat` client — exactly as the request path would send it. Nothing is routed, governed or
 * logged; the caller's headers are not forwarded (they carry the admin credential).
 */

/** The outcome of {@link testProviderConnection}, as `POST /api/providers/{name}/test` answers it. */
export interface ProviderTestResult {
  /** Whether the upstream answered with a success status. */
  ok: boolean;
  /** The upstream's HTTP status; null when it could not be reached (connection refused, timeout). */
  status: number | null;
  /** Time from sending to the complete answer, ms. */
  latency_ms: number;
  provider: string;
  /** The key's name; null for a provider without keys. */
  key: string | null;
  /** The model asked for, as the caller names it (before any deployment mapping). */
  model: string;
  /** Which client served the test: the Anthropic passthrough or the translating chat client. */
  path: 'messages' | 'chat';
  /** The text the model answered (possibly empty: one token may be a space). Present when `ok`. */
  output_text?: string;
  /** What went wrong, from the upstream's error body when it gave one. Present unless `ok`. */
  error?: string;
}

/** What {@link testProviderConnection} takes besides the instance. */
export interface ProviderTestOptions {
  /** The key's name (its id in the instance); default the first key. */
  key?: string;
  /** The model; default the key's or the provider's first concrete model. */
  model?: string;
  /** Longest wait for the whole answer, ms. Default 30 000. */
  timeoutMs?: number;
  /** ms clock for the latency. Default `performance.now`. */
  now?: () => number;
}

const PROMPT = 'Reply with the single word OK.';
const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest error text returned, characters. */
const MAX_ERROR_LENGTH = 500;

/** The first model name without glob characters, if any. */
function firstConcrete(patterns: readonly string[] | undefined): string | undefined {
  return patterns?.find((pattern) => pattern !== '' && !/[*?[\]]/.test(pattern));
}

/** @throws AdminApiError 404 for an unknown key name */
function chooseKey(instance: ProviderInstance, name: string | undefined): ProviderKey | undefined {
  if (name === undefined) return instance.keys[0];
  const key = instance.keys.find((candidate) => candidate.id === name);
  if (key === undefined) throw notFound(`key of provider '${instance.name}'`, name);
  return key;
}

/** @throws AdminApiError 400 when no model is given and none is configured */
function chooseModel(instance: ProviderInstance, key: ProviderKey | undefined, model: string | undefined): string {
  const chosen =
    model ??
    firstConcrete(key?.models) ??
    firstConcrete(Object.keys(key?.deployments ?? {})) ??
    firstConcrete(instance.models) ??
    firstConcrete(Object.keys(instance.deployments ?? {}));
  if (chosen === undefined) throw invalidField('model', `provider '${instance.name}' lists no models: name the model to test`);
  return chosen;
}

async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function shortened(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}…` : text;
}

/** The message of an error body in Anthropic's, OpenAI's or Google's shape, else the text itself. */
function errorMessageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'object' && typeof parsed.error?.message === 'string') return shortened(parsed.error.message);
    if (typeof parsed.error === 'string') return shortened(parsed.error);
    if (typeof parsed.message === 'string') return shortened(parsed.message);
  } catch {
    // not JSON: the text itself
  }
  return shortened(text.trim() === '' ? 'the upstream answered without a body' : text.trim());
}

function textOfAnthropicMessage(text: string): string {
  const parsed = JSON.parse(text) as { content?: Array<{ type?: string; text?: string }> };
  return (parsed.content ?? [])
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text)
    .join('');
}

function textOfParts(parts: readonly AssistantPart[]): string {
  return parts
    .filter((part) => part.type === 'text')
    .map((part) => (part.type === 'text' ? part.text : ''))
    .join('');
}

/**
 * Sends the test request to `instance` and reports how it went. Upstream failures (an error
 * status, a refused connection, a timeout) are results with `ok: false`, not exceptions.
 * @throws AdminApiError 404 for an unknown key, 400 when no model can be chosen or the provider
 *   cannot serve Anthropic-format requests at all
 * @see ../inbound/anthropic/serve-anthropic-messages.ts for the same choice of client
 */
export async function testProviderConnection(instance: ProviderInstance, options: ProviderTestOptions = {}): Promise<ProviderTestResult> {
  const now = options.now ?? (() => performance.now());
  const key = chooseKey(instance, options.key);
  const model = chooseModel(instance, key, options.model);
  const client = clientForInstance(instance);
  const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const call: UpstreamCall = {
    instance,
    ...(key === undefined ? {} : { key }),
    model,
    signal,
    inboundHeaders: { 'anthropic-version': '2023-06-01', 'user-agent': 'heimdall-provider-test' },
    dropped: new DroppedFieldLog(),
  };
  const root = { model, max_tokens: 1, messages: [{ role: 'user', content: PROMPT }] };
  const base = { provider: instance.name, key: key?.id ?? null, model };
  const started = now();
  const elapsed = () => Math.round(now() - started);

  if (client.messages !== undefined && (client.messages.acceptsModel?.(call) ?? true)) {
    try {
      const upstream = await client.messages.sendMessages(Buffer.from(JSON.stringify(root)), call, false);
      const text = await readAll(upstream.body);
      const latency = elapsed();
      if (upstream.statusCode >= 400) return { ok: false, status: upstream.statusCode, latency_ms: latency, ...base, path: 'messages', error: errorMessageOf(text) };
      let output: string;
      try {
        output = textOfAnthropicMessage(text);
      } catch {
        return { ok: false, status: upstream.statusCode, latency_ms: latency, ...base, path: 'messages', error: `the answer is not an Anthropic message: ${shortened(text)}` };
      }
      return { ok: true, status: upstream.statusCode, latency_ms: latency, ...base, path: 'messages', output_text: output };
    } catch (error) {
      return failure(error, elapsed(), base, 'messages');
    }
  }
  if (client.chat === undefined) {
    throw new AdminApiError(400, 'invalid_request_error', `provider '${instance.name}' cannot serve Anthropic Messages requests, so it cannot be tested here`, {
      code: 'not_testable',
    });
  }
  const request = parseAnthropicRequest(root, call.dropped);
  try {
    const response = await client.chat.complete(request, call);
    return { ok: true, status: 200, latency_ms: elapsed(), ...base, path: 'chat', output_text: textOfParts(response.content) };
  } catch (error) {
    return failure(error, elapsed(), base, 'chat');
  }
}

function failure(error: unknown, latency: number, base: Pick<ProviderTestResult, 'provider' | 'key' | 'model'>, path: ProviderTestResult['path']): ProviderTestResult {
  if (error instanceof ProviderCallError) {
    const detail = error.body === undefined ? error.message : errorMessageOf(error.body);
    return { ok: false, status: error.upstreamStatus ?? null, latency_ms: latency, ...base, path, error: detail };
  }
  if (error instanceof GatewayError) return { ok: false, status: null, latency_ms: latency, ...base, path, error: error.message };
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return { ok: false, status: null, latency_ms: latency, ...base, path, error: 'no answer in time' };
  }
  throw error;
}
