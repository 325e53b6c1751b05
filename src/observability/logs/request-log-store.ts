import { createHash } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { HeimdallDatabase, RequestLogTable } from '../../storage/database-schema.js';
import type SqliteDatabase from 'better-sqlite3';
import { sqliteConnectionOf, type DatabaseBackend } from '../../storage/open-database.js';
import { decodeUpstreamExchanges, encodeUpstreamExchanges, loggedExchangeBytes, storableUtf8, upstreamExchangeBytes } from './upstream-exchanges-text.js';
import type { LoggedAttempt, RequestLogRecord, RequestLogSummary } from './request-log-record.js';
import { RequestLogWriterThread } from './request-log-writer-thread.js';

/**
 * The request log in the store (tables of migration `0003-request-logs`): batched inserts, the
 * filtered and full-text-searched listing with a keyset cursor, aggregate statistics, one record
 * with its bodies, and the retention purge. Same code on SQLite and PostgreSQL but for the
 * full-text index (FTS5 `MATCH` / `tsvector @@ plainto_tsquery`).
 */

/** What a listing or statistics query selects. Times ms since the epoch, cost USD, latency ms. */
export interface RequestLogFilter {
  from?: number;
  to?: number;
  provider?: string;
  /** Matches the model served or the model asked for. */
  model?: string;
  /** A virtual key id or name. */
  virtualKey?: string;
  team?: string;
  customer?: string;
  /** An HTTP status, `error` (status ≥ 400 or an error recorded), or `success`. */
  status?: string;
  requestKind?: string;
  inboundApi?: string;
  minCostUsd?: number;
  maxCostUsd?: number;
  minLatencyMs?: number;
  maxLatencyMs?: number;
  /** Full-text search over the logged content (every word must occur). */
  search?: string;
}

/** A page of records, newest first. */
export interface RequestLogPage {
  records: RequestLogSummary[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** Aggregates over a filter. Tokens are counts, cost USD, latencies ms. */
export interface RequestLogStats {
  requests: number;
  errors: number;
  /** errors / requests (0 without requests). */
  errorRate: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; average: number | null };
  timeToFirstTokenMs: { p50: number | null; p90: number | null; p99: number | null };
}

/** Totals of a slice of the log (a time bucket or a group). Tokens are counts, cost USD, latency ms. */
export interface RequestLogTotals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Mean latency, ms (null without requests). */
  averageLatencyMs: number | null;
}

/** One time bucket of {@link RequestLogStore.timeSeries}. */
export interface RequestLogBucket extends RequestLogTotals {
  /** Start of the bucket, ms since the epoch (a multiple of the bucket length). */
  start: number;
}

/** The dimensions {@link RequestLogStore.breakdown} groups by. `model` is the model served (else asked for). */
export const REQUEST_LOG_DIMENSIONS = ['provider', 'model', 'virtual_key', 'request_kind', 'team', 'customer'] as const;
export type RequestLogDimension = (typeof REQUEST_LOG_DIMENSIONS)[number];

/** One group of {@link RequestLogStore.breakdown}. */
export interface RequestLogGroup extends RequestLogTotals {
  /** The value grouped on (a virtual key's id for `virtual_key`); null for records without one. */
  key: string | null;
  /** A virtual key's name; the key itself for other dimensions. */
  label: string | null;
}

/** Buckets a time series returns at most (the newest ones). */
export const MAX_TIME_BUCKETS = 1000;

const MICRO = 1_000_000;
/** Body hashes remembered as stored, at most. */
const MAX_REMEMBERED_BODIES = 10_000;

function dimensionExpression(dimension: RequestLogDimension) {
  switch (dimension) {
    case 'provider':
      return sql<string | null>`${sql.ref('provider')}`;
    case 'model':
      return sql<string | null>`coalesce(${sql.ref('model_served')}, ${sql.ref('model_requested')})`;
    case 'virtual_key':
      return sql<string | null>`${sql.ref('virtual_key_id')}`;
    case 'request_kind':
      return sql<string | null>`${sql.ref('request_kind')}`;
    case 'team':
      return sql<string | null>`${sql.ref('team_id')}`;
    case 'customer':
      return sql<string | null>`${sql.ref('customer_id')}`;
    default: {
      const unknown: never = dimension;
      throw new RangeError(`unknown dimension ${String(unknown)}`);
    }
  }
}

