import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticateAdmin } from '../admin/admin-auth.js';
import { REQUEST_LOG_DIMENSIONS, type RequestLogDimension, type RequestLogFilter, type RequestLogGroup } from './logs/request-log-store.js';
import type { RequestLogSummary } from './logs/request-log-record.js';
import type { Observability } from './observability.js';

/**
 * HTTP surface of observability: `GET /metrics` (Prometheus text format), `GET /api/logs`
 * (filtered, searched, cursor-paginated), `GET /api/logs/stats` (totals, and on request a time
 * series and breakdowns, see `statsShapeFromQuery`), `GET /api/logs/tail` (SSE: each
 * record as it lands), `GET /api/logs/{id}` (one record with its content). `/api/*` needs an
 * admin credential (`authenticateAdmin`: admin token, dashboard session, or loopback when none is
 * configured); so does `/metrics` unless `telemetry.metrics_public`.
 */

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;
const DEFAULT_GROUP_LIMIT = 10;
const MAX_GROUP_LIMIT = 100;
/** Keep-alive comment interval on the tail stream, ms. */
const TAIL_KEEPALIVE_MS = 15_000;

/** A malformed query parameter (answered 400). */
export class LogQueryError extends Error {}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { type: 'error', error: { type, message } });
}

/** A duration like `15m`, `2h`, `7d`, `30s` in ms, or undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  if (match === null) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

/** A time parameter: ms since the epoch, an ISO date, or a duration back from now (`15m`). */
function parseTime(name: string, text: string, now: number): number {
  if (/^\d+$/.test(text)) return Number(text);
  const ago = parseDurationMs(text);
  if (ago !== undefined) return now - ago;
  const parsed = Date.parse(text);
  if (Number.isNaN(parsed)) throw new LogQueryError(`${name}: expected ms since the epoch, an ISO 8601 time or a duration such as 15m`);
  return parsed;
}

function parseNumber(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new LogQueryError(`${name}: expected a number`);
  return value;
}

/**
 * The filter of a query string: `from`, `to` (or `since`), `provider`, `model`, `virtual_key`,
 * `team`, `customer`, `status` (a code, `error` or `success`), `request_kind`, `inbound_api`,
 * `min_cost`/`max_cost` (USD), `min_latency_ms`/`max_latency_ms`, `search`.
 * @throws LogQueryError for a malformed value
 */
export function filterFromQuery(query: URLSearchParams, now: number): RequestLogFilter {
  const filter: RequestLogFilter = {};
  const text = (name: string): string | undefined => {
    const value = query.get(name);
    return value === null || value === '' ? undefined : value;
  };
  const from = text('from') ?? text('since');
  if (from !== undefined) filter.from = parseTime('from', from, now);
  const to = text('to');
  if (to !== undefined) filter.to = parseTime('to', to, now);
  for (const [parameter, field] of [
    ['provider', 'provider'],
    ['model', 'model'],
    ['virtual_key', 'virtualKey'],
    ['team', 'team'],
    ['customer', 'customer'],
    ['request_kind', 'requestKind'],
    ['inbound_api', 'inboundApi'],
    ['search', 'search'],
  ] as const) {
    const value = text(parameter);
    if (value !== undefined) filter[field] = value;
  }
  const status = text('status');
  if (status !== undefined) {
    if (status !== 'error' && status !== 'success' && !/^\d{3}$/.test(status)) throw new LogQueryError('status: expected an HTTP status, error or success');
    filter.status = status;
  }
  for (const [parameter, field] of [
    ['min_cost', 'minCostUsd'],
    ['max_cost', 'maxCostUsd'],
    ['min_latency_ms', 'minLatencyMs'],
    ['max_latency_ms', 'maxLatencyMs'],
  ] as const) {
    const value = text(parameter);
    if (value !== undefined) filter[field] = parseNumber(parameter, value);
  }
  return filter;
}

/**
 * The optional parts of `/api/logs/stats`: `bucket` (a duration such as `5m` or `1h`, at least 1 s)
 * adds `series`, totals per time bucket; `group_by` (comma-separated: provider, model, virtual_key,
 * request_kind, team, customer) adds `groups`, totals per value, costliest first, at most
 * `group_limit` (1–100, default 10) each.
 * @throws LogQueryError for a malformed value
 */
