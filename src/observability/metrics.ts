import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { HealthSnapshot } from '../routing/provider-health.js';

/**
 * Prometheus metrics (`GET /metrics`, text exposition format via `prom-client`). Each gateway has
 * its own registry (tests run several gateways in one process); the MCP tool-call counter is
 * process-wide so the MCP gateway can increment it without a handle ({@link mcpToolCallsTotal}).
 *
 * Label sets stay bounded: no per-request labels; provider names come from the configuration;
 * model names are capped at {@link DEFAULT_MAX_MODEL_LABELS} distinct values per gateway, further
 * ones are folded into `other`.
 */

/** Distinct model label values kept before folding into `other`. */
export const DEFAULT_MAX_MODEL_LABELS = 100;
/** The label value standing for every model past the cap. */
export const OTHER_LABEL = 'other';

/** Latency buckets, seconds: 5 ms … 10 min. */
const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Gateway overhead buckets, seconds: 0.1 ms … 1 s. */
const OVERHEAD_BUCKETS_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Registry of process-wide metrics, appended to every gateway's `/metrics`. */
export const processMetricsRegistry = new Registry();

/**
 * MCP tool calls through the gateway, by upstream server and outcome (`ok`, `tool_error`,
 * `error`). For the MCP gateway: `mcpToolCallsTotal.inc({ server, outcome })`.
 */
export const mcpToolCallsTotal = new Counter({
  name: 'heimdall_mcp_tool_calls_total',
  help: 'MCP tool calls forwarded by the gateway, by upstream server and outcome (ok, tool_error, error).',
  labelNames: ['server', 'outcome'] as const,
  registers: [processMetricsRegistry],
});

/** What one finished request contributes. Tokens are counts, cost USD, times ms. */
export interface RequestMetricsSample {
  provider: string;
  model: string;
  status: number;
  requestKind: string;
  inboundApi: string;
  streaming: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: number;
  upstreamMs?: number;
  timeToFirstTokenMs?: number;
  /** Attempts after the first on the same target. */
  retries: number;
  /** Whether a fallback target answered. */
  fellBack: boolean;
}