/** The aggregate columns of {@link RequestLogTotals} (numbers may come back as text from PostgreSQL). */
function totalsSelection(eb: ExpressionBuilder<HeimdallDatabase, 'request_logs'>) {
  return [
    eb.fn.countAll<number | string>().as('requests'),
    eb.fn.sum<number | string>(eb.case().when(eb.or([eb('status', '>=', 400), eb('error_type', 'is not', null)])).then(1).else(0).end()).as('errors'),
    eb.fn.sum<number | string>('input_tokens').as('input_tokens'),
    eb.fn.sum<number | string>('output_tokens').as('output_tokens'),
    eb.fn.sum<number | string>('cost_micro_usd').as('cost_micro_usd'),
    eb.fn.avg<number | string | null>('latency_ms').as('average_latency_ms'),
  ] as const;
}

function totalsOf(row: {
  requests: number | string | null;
  errors: number | string | null;
  input_tokens: number | string | null;
  output_tokens: number | string | null;
  cost_micro_usd: number | string | null;
  average_latency_ms: number | string | null;
}): RequestLogTotals {
  return {
    requests: Number(row.requests ?? 0),
    errors: Number(row.errors ?? 0),
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    costUsd: Number(row.cost_micro_usd ?? 0) / MICRO,
    averageLatencyMs: row.average_latency_ms === null ? null : Number(row.average_latency_ms),
  };
}

/** SHA-256 of a text (a string's UTF-8, or the bytes as they are), lower-case hex. */
export function contentHash(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The words of a search as an FTS5 query: each word quoted (no operators), all required. */
export function ftsQuery(search: string): string | undefined {
  const words = search.match(/[\p{L}\p{N}_]+/gu);
  if (words === null || words.length === 0) return undefined;
  return words.map((word) => `"${word}"`).join(' ');
}

type RequestLogExpression = ExpressionBuilder<HeimdallDatabase, 'request_logs'>;

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    return undefined;
  }
  return undefined;
}

function parseJsonArray<T>(text: string | null): T[] {
  if (text === null) return [];
  try {
    const value = JSON.parse(text) as unknown;
    return Array.isArray(value) ? (value as T[]) : [];
  } catch {
    return [];
  }
}

function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

function summaryFromRow(row: RequestLogTable): RequestLogSummary {
  return {
    id: row.id,
    createdAt: Number(row.created_at),
    virtualKeyId: optional(row.virtual_key_id),
    virtualKeyName: optional(row.virtual_key_name),
    teamId: optional(row.team_id),
    customerId: optional(row.customer_id),
    requestKind: row.request_kind,
    inboundApi: row.inbound_api as RequestLogSummary['inboundApi'],
    provider: optional(row.provider),
    modelRequested: optional(row.model_requested),
    modelServed: optional(row.model_served),
    providerKey: optional(row.provider_key),
    routeName: optional(row.route_name),
    fallbackStep: Number(row.fallback_step),
    attempts: parseJsonArray<LoggedAttempt>(row.attempts),
    status: Number(row.status),
    errorType: optional(row.error_type),
    errorMessage: optional(row.error_message),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    costUsd: Number(row.cost_micro_usd) / MICRO,
    latencyMs: Number(row.latency_ms),
    timeToFirstTokenMs: row.time_to_first_token_ms === null ? undefined : Number(row.time_to_first_token_ms),
    upstreamMs: row.upstream_ms === null ? undefined : Number(row.upstream_ms),
    streaming: Number(row.streaming) === 1,
    stopReason: optional(row.stop_reason),
    droppedFields: parseJsonArray(row.dropped_fields),
    traceId: optional(row.trace_id),
    requestBodyHash: optional(row.request_body_hash),
    responseBodyHash: optional(row.response_body_hash),
    upstreamBodyHash: optional(row.upstream_body_hash),
  };
}

