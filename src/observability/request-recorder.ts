import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { DroppedField } from '../core/dropped-fields.js';
import { GatewayError, ProviderCallError } from '../core/errors.js';
import type { Usage } from '../core/gateway-response.js';
import type { JsonObject } from '../core/request-validation.js';
import type { CostCalculator } from '../governance/cost-calculator.js';
import type { GovernanceContext } from '../governance/governance-service.js';
import type { AnthropicEventWriter } from '../inbound/anthropic/anthropic-stream-encoder.js';
import type { RawUpstreamResponse } from '../providers/provider.js';
import { classifyClaudeCodeRequest } from '../routing/classify-claude-code-request.js';
import type { AnthropicRouting } from '../routing/route-anthropic-request.js';
import type { Attempt } from '../routing/serve-with-fallbacks.js';
import { AnthropicMessageAssembler, AnthropicRelayObserver, observeEventWriter } from './logs/anthropic-message-assembler.js';
import type { RequestLogQueue } from './logs/request-log-queue.js';
import type { InboundApi, LoggedAttempt, RequestLogRecord } from './logs/request-log-record.js';
import { searchTextOf } from './logs/request-log-store.js';
import type { GatewayMetrics } from './metrics.js';
import { endSpanWithError, GEN_AI, genAiProviderName, runInSpan, type GatewayTracing } from './tracing.js';
import type { CapturedUpstreamExchange, UpstreamCaptureSink } from './upstream-capture.js';

/**
 * The request path's handle on observability, one per request: it collects who, what kind, where
 * to, usage, cost, timing and content while the request is served, and at `finish` turns them
 * into one request-log record (enqueued, never written here), metric samples and span attributes.
 * Nothing in it does I/O; with logging off it keeps only what metrics need (usage), and with
 * tracing off no span exists.
 */
export interface RequestRecorder {
  /** The request arrived: its API surface, headers and body (parsed and raw). */
  start(input: { inboundApi: InboundApi; headers: IncomingHttpHeaders; root: JsonObject; body: Buffer }): void;
  /** The routing decision (its `attempts` list is read at finish). */
  route(routing: AnthropicRouting): void;
  /**
   * Runs one upstream attempt (timed, in its own child span whose context goes upstream as
   * `traceparent`). `work` gets the capture to put on its `UpstreamCall` when content logging
   * keeps the upstream exchanges, else undefined.
   */
  attempt<T>(attempt: Attempt, work: (capture: UpstreamCaptureSink | undefined) => Promise<T>): Promise<T>;
  /** The first byte of the answer went to the caller (set automatically by the observers below). */
  firstByte(): void;
  /** Usage reported outside the observed answer (e.g. an MCP agent loop's sum). Fields present win. */
  usage(usage: Partial<Usage>): void;
  /** Observes a relayed Anthropic-format upstream answer (passthrough: SSE or JSON bytes). */
  relay(upstream: RawUpstreamResponse): void;
  /**
   * The same for a relay that hands over the bytes itself (a body pushed by
   * `upstream/upstream-stream.ts`): call `chunk` for each relayed chunk and `end` at its end.
   * @param headers the upstream response's headers (its `content-type` says SSE or JSON)
   */
  observeRelay(headers: RawUpstreamResponse['headers']): RelayObserver;
  /** The translated stream's event writer, observed (Anthropic events as the caller gets them). */
  observeEvents(writer: AnthropicEventWriter): AnthropicEventWriter;
  /** One Anthropic stream event sent to the caller (for framings that write events themselves). */
  responseEvent(name: string, data: Record<string, unknown>): void;
  /** A complete (non-streamed) answer sent to the caller. */
  responseBody(message: unknown): void;
  /** Request fields dropped in translation. */
  dropped(entries: readonly DroppedField[]): void;
  /** The governance context (virtual key, team, customer, `log_content`) and, once settled, the cost charged (USD). */
  governance(context: GovernanceContext | undefined, costUsd?: number): void;
  /** An error answered to the caller (kept for `finish`). */
  error(error: unknown): void;
  /** The response is over (sent, failed or the caller went away); idempotent. @param status HTTP status sent */
  finish(status: number, error?: unknown): void;
  /** Usage consumed so far (tokens), from the observed answer and `usage` reports: what governance charges. */
  consumedUsage(): Usage;
}

/** Observes relayed answer bytes (see {@link RequestRecorder.observeRelay}). */
export interface RelayObserver {
  chunk(chunk: Buffer): void;
  end(): void;
}

