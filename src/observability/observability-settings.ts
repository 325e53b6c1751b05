import { resolveSecret } from '../config/load-config.js';
import type { ModelPrice } from '../governance/cost-calculator.js';
import type { LoggingConfig, TelemetryConfig } from './observability-config-schema.js';
import { OTLP_ENDPOINT_VARIABLE, OTLP_TRACES_ENDPOINT_VARIABLE, type TracingSettings } from './tracing.js';

/** Runtime settings of observability, from the `logging` and `telemetry` config sections. */
export interface ObservabilitySettings {
  logging: {
    enabled: boolean;
    content: boolean;
    /** Days records are kept. */
    retentionDays: number;
    queueMaxRecords?: number;
    /** Bytes. */
    queueMaxBytes?: number;
    /** ms. */
    flushIntervalMs?: number;
  };
  tracing: TracingSettings;
  metricsPublic: boolean;
  maxModelLabels?: number;
  /** USD price overrides by `provider/model` (config `pricing`), for costs governance did not report. */
  priceOverrides?: Record<string, ModelPrice>;
}

/** Default retention of the request log, days. */
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * Builds the settings (secrets in `otlp_headers` resolved).
 * @throws ConfigError for an unset `env.NAME`
 */
export function buildObservabilitySettings(
  logging: LoggingConfig | undefined,
  telemetry: TelemetryConfig | undefined,
  environment: NodeJS.ProcessEnv = process.env,
  priceOverrides?: Record<string, ModelPrice>,
): ObservabilitySettings {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(telemetry?.otlp_headers ?? {})) headers[name] = resolveSecret(value, `telemetry.otlp_headers.${name}`, environment);
  const endpoint = telemetry?.otlp_endpoint ?? (environment[OTLP_TRACES_ENDPOINT_VARIABLE] || environment[OTLP_ENDPOINT_VARIABLE] || undefined);
  return {
    logging: {
      enabled: logging?.enabled ?? true,
      content: logging?.content ?? true,
      retentionDays: logging?.retention_days ?? DEFAULT_RETENTION_DAYS,
      queueMaxRecords: logging?.queue_max_records,
      queueMaxBytes: logging?.queue_max_bytes,
      flushIntervalMs: logging?.flush_interval_ms,
    },
    tracing: { ...(endpoint === undefined ? {} : { otlpEndpoint: endpoint }), headers, serviceName: telemetry?.service_name },
    metricsPublic: telemetry?.metrics_public ?? false,
    maxModelLabels: telemetry?.max_model_labels,
    ...(priceOverrides === undefined ? {} : { priceOverrides }),
  };
}