/** Every column of `request_logs`, in the order the SQLite fast path binds them. */
const REQUEST_LOG_COLUMNS = Object.keys({
  id: true,
  created_at: true,
  virtual_key_id: true,
  virtual_key_name: true,
  team_id: true,
  customer_id: true,
  request_kind: true,
  inbound_api: true,
  provider: true,
  model_requested: true,
  model_served: true,
  provider_key: true,
  route_name: true,
  fallback_step: true,
  attempt_count: true,
  attempts: true,
  status: true,
  error_type: true,
  error_message: true,
  input_tokens: true,
  output_tokens: true,
  cache_read_tokens: true,
  cache_write_tokens: true,
  cost_micro_usd: true,
  latency_ms: true,
  time_to_first_token_ms: true,
  upstream_ms: true,
  streaming: true,
  stop_reason: true,
  dropped_fields: true,
  request_body_hash: true,
  response_body_hash: true,
  upstream_body_hash: true,
  trace_id: true,
} satisfies Record<keyof RequestLogTable, true>) as Array<keyof RequestLogTable>;

/**
 * The request log's inserts on SQLite as prepared statements, run in one better-sqlite3
 * transaction per batch: the same rows Kysely would write, without building and preparing the SQL
 * of every multi-row insert again (which cost about as much as the inserts themselves).
 */
interface SqliteLogStatements {
  insertBody: SqliteDatabase.Statement;
  insertRecord: SqliteDatabase.Statement;
  insertSearch: SqliteDatabase.Statement;
  writeBatch: (prepared: readonly PreparedLogRecord[], bodies: ReadonlyMap<string, LogBodyContent>, now: number) => void;
}

function sqliteLogStatements(sqlite: SqliteDatabase.Database): SqliteLogStatements {
  // Bytes are bound as a blob and stored as text (SQLite keeps them as they are: they are valid UTF-8).
  const insertBody = sqlite.prepare('insert into log_bodies (hash, content, size_bytes, created_at) values (?, cast(? as text), ?, ?) on conflict (hash) do nothing');
  const insertRecord = sqlite.prepare(`insert into request_logs (${REQUEST_LOG_COLUMNS.join(', ')}) values (${REQUEST_LOG_COLUMNS.map(() => '?').join(', ')})`);
  const insertSearch = sqlite.prepare('insert into request_log_search (log_id, content) values (?, ?)');
  const writeBatch = sqlite.transaction((prepared: readonly PreparedLogRecord[], bodies: ReadonlyMap<string, LogBodyContent>, now: number) => {
    for (const [hash, content] of bodies) insertBody.run(hash, content, bodyBytes(content), now);
    for (const record of prepared) {
      const row = record.row;
      insertRecord.run(REQUEST_LOG_COLUMNS.map((column) => row[column]));
    }
    for (const record of prepared) if (record.searchText !== '') insertSearch.run(record.row.id, record.searchText);
  });
  return { insertBody, insertRecord, insertSearch, writeBatch };
}

/** A record as a table row (bodies by hash). */
function rowFromRecord(record: RequestLogRecord): RequestLogTable {
  return {
    id: record.id,
    created_at: record.createdAt,
    virtual_key_id: record.virtualKeyId ?? null,
    virtual_key_name: record.virtualKeyName ?? null,
    team_id: record.teamId ?? null,
    customer_id: record.customerId ?? null,
    request_kind: record.requestKind,
    inbound_api: record.inboundApi,
    provider: record.provider ?? null,
    model_requested: record.modelRequested ?? null,
    model_served: record.modelServed ?? null,
    provider_key: record.providerKey ?? null,
    route_name: record.routeName ?? null,
    fallback_step: record.fallbackStep,
    attempt_count: record.attempts.length,
    attempts: record.attempts.length === 0 ? null : JSON.stringify(record.attempts),
    status: record.status,
    error_type: record.errorType ?? null,
    error_message: record.errorMessage === undefined ? null : record.errorMessage.slice(0, 4000),
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cache_read_tokens: record.cacheReadTokens,
    cache_write_tokens: record.cacheWriteTokens,
    cost_micro_usd: Math.round(record.costUsd * MICRO),
    latency_ms: record.latencyMs,
    time_to_first_token_ms: record.timeToFirstTokenMs ?? null,
    upstream_ms: record.upstreamMs ?? null,
    streaming: record.streaming ? 1 : 0,
    stop_reason: record.stopReason ?? null,
    dropped_fields: record.droppedFields.length === 0 ? null : JSON.stringify(record.droppedFields),
    request_body_hash: record.requestBodyHash ?? null,
    response_body_hash: record.responseBodyHash ?? null,
    upstream_body_hash: record.upstreamBodyHash ?? null,
    trace_id: record.traceId ?? null,
  };
}