/** One gateway's metrics. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly models = new Set<string>();
  readonly requestsTotal: Counter<'provider' | 'model' | 'status' | 'request_kind' | 'inbound_api'>;
  readonly activeRequests: Gauge;
  readonly upstreamLatency: Histogram<'provider' | 'model'>;
  readonly timeToFirstToken: Histogram<'provider' | 'model'>;
  readonly requestDuration: Histogram<'provider' | 'model' | 'streaming'>;
  readonly gatewayOverhead: Histogram<'streaming'>;
  readonly tokensTotal: Counter<'provider' | 'model' | 'type'>;
  readonly costTotal: Counter<'provider' | 'model'>;
  readonly retriesTotal: Counter<'provider'>;
  readonly fallbacksTotal: Counter<'provider'>;
  readonly logQueueDepth: Gauge;
  readonly logRecordsDropped: Counter;
  readonly logRecordsWritten: Counter;
  readonly logWriteFailures: Counter;

  /**
   * @param healthSnapshot circuit breakers to expose (read at scrape time); absent: none
   * @param maxModelLabels distinct model label values before folding into `other`
   */
  constructor(
    private readonly healthSnapshot: () => HealthSnapshot[] = () => [],
    private readonly maxModelLabels = DEFAULT_MAX_MODEL_LABELS,
  ) {
    const registers = [this.registry];
    this.requestsTotal = new Counter({
      name: 'heimdall_requests_total',
      help: 'Requests served, by provider, model, HTTP status, Claude Code request kind and inbound API.',
      labelNames: ['provider', 'model', 'status', 'request_kind', 'inbound_api'] as const,
      registers,
    });
    this.activeRequests = new Gauge({ name: 'heimdall_active_requests', help: 'Requests in flight.', registers });
    this.upstreamLatency = new Histogram({
      name: 'heimdall_upstream_latency_seconds',
      help: 'Time spent on upstream attempts per request, seconds.',
      labelNames: ['provider', 'model'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'heimdall_time_to_first_token_seconds',
      help: 'Arrival to the first response byte sent to the caller, seconds.',
      labelNames: ['provider', 'model'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.requestDuration = new Histogram({
      name: 'heimdall_request_duration_seconds',
      help: 'Arrival to last byte sent, seconds.',
      labelNames: ['provider', 'model', 'streaming'] as const,
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.gatewayOverhead = new Histogram({
      name: 'heimdall_gateway_overhead_seconds',
      help: 'Time spent in Heimdall itself per request (total minus upstream), seconds.',
      labelNames: ['streaming'] as const,
      buckets: OVERHEAD_BUCKETS_SECONDS,
      registers,
    });
    this.tokensTotal = new Counter({
      name: 'heimdall_tokens_total',
      help: 'Tokens by provider, model and type (input, output, cache_read, cache_write).',
      labelNames: ['provider', 'model', 'type'] as const,
      registers,
    });
    this.costTotal = new Counter({ name: 'heimdall_cost_usd_total', help: 'Cost of requests, USD.', labelNames: ['provider', 'model'] as const, registers });
    this.retriesTotal = new Counter({ name: 'heimdall_retries_total', help: 'Upstream attempts after the first, by provider of the retried attempt.', labelNames: ['provider'] as const, registers });
    this.fallbacksTotal = new Counter({ name: 'heimdall_fallbacks_total', help: 'Requests answered by a fallback target, by the provider that answered.', labelNames: ['provider'] as const, registers });
    this.logQueueDepth = new Gauge({ name: 'heimdall_log_queue_depth', help: 'Request-log records waiting to be written.', registers });
    this.logRecordsDropped = new Counter({ name: 'heimdall_log_records_dropped_total', help: 'Request-log records dropped because the queue was full or a write failed.', registers });
    this.logRecordsWritten = new Counter({ name: 'heimdall_log_records_written_total', help: 'Request-log records written to the store.', registers });
    this.logWriteFailures = new Counter({ name: 'heimdall_log_write_failures_total', help: 'Failed request-log batch writes.', registers });
    const snapshot = (): HealthSnapshot[] => this.healthSnapshot();
    // Registered with the registry, read at scrape time through `collect`.
    new Gauge({
      name: 'heimdall_circuit_breaker_state',
      help: 'Circuit breaker state per provider key: 1 for the current state (closed, open, half-open), 0 otherwise.',
      labelNames: ['provider', 'key', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const breaker of snapshot()) {
          for (const state of ['closed', 'open', 'half-open'] as const) {
            this.set({ provider: breaker.provider, key: breaker.key ?? '', state }, breaker.state === state ? 1 : 0);
          }
        }
      },
    });
  }

  /** A model name as a label value: itself while under the cap, else `other`. */
  modelLabel(model: string): string {
    if (this.models.has(model)) return model;
    if (this.models.size >= this.maxModelLabels) return OTHER_LABEL;
    this.models.add(model);
    return model;
  }

  /** Records one finished request. */
  observeRequest(sample: RequestMetricsSample): void {
    const provider = sample.provider;
    const model = this.modelLabel(sample.model);
    this.requestsTotal.inc({ provider, model, status: String(sample.status), request_kind: sample.requestKind, inbound_api: sample.inboundApi });
    const streaming = sample.streaming ? 'true' : 'false';
    this.requestDuration.observe({ provider, model, streaming }, sample.latencyMs / 1000);
    if (sample.upstreamMs !== undefined) {
      this.upstreamLatency.observe({ provider, model }, sample.upstreamMs / 1000);
      this.gatewayOverhead.observe({ streaming }, Math.max(0, sample.latencyMs - sample.upstreamMs) / 1000);
    }
    if (sample.timeToFirstTokenMs !== undefined) this.timeToFirstToken.observe({ provider, model }, sample.timeToFirstTokenMs / 1000);
    if (sample.inputTokens > 0) this.tokensTotal.inc({ provider, model, type: 'input' }, sample.inputTokens);
    if (sample.outputTokens > 0) this.tokensTotal.inc({ provider, model, type: 'output' }, sample.outputTokens);
    if (sample.cacheReadTokens > 0) this.tokensTotal.inc({ provider, model, type: 'cache_read' }, sample.cacheReadTokens);
    if (sample.cacheWriteTokens > 0) this.tokensTotal.inc({ provider, model, type: 'cache_write' }, sample.cacheWriteTokens);
    if (sample.costUsd > 0) this.costTotal.inc({ provider, model }, sample.costUsd);
    if (sample.retries > 0) this.retriesTotal.inc({ provider }, sample.retries);
    if (sample.fellBack) this.fallbacksTotal.inc({ provider });
  }

  /** The text exposition of this gateway's metrics and the process-wide ones. */
  async exposition(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processMetricsRegistry.metrics()}`;
  }
}