/** What recorders share (one per gateway). */
export interface RecorderServices {
  metrics: GatewayMetrics;
  tracing: GatewayTracing;
  /** Absent: the request log is off (metrics and traces only). */
  queue: RequestLogQueue | undefined;
  /** Global `logging.content`. */
  logContent: boolean;
  costs: CostCalculator;
  /** Provider instance name → provider kind (pricing, `gen_ai.provider.name`). */
  providerKind(provider: string): string | undefined;
  clock: () => number;
}

function errorFields(error: unknown): { type: string; message: string } {
  if (error instanceof GatewayError) return { type: error.kind, message: error.message };
  if (error instanceof ProviderCallError) return { type: 'provider_error', message: error.message };
  if (error instanceof Error) return { type: 'api_error', message: error.message };
  return { type: 'api_error', message: String(error) };
}

/** The recorder (see {@link RequestRecorder}). */
export class GatewayRequestRecorder implements RequestRecorder {
  private readonly startedAt: number;
  private readonly startedAtMs: number;
  private inboundApi: InboundApi = 'anthropic';
  private headers: IncomingHttpHeaders = {};
  private root: JsonObject | undefined;
  private body: Buffer | undefined;
  private routing: AnthropicRouting | undefined;
  /** Attempts seen by `attempt`, for requests served without routing (`/bedrock`, `/genai`). */
  private readonly ownAttempts: LoggedAttempt[] = [];
  private firstByteAt: number | undefined;
  private upstreamMs = 0;
  private attempted = false;
  private assembler: AnthropicMessageAssembler | undefined;
  private extraUsage: Partial<Usage> | undefined;
  private droppedFields: DroppedField[] = [];
  private context: GovernanceContext | undefined;
  private chargedCostUsd: number | undefined;
  private failure: unknown;
  private finished = false;
  private span: Span | undefined;
  /** When the attempt now running started (attempts run one at a time), ms of `performance.now()`. */
  private attemptRunningSince: number | undefined;
  /** What went to and came from providers (content logging on only), by reference. */
  private readonly upstreamExchanges: CapturedUpstreamExchange[] = [];

  constructor(private readonly services: RecorderServices) {
    this.startedAt = performance.now();
    this.startedAtMs = services.clock();
    services.metrics.activeRequests.inc();
  }

  private keepContent(): boolean {
    if (this.services.queue === undefined || !this.services.logContent) return false;
    return this.context === undefined || this.context.virtualKey.logContent;
  }

  private answer(): AnthropicMessageAssembler {
    this.assembler ??= new AnthropicMessageAssembler(this.keepContent());
    return this.assembler;
  }

  start(input: { inboundApi: InboundApi; headers: IncomingHttpHeaders; root: JsonObject; body: Buffer }): void {
    this.inboundApi = input.inboundApi;
    this.headers = input.headers;
    this.root = input.root;
    this.body = input.body;
    const tracing = this.services.tracing;
    if (tracing.enabled) {
      const model = typeof input.root.model === 'string' ? input.root.model : '';
      this.span = tracing.startRequestSpan(`chat ${model}`, input.headers, {
        [GEN_AI.operationName]: 'chat',
        [GEN_AI.requestModel]: model,
        ...(typeof input.root.max_tokens === 'number' ? { [GEN_AI.requestMaxTokens]: input.root.max_tokens } : {}),
        [GEN_AI.requestStream]: input.root.stream === true,
        'heimdall.inbound_api': input.inboundApi,
      });
    }
  }

  route(routing: AnthropicRouting): void {
    this.routing = routing;
    this.span?.setAttribute('heimdall.route', routing.decision.routeName);
  }

  async attempt<T>(attempt: Attempt, work: (capture: UpstreamCaptureSink | undefined) => Promise<T>): Promise<T> {
    this.attempted = true;
    const started = performance.now();
    this.attemptRunningSince = started;
    const logged: LoggedAttempt = { provider: attempt.target.instance.name, model: attempt.target.model, ...(attempt.key === undefined ? {} : { key: attempt.key.id }), outcome: 'failed' };
    this.ownAttempts.push(logged);
    const tracing = this.services.tracing;
    let span: Span | undefined;
    if (this.span !== undefined) {
      const kind = this.services.providerKind(attempt.target.instance.name) ?? attempt.target.instance.name;
      span = tracing.startChildSpan(this.span, `chat ${attempt.target.model}`, SpanKind.CLIENT, {
        [GEN_AI.operationName]: 'chat',
        [GEN_AI.providerName]: genAiProviderName(kind),
        [GEN_AI.system]: genAiProviderName(kind),
        [GEN_AI.requestModel]: attempt.target.model,
        'heimdall.provider': attempt.target.instance.name,
        'heimdall.attempt.number': attempt.number,
        ...(attempt.key === undefined ? {} : { 'heimdall.provider_key': attempt.key.id }),
      });
    }
    try {
      const capture = this.keepContent() ? { provider: logged.provider, model: logged.model, exchanges: this.upstreamExchanges } : undefined;
      const result = await runInSpan(tracing, span, () => work(capture));
      logged.outcome = 'served';
      span?.end();
      return result;
    } catch (error) {
      if (span !== undefined) {
        if (error instanceof ProviderCallError && error.upstreamStatus !== undefined) span.setAttribute('http.response.status_code', error.upstreamStatus);
        endSpanWithError(span, error);
      }
      throw error;
    } finally {
      this.attemptRunningSince = undefined;
      this.upstreamMs += performance.now() - started;
    }
  }

