import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewaySettings } from '../config/gateway-settings.js';
import { CostCalculator } from '../governance/cost-calculator.js';
import type { HeimdallDatabase } from '../storage/database-schema.js';
import { openDatabase, type DatabaseBackend, type DatabaseHandle } from '../storage/open-database.js';
import type { Kysely } from 'kysely';
import { RequestLogQueue } from './logs/request-log-queue.js';
import { RequestLogTail, type LogTailChannel } from './logs/request-log-tail.js';
import type { InboundApi } from './logs/request-log-record.js';
import { RequestLogStore, type RequestLogWriter } from './logs/request-log-store.js';
import { GatewayMetrics } from './metrics.js';
import { buildObservabilitySettings, type ObservabilitySettings } from './observability-settings.js';
import { routeObservabilityRequest } from './observability-routes.js';
import { GatewayRequestRecorder, type RecorderServices, type RequestRecorder } from './request-recorder.js';
import { GatewayTracing } from './tracing.js';
import type { JsonObject } from '../core/request-validation.js';

/** How often the retention purge runs, ms. */
const PURGE_INTERVAL_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** What {@link startObservability} needs. */
export interface StartObservabilityOptions {
  settings?: ObservabilitySettings;
  /** The gateway's settings: provider kinds (pricing, span attributes) and circuit breakers. */
  gateway?: GatewaySettings;
  /** An open store to log into (shared with governance). */
  database?: { database: Kysely<HeimdallDatabase>; backend: DatabaseBackend };
  /** Otherwise open one: `postgres://…`, `sqlite:<path>`, or absent for `<appDirectory>/heimdall.db`. */
  databaseUrl?: string;
  /** Where the default SQLite file lives; without it and without `database`, there is no request log. */
  appDirectory?: string;
  /**
   * Shares the live tail with other replicas (`RedisLogTailChannel` when Redis is configured);
   * owned by the observability from here on (closed by its `close`).
   */
  tailChannel?: LogTailChannel;
  /** A writer in place of the store (tests: a store that stalls). */
  logWriter?: RequestLogWriter;
  /** USD price overrides (`pricing` config), as governance uses. */
  costs?: CostCalculator;
  clock?: () => number;
  log?: (line: string) => void;
}

