import type { DroppedField } from '../../core/dropped-fields.js';
import type { CapturedUpstreamExchange, LoggedUpstreamExchange } from '../upstream-capture.js';

/** Which inbound API surface a request came through. */
export type InboundApi = 'anthropic' | 'bedrock' | 'genai';

/** One upstream attempt of a request, as stored. */
export interface LoggedAttempt {
  provider: string;
  model: string;
  /** The provider key's id (name); never its value. */
  key?: string;
  outcome: 'served' | 'failed' | 'unavailable';
  /** Upstream HTTP status, when it answered one. */
  status?: number;
  error?: string;
  /** Wait before this attempt (backoff / retry-after), ms. */
  delayMs?: number;
}

/**
 * One request through Heimdall, as the request log keeps it. Tokens are counts; cost is USD
 * (stored as integer micro-USD); times are ms.
 */
export interface RequestLogRecord {
  id: string;
  /** When the request arrived, ms since the epoch. */
  createdAt: number;
  virtualKeyId?: string;
  virtualKeyName?: string;
  teamId?: string;
  customerId?: string;
  /** Claude Code request kind: `main`, `subagent`, `background`, `title`, `compaction`, `other`. */
  requestKind: string;
  inboundApi: InboundApi;
  /** The provider instance that answered (or was last tried). */
  provider?: string;
  modelRequested?: string;
  modelServed?: string;
  /** Provider key id (name) used for the answering attempt. */
  providerKey?: string;
  routeName?: string;
  /** Position of the answering target in the plan: 0 = routed target, 1 = first fallback, … */
  fallbackStep: number;
  attempts: LoggedAttempt[];
  /** HTTP status sent to the caller (200 for a stream that later carried an `error` event). */
  status: number;
  errorType?: string;
  errorMessage?: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Cost in USD. */
  costUsd: number;
  /** Arrival to last byte sent, ms. */
  latencyMs: number;
  /** Arrival to the first response byte sent to the caller, ms. */
  timeToFirstTokenMs?: number;
  /** Time spent waiting on upstream attempts, ms (the rest of `latencyMs` is Heimdall's own overhead). */
  upstreamMs?: number;
  streaming: boolean;
  stopReason?: string;
  droppedFields: DroppedField[];
  /** W3C trace id when tracing is on. */
  traceId?: string;
  /** The request body (JSON text); absent when content logging is off. */
  requestBody?: string;
  /** The request body as received (kept instead of `requestBody` on the request path: decoded only when stored). */
  requestBodyBytes?: Buffer;
  /** The response as an Anthropic Message object (assembled from the stream); absent when content logging is off. */
  responseBody?: unknown;
  requestBodyHash?: string;
  responseBodyHash?: string;
  /** What went to and came from the provider on each upstream exchange (as captured on the request path: decoded only when stored). */
  upstreamCaptures?: CapturedUpstreamExchange[];
  /** What went to and came from the provider on each upstream exchange, in order; absent when content logging is off. */
  upstream?: LoggedUpstreamExchange[];
  upstreamBodyHash?: string;
  /** Text for the full-text index (computed from the parsed request, so the body is not parsed again); absent: derived from the bodies. */
  searchText?: string;
}

/** A record as listed and tailed: everything but the bodies. */
export type RequestLogSummary = Omit<RequestLogRecord, 'requestBody' | 'requestBodyBytes' | 'responseBody' | 'searchText' | 'upstreamCaptures' | 'upstream'>;