  firstByte(): void {
    this.firstByteAt ??= performance.now();
  }

  usage(usage: Partial<Usage>): void {
    this.extraUsage = { ...this.extraUsage, ...usage };
  }

  relay(upstream: RawUpstreamResponse): void {
    const observer = this.observeRelay(upstream.headers);
    upstream.body.on('data', (chunk: Buffer) => observer.chunk(chunk));
    upstream.body.once('end', () => observer.end());
  }

  observeRelay(headers: RawUpstreamResponse['headers']): RelayObserver {
    const observer = new AnthropicRelayObserver(this.answer(), String(headers['content-type'] ?? '').startsWith('text/event-stream'));
    return {
      chunk: (chunk) => {
        this.firstByte();
        observer.chunk(chunk);
      },
      end: () => observer.end(),
    };
  }

  observeEvents(writer: AnthropicEventWriter): AnthropicEventWriter {
    return observeEventWriter(writer, this.answer(), () => this.firstByte());
  }

  responseEvent(name: string, data: Record<string, unknown>): void {
    this.firstByte();
    const assembler = this.answer();
    if (assembler.wants(name)) assembler.event(name, data);
  }

  responseBody(message: unknown): void {
    this.firstByte();
    this.answer().body(message);
  }

  dropped(entries: readonly DroppedField[]): void {
    this.droppedFields = this.droppedFields.concat(entries);
  }

  governance(context: GovernanceContext | undefined, costUsd?: number): void {
    if (context !== undefined) this.context = context;
    if (costUsd !== undefined) this.chargedCostUsd = costUsd;
  }

  error(error: unknown): void {
    this.failure = error;
  }