/** One record prepared for writing: its row, bodies and search text. */
export interface PreparedLogRecord {
  row: RequestLogTable;
  /** Text, or valid UTF-8 bytes (stored as text without being decoded here). */
  bodies: Array<{ hash: string; content: LogBodyContent }>;
  /** Text for the full-text index; empty = not indexed. */
  searchText: string;
}

/** A log body's content: text, or valid UTF-8 bytes of text. */
type LogBodyContent = string | Buffer;

/** A body's content as text (for stores that take strings only). */
function bodyText(content: LogBodyContent): string {
  return typeof content === 'string' ? content : content.toString('utf8');
}

/** A body's size, UTF-8 bytes. */
function bodyBytes(content: LogBodyContent): number {
  return typeof content === 'string' ? Buffer.byteLength(content) : content.length;
}

/** The text of an Anthropic content value (string or blocks): text, thinking, tool inputs and results. */
function contentText(content: unknown, into: string[]): void {
  if (typeof content === 'string') {
    into.push(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const block of content as unknown[]) {
    if (typeof block !== 'object' || block === null) continue;
    const value = block as Record<string, unknown>;
    if (typeof value.text === 'string') into.push(value.text);
    if (typeof value.thinking === 'string') into.push(value.thinking);
    if (value.input !== undefined) into.push(JSON.stringify(value.input));
    if (value.content !== undefined) contentText(value.content, into);
  }
}

/** Largest text indexed per record, characters. */
const MAX_SEARCH_TEXT_CHARS = 256 * 1024;

/**
 * What is indexed for search: the request's last message (the new turn — earlier turns were
 * indexed with the requests that carried them, so a conversation's index grows linearly, not
 * quadratically) and the whole answer. System prompts are not indexed: they are mostly the same
 * client boilerplate on every request and cost more to index than everything else together.
 */
export function searchTextOf(request: string | Readonly<Record<string, unknown>> | undefined, response: unknown): string {
  const parts: string[] = [];
  if (request !== undefined) {
    try {
      const root = typeof request === 'string' ? (JSON.parse(request) as Record<string, unknown>) : request;
      const messages = Array.isArray(root.messages) ? (root.messages as unknown[]) : [];
      const last = messages[messages.length - 1];
      if (typeof last === 'object' && last !== null) contentText((last as Record<string, unknown>).content, parts);
    } catch {
      if (typeof request === 'string') parts.push(request.slice(0, MAX_SEARCH_TEXT_CHARS));
    }
  }
  if (typeof response === 'object' && response !== null) {
    const value = response as Record<string, unknown>;
    contentText(value.content, parts);
    if (typeof value.error === 'object' && value.error !== null) contentText([value.error], parts);
  }
  const text = parts.join('\n');
  return text.length > MAX_SEARCH_TEXT_CHARS ? text.slice(0, MAX_SEARCH_TEXT_CHARS) : text;
}

/**
 * Hashes bodies and builds the row and search text (CPU work done off the request path, at flush).
 * @param known hashes whose content is already stored: their text is not decoded again
 */
export function prepareLogRecord(record: RequestLogRecord, known: ReadonlySet<string> = new Set()): PreparedLogRecord {
  const bodies: PreparedLogRecord['bodies'] = [];
  if (record.requestBodyBytes !== undefined) {
    const bytes = record.requestBodyBytes;
    record.requestBodyHash = contentHash(bytes);
    // Valid UTF-8 is stored as it came (not decoded into a string here); anything else as its decoding.
    if (!known.has(record.requestBodyHash)) bodies.push({ hash: record.requestBodyHash, content: storableUtf8(bytes) });
  } else if (record.requestBody !== undefined) {
    record.requestBodyHash = contentHash(record.requestBody);
    bodies.push({ hash: record.requestBodyHash, content: record.requestBody });
  }
  if (record.responseBody !== undefined) {
    const text = JSON.stringify(record.responseBody);
    record.responseBodyHash = contentHash(text);
    bodies.push({ hash: record.responseBodyHash, content: text });
  }
  const upstream =
    record.upstream !== undefined
      ? loggedExchangeBytes(record.upstream)
      : record.upstreamCaptures === undefined
        ? undefined
        : upstreamExchangeBytes(record.upstreamCaptures, record.requestBodyBytes);
  if (upstream !== undefined) {
    const bytes = encodeUpstreamExchanges(upstream);
    record.upstreamBodyHash = contentHash(bytes);
    bodies.push({ hash: record.upstreamBodyHash, content: bytes });
  }
  return { row: rowFromRecord(record), bodies, searchText: record.searchText ?? searchTextOf(record.requestBody, record.responseBody) };
}

/** Where request-log records are written and read. */
export interface RequestLogWriter {
  /** Writes one batch (one transaction). */
  write(batch: readonly RequestLogRecord[]): Promise<void>;
}

/** The request log on the Heimdall store. */
export class RequestLogStore implements RequestLogWriter {
  /**
   * Hashes of bodies this process stored (bounded): their content is not sent to the database
   * again. A body another replica's purge removed meanwhile shows as absent in `get`.
   */
  private readonly storedBodies = new Set<string>();
  /** Prepared inserts on SQLite (made at the first write); absent on PostgreSQL. */
  private sqliteStatements: SqliteLogStatements | undefined;
  /** Where writes and the purge run when {@link startWriterThread} started one. */
  private writerThread: RequestLogWriterThread | undefined;

  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    readonly backend: DatabaseBackend,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * Moves writes and the retention purge of a SQLite file store to a worker thread with its own
   * connection (see `request-log-writer-thread.ts`); reads stay here. Nothing changes for
   * PostgreSQL (its writes are already off the event loop but for the protocol work) or an
   * in-memory database (another connection would not see it).
   * @returns whether a thread was started
   */
  startWriterThread(): boolean {
    if (this.writerThread !== undefined) return true;
    const sqlite = this.backend === 'sqlite' ? sqliteConnectionOf(this.database) : undefined;
    if (sqlite === undefined || sqlite.memory) return false;
    this.writerThread = new RequestLogWriterThread(sqlite.name, { writeHere: (batch) => this.writeHere(batch), purgeHere: (before) => this.purgeHere(before) });
    return true;
  }

  /** Stops the writer thread, if any, after the writes already handed to it (graceful shutdown). */
  async stopWriterThread(): Promise<void> {
    const thread = this.writerThread;
    this.writerThread = undefined;
    await thread?.close();
  }

  async write(batch: readonly RequestLogRecord[]): Promise<void> {
    if (batch.length === 0) return;
    if (this.writerThread !== undefined) return this.writerThread.write(batch, this.clock());
    return this.writeHere(batch);
  }

  private async writeHere(batch: readonly RequestLogRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const prepared = batch.map((record) => prepareLogRecord(record, this.storedBodies));
    const now = this.clock();
    const bodies = new Map<string, LogBodyContent>();
    for (const record of prepared) for (const body of record.bodies) if (!this.storedBodies.has(body.hash)) bodies.set(body.hash, body.content);
    const sqlite = this.backend === 'sqlite' ? sqliteConnectionOf(this.database) : undefined;
    if (sqlite !== undefined) {
      // Holding Kysely's one connection: no other caller's transaction is open on it meanwhile.
      await this.database.connection().execute(async () => {
        this.sqliteStatements ??= sqliteLogStatements(sqlite);
        this.sqliteStatements.writeBatch(prepared, bodies, now);
      });
    } else await this.writeWithKysely(prepared, bodies, now);
    if (this.storedBodies.size + bodies.size > MAX_REMEMBERED_BODIES) this.storedBodies.clear();
    for (const hash of bodies.keys()) this.storedBodies.add(hash);
  }

  private async writeWithKysely(prepared: readonly PreparedLogRecord[], bodies: ReadonlyMap<string, LogBodyContent>, now: number): Promise<void> {
    await this.database.transaction().execute(async (transaction) => {
      const bodyRows = [...bodies].map(([hash, content]) => ({ hash, content: bodyText(content), size_bytes: bodyBytes(content), created_at: now }));
      for (let start = 0; start < bodyRows.length; start += 100) {
        await transaction
          .insertInto('log_bodies')
          .values(bodyRows.slice(start, start + 100))
          .onConflict((conflict) => conflict.column('hash').doNothing())
          .execute();
      }
      // 37 columns a row: 25 rows stay under SQLite's 999-parameter limit of older builds.
      for (let start = 0; start < prepared.length; start += 25) {
        await transaction
          .insertInto('request_logs')
          .values(prepared.slice(start, start + 25).map((record) => record.row))
          .execute();
      }
      const searchable = prepared.filter((record) => record.searchText !== '');
      for (let start = 0; start < searchable.length; start += 200) {
        const rows = searchable.slice(start, start + 200);
        const values =
          this.backend === 'postgres'
            ? sql.join(rows.map((record) => sql`(${record.row.id}, to_tsvector('simple', ${record.searchText}))`))
            : sql.join(rows.map((record) => sql`(${record.row.id}, ${record.searchText})`));
        const columns = this.backend === 'postgres' ? sql`(log_id, document)` : sql`(log_id, content)`;
        await sql`insert into request_log_search ${columns} values ${values}`.execute(transaction);
      }
    });
  }

  private whereFilter(filter: RequestLogFilter): (builder: RequestLogExpression) => Expression<SqlBool> {
    return (builder) => {
      const conditions: Array<Expression<SqlBool>> = [];
      const { eb } = { eb: builder };
      if (filter.from !== undefined) conditions.push(eb('created_at', '>=', filter.from));
      if (filter.to !== undefined) conditions.push(eb('created_at', '<', filter.to));
      if (filter.provider !== undefined) conditions.push(eb('provider', '=', filter.provider));
      if (filter.model !== undefined) conditions.push(eb.or([eb('model_served', '=', filter.model), eb('model_requested', '=', filter.model)]));
      if (filter.virtualKey !== undefined) conditions.push(eb.or([eb('virtual_key_id', '=', filter.virtualKey), eb('virtual_key_name', '=', filter.virtualKey)]));
      if (filter.team !== undefined) conditions.push(eb('team_id', '=', filter.team));
      if (filter.customer !== undefined) conditions.push(eb('customer_id', '=', filter.customer));
      if (filter.requestKind !== undefined) conditions.push(eb('request_kind', '=', filter.requestKind));
      if (filter.inboundApi !== undefined) conditions.push(eb('inbound_api', '=', filter.inboundApi));
      if (filter.status === 'error') conditions.push(eb.or([eb('status', '>=', 400), eb('error_type', 'is not', null)]));
      else if (filter.status === 'success') conditions.push(eb.and([eb('status', '<', 400), eb('error_type', 'is', null)]));
      else if (filter.status !== undefined) conditions.push(eb('status', '=', Number(filter.status)));
      if (filter.minCostUsd !== undefined) conditions.push(eb('cost_micro_usd', '>=', Math.round(filter.minCostUsd * MICRO)));
      if (filter.maxCostUsd !== undefined) conditions.push(eb('cost_micro_usd', '<=', Math.round(filter.maxCostUsd * MICRO)));
      if (filter.minLatencyMs !== undefined) conditions.push(eb('latency_ms', '>=', filter.minLatencyMs));
      if (filter.maxLatencyMs !== undefined) conditions.push(eb('latency_ms', '<=', filter.maxLatencyMs));
      if (filter.search !== undefined) {
        if (this.backend === 'postgres') {
          conditions.push(eb('id', 'in', sql<string>`(select log_id from request_log_search where document @@ plainto_tsquery('simple', ${filter.search}))`));
        } else {
          const query = ftsQuery(filter.search);
          if (query !== undefined) conditions.push(eb('id', 'in', sql<string>`(select log_id from request_log_search where request_log_search match ${query})`));
        }
      }
      return eb.and(conditions);
    };
  }

  /**
   * A page of records matching `filter`, newest first.
   * @param limit records per page (1–1000)
   */
  async list(filter: RequestLogFilter, limit: number, cursor?: string): Promise<RequestLogPage> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    let query = this.database.selectFrom('request_logs').selectAll().where(this.whereFilter(filter));
    if (after !== undefined) {
      const [createdAt, id] = after;
      query = query.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1).execute();
    const records = rows.slice(0, limit).map(summaryFromRow);
    const last = records[records.length - 1];
    return { records, ...(rows.length > limit && last !== undefined ? { nextCursor: encodeCursor(last.createdAt, last.id) } : {}) };
  }

  /** Aggregates over `filter` (percentiles by nearest rank). */
  async stats(filter: RequestLogFilter): Promise<RequestLogStats> {
    const where = this.whereFilter(filter);
    const totals = await this.database
      .selectFrom('request_logs')
      .where(where)
      .select((eb) => [
        eb.fn.countAll<number>().as('requests'),
        eb.fn.sum<number>(eb.case().when(eb.or([eb('status', '>=', 400), eb('error_type', 'is not', null)])).then(1).else(0).end()).as('errors'),
        eb.fn.sum<number>('input_tokens').as('input_tokens'),
        eb.fn.sum<number>('output_tokens').as('output_tokens'),
        eb.fn.sum<number>('cache_read_tokens').as('cache_read_tokens'),
        eb.fn.sum<number>('cache_write_tokens').as('cache_write_tokens'),
        eb.fn.sum<number>('cost_micro_usd').as('cost_micro_usd'),
        eb.fn.avg<number>('latency_ms').as('average_latency_ms'),
        eb.fn.count<number>('time_to_first_token_ms').as('ttft_count'),
      ])
      .executeTakeFirstOrThrow();
    const requests = Number(totals.requests ?? 0);
    const ttftCount = Number(totals.ttft_count ?? 0);
    const percentile = async (column: 'latency_ms' | 'time_to_first_token_ms', count: number, fraction: number): Promise<number | null> => {
      if (count === 0) return null;
      const offset = Math.min(count - 1, Math.max(0, Math.ceil(fraction * count) - 1));
      const row = await this.database
        .selectFrom('request_logs')
        .where(where)
        .where(column, 'is not', null)
        .select(column)
        .orderBy(column, 'asc')
        .limit(1)
        .offset(offset)
        .executeTakeFirst();
      const value = row?.[column];
      return value === undefined || value === null ? null : Number(value);
    };
    const errors = Number(totals.errors ?? 0);
    return {
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      inputTokens: Number(totals.input_tokens ?? 0),
      outputTokens: Number(totals.output_tokens ?? 0),
      cacheReadTokens: Number(totals.cache_read_tokens ?? 0),
      cacheWriteTokens: Number(totals.cache_write_tokens ?? 0),
      costUsd: Number(totals.cost_micro_usd ?? 0) / MICRO,
      latencyMs: {
        p50: await percentile('latency_ms', requests, 0.5),
        p90: await percentile('latency_ms', requests, 0.9),
        p99: await percentile('latency_ms', requests, 0.99),
        average: totals.average_latency_ms === null || totals.average_latency_ms === undefined ? null : Number(totals.average_latency_ms),
      },
      timeToFirstTokenMs: {
        p50: await percentile('time_to_first_token_ms', ttftCount, 0.5),
        p90: await percentile('time_to_first_token_ms', ttftCount, 0.9),
        p99: await percentile('time_to_first_token_ms', ttftCount, 0.99),
      },
    };
  }

  /**
   * Totals per time bucket of `bucketMs` (buckets aligned on multiples of it since the epoch),
   * oldest first; buckets without requests are left out; at most {@link MAX_TIME_BUCKETS}, the newest.
   * @param bucketMs whole ms, at least 1000
   */
  async timeSeries(filter: RequestLogFilter, bucketMs: number): Promise<RequestLogBucket[]> {
    if (!Number.isInteger(bucketMs) || bucketMs < 1000) throw new RangeError(`bucket length must be a whole number of ms, at least 1000 (got ${bucketMs})`);
    const bucket = sql<number | string>`(${sql.ref('created_at')} / ${sql.lit(bucketMs)}) * ${sql.lit(bucketMs)}`;
    const rows = await this.database
      .selectFrom('request_logs')
      .where(this.whereFilter(filter))
      .select((eb) => [bucket.as('bucket'), ...totalsSelection(eb)])
      .groupBy(bucket)
      .orderBy(bucket, 'desc')
      .limit(MAX_TIME_BUCKETS)
      .execute();
    return rows.map((row) => ({ start: Number(row.bucket), ...totalsOf(row) })).reverse();
  }

  /**
   * Totals per value of `dimension`, the costliest first (then the most requests), at most `limit` groups.
   * @param limit groups, 1–100
   */
  async breakdown(filter: RequestLogFilter, dimension: RequestLogDimension, limit: number): Promise<RequestLogGroup[]> {
    const key = dimensionExpression(dimension);
    const label = dimension === 'virtual_key' ? sql<string | null>`max(${sql.ref('virtual_key_name')})` : key;
    const rows = await this.database
      .selectFrom('request_logs')
      .where(this.whereFilter(filter))
      .select((eb) => [key.as('key'), label.as('label'), ...totalsSelection(eb)])
      .groupBy(key)
      .orderBy(sql`sum(${sql.ref('cost_micro_usd')})`, 'desc')
      .orderBy(sql`count(*)`, 'desc')
      .limit(Math.max(1, Math.min(100, Math.floor(limit))))
      .execute();
    return rows.map((row) => ({ key: row.key ?? null, label: row.label ?? null, ...totalsOf(row) }));
  }

  /** One record with its bodies (`requestBody` as stored text, `responseBody` parsed), or undefined. */
  async get(id: string): Promise<RequestLogRecord | undefined> {
    const row = await this.database.selectFrom('request_logs').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const record: RequestLogRecord = { ...summaryFromRow(row) };
    const hashes = [row.request_body_hash, row.response_body_hash, row.upstream_body_hash].filter((hash): hash is string => hash !== null);
    if (hashes.length > 0) {
      const bodies = await this.database.selectFrom('log_bodies').select(['hash', 'content']).where('hash', 'in', hashes).execute();
      const byHash = new Map(bodies.map((body) => [body.hash, body.content]));
      if (row.request_body_hash !== null) record.requestBody = byHash.get(row.request_body_hash);
      if (row.response_body_hash !== null) {
        const text = byHash.get(row.response_body_hash);
        if (text !== undefined) record.responseBody = JSON.parse(text) as unknown;
      }
      if (row.upstream_body_hash !== null) {
        const text = byHash.get(row.upstream_body_hash);
        if (text !== undefined) record.upstream = decodeUpstreamExchanges(text, record.requestBody);
      }
    }
    return record;
  }

  /**
   * Deletes records older than `before` (ms since the epoch), their search entries and the bodies
   * no remaining record uses.
   * @returns how many records were deleted
   */
  async purge(before: number): Promise<number> {
    if (this.writerThread !== undefined) return this.writerThread.purge(before);
    return this.purgeHere(before);
  }

  private async purgeHere(before: number): Promise<number> {
    this.storedBodies.clear();
    return this.database.transaction().execute(async (transaction) => {
      const deleted = await transaction.deleteFrom('request_logs').where('created_at', '<', before).executeTakeFirst();
      const count = Number(deleted.numDeletedRows);
      if (count > 0) {
        await sql`delete from request_log_search where log_id not in (select id from request_logs)`.execute(transaction);
        await transaction
          .deleteFrom('log_bodies')
          .where('created_at', '<', before)
          .where((eb) =>
            eb.and([
              eb('hash', 'not in', eb.selectFrom('request_logs').select('request_body_hash').where('request_body_hash', 'is not', null).$narrowType<{ request_body_hash: string }>()),
              eb('hash', 'not in', eb.selectFrom('request_logs').select('response_body_hash').where('response_body_hash', 'is not', null).$narrowType<{ response_body_hash: string }>()),
              eb('hash', 'not in', eb.selectFrom('request_logs').select('upstream_body_hash').where('upstream_body_hash', 'is not', null).$narrowType<{ upstream_body_hash: string }>()),
            ]),
          )
          .execute();
      }
      return count;
    });
  }
}
