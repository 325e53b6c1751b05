import { Type, type Static } from '@sinclair/typebox';

/** Config section `logging`: the request log. */
export const LoggingConfigSchema = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ description: 'Keep a request log in the store (default true).' })),
    content: Type.Optional(
      Type.Boolean({ description: 'Store request and response content (default true; a virtual key with log_content off is never stored).' }),
    ),
    retention_days: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Delete records older than this many days (default 30).' })),
    queue_max_records: Type.Optional(Type.Integer({ minimum: 1, description: 'Most records waiting to be written; more are dropped and counted (default 10000).' })),
    queue_max_bytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'Most content bytes waiting to be written (default 64 MiB).' })),
    flush_interval_ms: Type.Optional(Type.Integer({ minimum: 1, description: 'Longest wait before queued records are written, ms (default 500).' })),
  },
  { additionalProperties: false, description: 'The request log: one record per request, written in batches off the request path.' },
);

/** Config section `telemetry`: metrics and traces. */
export const TelemetryConfigSchema = Type.Object(
  {
    otlp_endpoint: Type.Optional(
      Type.String({ description: 'OTLP/HTTP endpoint for traces (http://collector:4318); default env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT; none = no tracing.' }),
    ),
    otlp_headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Headers sent with exported traces (values may be env.NAME).' })),
    service_name: Type.Optional(Type.String({ minLength: 1, description: 'service.name of the spans (default heimdall).' })),
    metrics_public: Type.Optional(Type.Boolean({ description: 'Serve /metrics without admin credentials (default false).' })),
    max_model_labels: Type.Optional(Type.Integer({ minimum: 1, description: 'Distinct model label values in metrics before the rest count as "other" (default 100).' })),
  },
  { additionalProperties: false, description: 'Prometheus metrics and OpenTelemetry traces.' },
);

export type LoggingConfig = Static<typeof LoggingConfigSchema>;
export type TelemetryConfig = Static<typeof TelemetryConfigSchema>;