export function statsShapeFromQuery(query: URLSearchParams): { bucketMs: number | undefined; groupBy: RequestLogDimension[]; groupLimit: number } {
  const bucketText = query.get('bucket');
  let bucketMs: number | undefined;
  if (bucketText !== null && bucketText !== '') {
    const parsed = parseDurationMs(bucketText);
    if (parsed === undefined || parsed < 1000) throw new LogQueryError('bucket: expected a duration of at least 1s, such as 5m, 1h or 1d');
    bucketMs = Math.round(parsed);
  }
  const groupBy: RequestLogDimension[] = [];
  for (const name of (query.get('group_by') ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const dimension = REQUEST_LOG_DIMENSIONS.find((candidate) => candidate === name);
    if (dimension === undefined) throw new LogQueryError(`group_by: ${name} is not one of ${REQUEST_LOG_DIMENSIONS.join(', ')}`);
    if (!groupBy.includes(dimension)) groupBy.push(dimension);
  }
  const limitText = query.get('group_limit');
  const groupLimit = limitText === null || limitText === '' ? DEFAULT_GROUP_LIMIT : parseNumber('group_limit', limitText);
  if (!Number.isInteger(groupLimit) || groupLimit < 1 || groupLimit > MAX_GROUP_LIMIT) throw new LogQueryError(`group_limit: expected an integer from 1 to ${MAX_GROUP_LIMIT}`);
  return { bucketMs, groupBy, groupLimit };
}

/** Whether a tailed record matches a filter (the fields a record carries; search is not applied live). */
export function matchesFilter(record: RequestLogSummary, filter: RequestLogFilter): boolean {
  if (filter.provider !== undefined && record.provider !== filter.provider) return false;
  if (filter.model !== undefined && record.modelServed !== filter.model && record.modelRequested !== filter.model) return false;
  if (filter.virtualKey !== undefined && record.virtualKeyId !== filter.virtualKey && record.virtualKeyName !== filter.virtualKey) return false;
  if (filter.team !== undefined && record.teamId !== filter.team) return false;
  if (filter.customer !== undefined && record.customerId !== filter.customer) return false;
  if (filter.requestKind !== undefined && record.requestKind !== filter.requestKind) return false;
  if (filter.inboundApi !== undefined && record.inboundApi !== filter.inboundApi) return false;
  const failed = record.status >= 400 || record.errorType !== undefined;
  if (filter.status === 'error' && !failed) return false;
  if (filter.status === 'success' && failed) return false;
  if (filter.status !== undefined && /^\d+$/.test(filter.status) && record.status !== Number(filter.status)) return false;
  if (filter.minCostUsd !== undefined && record.costUsd < filter.minCostUsd) return false;
  if (filter.maxCostUsd !== undefined && record.costUsd > filter.maxCostUsd) return false;
  if (filter.minLatencyMs !== undefined && record.latencyMs < filter.minLatencyMs) return false;
  if (filter.maxLatencyMs !== undefined && record.latencyMs > filter.maxLatencyMs) return false;
  return true;
}

/** Routes observability paths (see the module comment). @returns false when `path` is not one of them */
export async function routeObservabilityRequest(observability: Observability, request: IncomingMessage, response: ServerResponse, path: string, url: URL): Promise<boolean> {
  const isMetrics = path === '/metrics';
  if (!isMetrics && path !== '/api/logs' && !path.startsWith('/api/logs/')) return false;
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendError(response, 405, 'invalid_request_error', `method ${request.method ?? ''} is not allowed on ${path}`);
    return true;
  }
  if (!(isMetrics && observability.settings.metricsPublic) && (await authenticateAdmin(request)) === undefined) {
    sendError(response, 401, 'authentication_error', 'admin credentials required: Authorization: Bearer <admin token> (admin.token / HEIMDALL_ADMIN_TOKEN) or a dashboard session');
    return true;
  }
  if (isMetrics) {
    const text = await observability.metrics.exposition();
    response.writeHead(200, { 'content-type': observability.metrics.registry.contentType });
    response.end(text);
    return true;
  }
  const store = observability.logStore;
  const queue = observability.logQueue;
  try {
    const now = Date.now();
    if (path === '/api/logs/tail') {
      const tail = observability.logTail;
      if (tail === undefined) {
        sendError(response, 404, 'not_found_error', 'the request log is off (logging.enabled) or has no store');
        return true;
      }
      const filter = filterFromQuery(url.searchParams, now);
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
      // Every replica's records (with Redis); the opening comment is sent once they are being received.
      const unsubscribe = await tail.subscribe((record) => {
        if (matchesFilter(record, filter)) response.write(`event: log\ndata: ${JSON.stringify(record)}\n\n`);
      });
      if (response.destroyed) {
        unsubscribe();
        return true;
      }
      response.write(': heimdall request log tail\n\n');
      const keepAlive = setInterval(() => response.write(': keep-alive\n\n'), TAIL_KEEPALIVE_MS);
      response.once('close', () => {
        clearInterval(keepAlive);
        unsubscribe();
      });
      return true;
    }
    if (path === '/api/logs/stats') {
      if (store === undefined) {
        sendError(response, 404, 'not_found_error', 'the request log is off (logging.enabled) or has no store');
        return true;
      }
      const filter = filterFromQuery(url.searchParams, now);
      const { bucketMs, groupBy, groupLimit } = statsShapeFromQuery(url.searchParams);
      const stats = await store.stats(filter);
      const series = bucketMs === undefined ? undefined : await store.timeSeries(filter, bucketMs);
      const groups: Partial<Record<RequestLogDimension, RequestLogGroup[]>> = {};
      for (const dimension of groupBy) groups[dimension] = await store.breakdown(filter, dimension, groupLimit);
      sendJson(response, 200, {
        ...stats,
        ...(series === undefined ? {} : { bucket_ms: bucketMs, series }),
        ...(groupBy.length === 0 ? {} : { groups }),
        queue: queue?.stats ?? null,
        dropped: queue?.stats.dropped ?? 0,
      });
      return true;
    }
    if (store === undefined) {
      sendError(response, 404, 'not_found_error', 'the request log is off (logging.enabled) or has no store');
      return true;
    }
    if (path === '/api/logs') {
      const limitText = url.searchParams.get('limit');
      const limit = limitText === null ? DEFAULT_PAGE_SIZE : parseNumber('limit', limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new LogQueryError(`limit: expected an integer from 1 to ${MAX_PAGE_SIZE}`);
      const page = await store.list(filterFromQuery(url.searchParams, now), limit, url.searchParams.get('cursor') ?? undefined);
      sendJson(response, 200, { data: page.records, next_cursor: page.nextCursor ?? null });
      return true;
    }
    const id = decodeURIComponent(path.slice('/api/logs/'.length));
    const record = await store.get(id);
    if (record === undefined) sendError(response, 404, 'not_found_error', `no request log record '${id}'`);
    else sendJson(response, 200, record);
    return true;
  } catch (error) {
    if (error instanceof LogQueryError) {
      sendError(response, 400, 'invalid_request_error', error.message);
      return true;
    }
    throw error;
  }
}