/** Metrics, traces and the request log of one gateway. */
export class Observability {
  private purgeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly settings: ObservabilitySettings,
    readonly metrics: GatewayMetrics,
    readonly tracing: GatewayTracing,
    /** Absent without a store (no shared store given and the request log off, or no app directory). */
    readonly logStore: RequestLogStore | undefined,
    readonly logQueue: RequestLogQueue | undefined,
    private readonly costs: CostCalculator,
    private readonly gateway: GatewaySettings | undefined,
    private readonly ownedDatabase: DatabaseHandle | undefined,
    private readonly clock: () => number,
    private readonly log: (line: string) => void,
    /** The live tail (`/api/logs/tail`): this replica's records, and other replicas' with a channel; absent when the request log is off. */
    readonly logTail?: RequestLogTail,
  ) {
    if (logStore !== undefined) {
      void this.purge();
      this.purgeTimer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
      this.purgeTimer.unref();
    }
  }

  /** Deletes records past retention. @returns how many */
  async purge(): Promise<number> {
    if (this.logStore === undefined) return 0;
    try {
      return await this.logStore.purge(this.clock() - this.settings.logging.retentionDays * DAY_MS);
    } catch (error) {
      this.log(`[heimdall] request log: retention purge failed: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }

  /** What every recorder of this gateway shares (made again only when the logging settings change). */
  private recorderServices: RecorderServices | undefined;

  /** A recorder for one request. */
  recorder(): RequestRecorder {
    // `logging.enabled` and `logging.content` may change at run time (`/api/settings`): checked per request.
    const queue = this.settings.logging.enabled ? this.logQueue : undefined;
    const logContent = this.settings.logging.content;
    let services = this.recorderServices;
    if (services === undefined || services.queue !== queue || services.logContent !== logContent) {
      services = this.recorderServices = {
        metrics: this.metrics,
        tracing: this.tracing,
        queue,
        logContent,
        costs: this.costs,
        providerKind: (provider) => this.gateway?.providers.get(provider)?.definition.kind,
        clock: this.clock,
      };
    }
    return new GatewayRequestRecorder(services);
  }

  /** Answers `/metrics` and `/api/logs…`. @returns false when the path is not ours */
  route(request: IncomingMessage, response: ServerResponse, path: string, url: URL): Promise<boolean> {
    return routeObservabilityRequest(this, request, response, path, url);
  }

  /** Stops the purge, writes the queued records (graceful shutdown), exports buffered spans, closes an owned database. */
  async close(): Promise<void> {
    if (this.purgeTimer !== undefined) clearInterval(this.purgeTimer);
    await this.logQueue?.close();
    await this.logTail?.close();
    await this.logStore?.stopWriterThread();
    await this.tracing.close();
    await this.ownedDatabase?.close();
  }
}

/**
 * Starts observability: metrics always; traces when an OTLP endpoint is configured; the request
 * log when enabled and a store is at hand (given, or opened from `databaseUrl` / the app directory).
 */
export async function startObservability(options: StartObservabilityOptions = {}): Promise<Observability> {
  const settings = options.settings ?? buildObservabilitySettings(undefined, undefined, {});
  const log = options.log ?? ((line: string) => console.warn(line));
  const clock = options.clock ?? Date.now;
  const gateway = options.gateway;
  const metrics = new GatewayMetrics(() => gateway?.routing?.health.snapshot() ?? [], settings.maxModelLabels);
  const tracing = new GatewayTracing(settings.tracing);
  let store: RequestLogStore | undefined;
  let owned: DatabaseHandle | undefined;
  let writer: RequestLogWriter | undefined = options.logWriter;
  // With a shared store the log is set up even while `logging.enabled` is off, so that turning it
  // on at run time (`/api/settings`) needs no restart; the recorder writes only while it is on.
  if (writer === undefined && (settings.logging.enabled || options.database !== undefined)) {
    if (options.database !== undefined) {
      store = new RequestLogStore(options.database.database, options.database.backend, clock);
    } else if (options.appDirectory !== undefined || options.databaseUrl !== undefined) {
      owned = await openDatabase({ url: options.databaseUrl, appDirectory: options.appDirectory ?? '.' });
      store = new RequestLogStore(owned.database, owned.backend, clock);
    }
    // SQLite file: batches are written (hashed, indexed) in a worker thread, off the request path.
    store?.startWriterThread();
    writer = store;
  }
  const queue =
    writer !== undefined
      ? new RequestLogQueue(writer, {
          maxRecords: settings.logging.queueMaxRecords,
          maxBytes: settings.logging.queueMaxBytes,
          flushIntervalMs: settings.logging.flushIntervalMs,
          log,
          onChange: (event) => {
            metrics.logQueueDepth.set(event.depth);
            if (event.dropped !== undefined) metrics.logRecordsDropped.inc(event.dropped);
            if (event.written !== undefined) metrics.logRecordsWritten.inc(event.written);
            if (event.failed === true) metrics.logWriteFailures.inc();
          },
        })
      : undefined;
  const tail = queue === undefined ? undefined : new RequestLogTail(queue, options.tailChannel);
  if (tail === undefined) await options.tailChannel?.close();
  return new Observability(settings, metrics, tracing, store, queue, options.costs ?? new CostCalculator(settings.priceOverrides), gateway, owned, clock, log, tail);
}

const observabilityOfRequest = new WeakMap<IncomingMessage, Observability>();

let detachedServices: RecorderServices | undefined;

/** Services of a recorder on a server without observability: unexported metrics, no traces, no log. */
function detachedRecorderServices(): RecorderServices {
  detachedServices ??= {
    metrics: new GatewayMetrics(),
    tracing: new GatewayTracing({}),
    queue: undefined,
    logContent: false,
    costs: new CostCalculator(),
    providerKind: () => undefined,
    clock: Date.now,
  };
  return detachedServices;
}

/** Remembers which gateway's observability serves a request (done by the HTTP server). */
export function bindObservability(request: IncomingMessage, observability: Observability): void {
  observabilityOfRequest.set(request, observability);
}

/** The observability bound to a request, if any. */
export function observabilityOf(request: IncomingMessage): Observability | undefined {
  return observabilityOfRequest.get(request);
}

/**
 * The request path's one-line hook: a started recorder for this request, finished automatically
 * when the response closes (with the status sent). On a server without observability the
 * recorder only observes usage (`consumedUsage`, for governance): no metrics exported, no log.
 */
export function startRequestRecorder(
  request: IncomingMessage,
  response: ServerResponse,
  input: { inboundApi: InboundApi; root: JsonObject; body: Buffer },
): RequestRecorder {
  const observability = observabilityOfRequest.get(request);
  // Without observability the recorder still observes usage (governance settles budgets from it).
  const recorder = observability === undefined ? new GatewayRequestRecorder(detachedRecorderServices()) : observability.recorder();
  recorder.start({ ...input, headers: request.headers });
  response.once('close', () => recorder.finish(response.statusCode));
  return recorder;
}