  consumedUsage(): Usage {
    const usage: Usage = { ...(this.assembler?.usage ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }) };
    if (this.extraUsage !== undefined) Object.assign(usage, this.extraUsage);
    return usage;
  }

  finish(status: number, error?: unknown): void {
    if (this.finished) return;
    this.finished = true;
    const services = this.services;
    services.metrics.activeRequests.dec();
    const now = performance.now();
    const latencyMs = now - this.startedAt;
    const failure = error ?? this.failure;
    const assembler = this.assembler;
    const usage = this.consumedUsage();

    const attempts: LoggedAttempt[] = this.routing === undefined ? this.ownAttempts : this.routing.attempts.map((attempt) => ({ ...attempt }));
    // The response can close before the attempt that sent it has returned (a relayed answer ends
    // with the last byte written): an answer that succeeded was served by the last attempt tried.
    if (status < 400 && failure === undefined && !attempts.some((attempt) => attempt.outcome === 'served')) {
      const last = attempts.filter((attempt) => attempt.outcome !== 'unavailable').at(-1);
      if (last !== undefined && last.error === undefined) last.outcome = 'served';
    }
    const served = attempts.find((attempt) => attempt.outcome === 'served') ?? attempts.filter((attempt) => attempt.outcome !== 'unavailable').at(-1);
    const targets = this.routing?.targets ?? [];
    const fallbackStep = served === undefined ? 0 : Math.max(0, targets.findIndex((planned) => planned.target.instance.name === served.provider && planned.target.model === served.model));
    const tried = attempts.filter((attempt) => attempt.outcome !== 'unavailable');
    const distinctTargets = new Set(tried.map((attempt) => `${attempt.provider}\u0000${attempt.model}`)).size;
    const retries = Math.max(0, tried.length - distinctTargets);
    const provider = served?.provider ?? this.routing?.decision.target.provider;
    const modelServed = served?.model ?? this.routing?.decision.target.model;
    const modelRequested = typeof this.root?.model === 'string' ? this.root.model : undefined;

    let costUsd = this.chargedCostUsd;
    if (costUsd === undefined && provider !== undefined && modelServed !== undefined && (usage.inputTokens > 0 || usage.outputTokens > 0)) {
      const kind = services.providerKind(provider);
      costUsd = kind === undefined ? 0 : services.costs.cost({ provider, providerKind: kind, model: modelServed }, usage).costUsd;
    }
    const streamError = assembler?.error;
    const errorInfo = failure !== undefined ? errorFields(failure) : streamError;
    const requestKind = this.root === undefined ? 'other' : classifyClaudeCodeRequest(this.root, this.headers);
    const streaming = this.root?.stream === true;
    const timeToFirstTokenMs = this.firstByteAt === undefined ? undefined : this.firstByteAt - this.startedAt;
    // An attempt still running when the response closed counts up to now.
    const upstreamMs = this.attempted ? this.upstreamMs + (this.attemptRunningSince === undefined ? 0 : now - this.attemptRunningSince) : undefined;

    services.metrics.observeRequest({
      provider: provider ?? 'none',
      model: modelServed ?? modelRequested ?? 'none',
      status,
      requestKind,
      inboundApi: this.inboundApi,
      streaming,
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      costUsd: costUsd ?? 0,
      latencyMs,
      upstreamMs,
      timeToFirstTokenMs,
      retries,
      fellBack: fallbackStep > 0,
    });

    const span = this.span;
    if (span !== undefined) {
      const kind = provider === undefined ? undefined : services.providerKind(provider);
      if (kind !== undefined) {
        span.setAttribute(GEN_AI.providerName, genAiProviderName(kind));
        span.setAttribute(GEN_AI.system, genAiProviderName(kind));
      }
      if (modelServed !== undefined) span.setAttribute(GEN_AI.responseModel, modelServed);
      span.setAttribute(GEN_AI.usageInputTokens, usage.inputTokens);
      span.setAttribute(GEN_AI.usageOutputTokens, usage.outputTokens);
      span.setAttribute(GEN_AI.usageCacheReadInputTokens, usage.cacheReadTokens);
      span.setAttribute(GEN_AI.usageCacheCreationInputTokens, usage.cacheWriteTokens);
      if (assembler?.stopReason !== undefined) span.setAttribute(GEN_AI.responseFinishReasons, [assembler.stopReason]);
      span.setAttribute('http.response.status_code', status);
      span.setAttribute('heimdall.request_kind', requestKind);
      span.setAttribute('heimdall.fallback_step', fallbackStep);
      if (costUsd !== undefined) span.setAttribute('heimdall.cost_usd', costUsd);
      if (errorInfo !== undefined || status >= 400) {
        span.setAttribute('error.type', errorInfo?.type ?? String(status));
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorInfo?.message ?? '' });
      }
      span.end();
    }

    const queue = services.queue;
    if (queue === undefined) return;
    const keepContent = this.keepContent();
    const context = this.context;
    const record: RequestLogRecord = {
      id: randomUUID(),
      createdAt: this.startedAtMs,
      ...(context === undefined
        ? {}
        : {
            virtualKeyId: context.virtualKey.id,
            virtualKeyName: context.virtualKey.name,
            ...(context.team === undefined ? {} : { teamId: context.team.id }),
            ...(context.customer === undefined ? {} : { customerId: context.customer.id }),
          }),
      requestKind,
      inboundApi: this.inboundApi,
      provider,
      modelRequested,
      modelServed,
      providerKey: served?.key,
      routeName: this.routing?.decision.routeName,
      fallbackStep,
      attempts,
      status,
      ...(errorInfo === undefined ? {} : { errorType: errorInfo.type, errorMessage: errorInfo.message }),
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      cacheReadTokens: usage.cacheReadTokens,
      cacheWriteTokens: usage.cacheWriteTokens,
      costUsd: costUsd ?? 0,
      latencyMs,
      timeToFirstTokenMs,
      upstreamMs,
      streaming,
      stopReason: assembler?.stopReason,
      droppedFields: this.droppedFields,
      traceId: span?.spanContext().traceId,
      ...(keepContent && this.body !== undefined ? { requestBodyBytes: this.body } : {}),
      ...(keepContent && assembler !== undefined ? { responseBody: assembler.result() } : {}),
      ...(keepContent && this.upstreamExchanges.length > 0 ? { upstreamCaptures: this.upstreamExchanges } : {}),
    };
    if (keepContent) record.searchText = searchTextOf(this.root, record.responseBody);
    queue.enqueue(record);
  }
}

/** The recorder used when observability is absent: every call does nothing. */
export const NO_OP_RECORDER: RequestRecorder = {
  start: () => undefined,
  route: () => undefined,
  attempt: (_attempt, work) => work(undefined),
  firstByte: () => undefined,
  usage: () => undefined,
  relay: () => undefined,
  observeRelay: () => ({ chunk: () => undefined, end: () => undefined }),
  observeEvents: (writer) => writer,
  responseEvent: () => undefined,
  responseBody: () => undefined,
  dropped: () => undefined,
  governance: () => undefined,
  error: () => undefined,
  finish: () => undefined,
  consumedUsage: () => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }),
};
