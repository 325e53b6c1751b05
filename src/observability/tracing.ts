import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, defaultTextMapGetter, defaultTextMapSetter, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_ERROR_TYPE, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * OpenTelemetry traces (official Node SDK, OTLP over HTTP with JSON). One `SERVER` span per
 * request, a `CLIENT` child span per upstream attempt, a child span per MCP tool call; attributes
 * follow the GenAI semantic conventions. The caller's W3C `traceparent` is the request span's
 * parent, and the attempt span's context goes upstream as `traceparent` (see
 * {@link withTraceContext}, called where upstream HTTP requests are built).
 *
 * Nothing global is registered (several gateways may share a process): the tracer comes from this
 * gateway's provider, and the active attempt's context travels in this module's own
 * `AsyncLocalStorage`, only entered when tracing is on. Without an endpoint no provider exists and
 * every hook is a property check.
 */

/**
 * GenAI semantic-convention attribute names (incubating in `@opentelemetry/semantic-conventions`,
 * whose documentation asks to copy incubating names rather than import them).
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  system: 'gen_ai.system',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  toolName: 'gen_ai.tool.name',
} as const;

/** Provider kinds → `gen_ai.provider.name` well-known values (others: the kind itself). */
const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  anthropic: 'anthropic',
  openai: 'openai',
  azure: 'azure.ai.openai',
  bedrock: 'aws.bedrock',
  vertex: 'gcp.vertex_ai',
  gemini: 'gcp.gemini',
  groq: 'groq',
  mistral: 'mistral_ai',
  deepseek: 'deepseek',
  xai: 'x_ai',
  perplexity: 'perplexity',
};

/** The `gen_ai.provider.name` of a provider kind. */
export function genAiProviderName(kind: string): string {
  return PROVIDER_NAMES[kind] ?? kind;
}

/** Environment variables of the OTLP endpoint (the OpenTelemetry SDK's own names). */
export const OTLP_ENDPOINT_VARIABLE = 'OTEL_EXPORTER_OTLP_ENDPOINT';
export const OTLP_TRACES_ENDPOINT_VARIABLE = 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';

/** What tracing needs. */
export interface TracingSettings {
  /**
   * OTLP/HTTP base endpoint (`http://collector:4318`; traces go to `<endpoint>/v1/traces`), or the
   * full traces URL when it already ends in `/v1/traces`. Absent: tracing off.
   */
  otlpEndpoint?: string;
  /** Extra headers for the exporter (e.g. an API key of a hosted backend). */
  headers?: Record<string, string>;
  /** `service.name`. Default `heimdall`. */
  serviceName?: string;
  serviceVersion?: string;
}

const propagator = new W3CTraceContextPropagator();
/** The active upstream attempt: its span context and the gateway's tracing. */
const attemptContext = new AsyncLocalStorage<{ context: Context; tracing: GatewayTracing }>();

/** The traces URL for an endpoint setting. */
export function tracesUrl(endpoint: string): string {
  const trimmed = endpoint.replace(/\/+$/, '');
  return trimmed.endsWith('/v1/traces') ? trimmed : `${trimmed}/v1/traces`;
}

/** One gateway's tracer (or none). */
export class GatewayTracing {
  private readonly provider: NodeTracerProvider | undefined;
  private readonly tracer: Tracer | undefined;

  constructor(settings: TracingSettings) {
    if (settings.otlpEndpoint === undefined || settings.otlpEndpoint === '') return;
    const exporter = new OTLPTraceExporter({ url: tracesUrl(settings.otlpEndpoint), headers: settings.headers ?? {} });
    this.provider = new NodeTracerProvider({
      resource: resourceFromAttributes({
        [ATTR_SERVICE_NAME]: settings.serviceName ?? 'heimdall',
        ...(settings.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: settings.serviceVersion }),
      }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
    });
    this.tracer = this.provider.getTracer('heimdall');
  }

  /** Whether spans are recorded and exported. */
  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** Starts a request span, child of the caller's `traceparent` when it sent one. Undefined when tracing is off. */
  startRequestSpan(name: string, headers: IncomingHttpHeaders, attributes: Attributes): Span | undefined {
    if (this.tracer === undefined) return undefined;
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  }

  /** Starts an attempt span under `parent`. */
  startChildSpan(parent: Span, name: string, kind: SpanKind, attributes: Attributes): Span | undefined {
    if (this.tracer === undefined) return undefined;
    return this.tracer.startSpan(name, { kind, attributes }, trace.setSpan(ROOT_CONTEXT, parent));
  }

  /** Exports what is buffered, then stops. */
  async close(): Promise<void> {
    await this.provider?.shutdown().catch(() => undefined);
  }

  /** Exports what is buffered now (tests). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush().catch(() => undefined);
  }
}

/** Runs `work` with `span` as the active upstream attempt (its context goes upstream as `traceparent`). */
export function runInSpan<T>(tracing: GatewayTracing, span: Span | undefined, work: () => T): T {
  if (span === undefined) return work();
  return attemptContext.run({ context: trace.setSpan(ROOT_CONTEXT, span), tracing }, work);
}

/**
 * Upstream request headers with the active attempt's W3C trace context added (`traceparent`,
 * `tracestate`). The same object when no attempt span is active (tracing off).
 */
export function withTraceContext(headers: Record<string, string>): Record<string, string> {
  const active = attemptContext.getStore();
  if (active === undefined) return headers;
  // Copied name by name: the propagator adds properties, which on a spread copy are slow in V8.
  const carrier: Record<string, string> = {};
  for (const name in headers) carrier[name] = headers[name];
  propagator.inject(active.context, carrier, defaultTextMapSetter);
  return carrier;
}

/** A span recording what an exception says, then ended. */
export function endSpanWithError(span: Span, error: unknown): void {
  const type = error instanceof Error ? (('kind' in error && typeof error.kind === 'string' ? error.kind : undefined) ?? error.name) : 'error';
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  span.end();
}

/**
 * Runs one MCP tool call inside a child span of the current attempt (`execute_tool <name>`), when
 * tracing is on; for the MCP gateway. The span records an error when `work` throws.
 */
export async function withMcpToolSpan<T>(toolName: string, server: string, work: () => Promise<T>): Promise<T> {
  const active = attemptContext.getStore();
  const parent = active === undefined ? undefined : trace.getSpan(active.context);
  if (active === undefined || parent === undefined) return work();
  const span = active.tracing.startChildSpan(parent, `execute_tool ${toolName}`, SpanKind.INTERNAL, {
    [GEN_AI.operationName]: 'execute_tool',
    [GEN_AI.toolName]: toolName,
    'heimdall.mcp.server': server,
  });
  if (span === undefined) return work();
  try {
    const result = await work();
    span.end();
    return result;
  } catch (error) {
    endSpanWithError(span, error);
    throw error;
  }
}
