import { sql, type Kysely } from 'kysely';

/**
 * The request log (`src/observability/logs/`): one row per request, bodies stored once by SHA-256
 * (`log_bodies`), and the store's own full-text index over the text of each request's new turn and
 * its answer — SQLite FTS5 (`request_log_search`, unicode61 tokenizer), PostgreSQL `tsvector` with a
 * GIN index (`simple` configuration: no stemming, like FTS5's tokenizer). Never edit a migration
 * that has shipped; add the next one instead.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('request_logs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('virtual_key_id', 'text')
    .addColumn('virtual_key_name', 'text')
    .addColumn('team_id', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('request_kind', 'text', (column) => column.notNull())
    .addColumn('inbound_api', 'text', (column) => column.notNull())
    .addColumn('provider', 'text')
    .addColumn('model_requested', 'text')
    .addColumn('model_served', 'text')
    .addColumn('provider_key', 'text')
    .addColumn('route_name', 'text')
    .addColumn('fallback_step', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('attempt_count', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('attempts', 'text')
    .addColumn('status', 'integer', (column) => column.notNull())
    .addColumn('error_type', 'text')
    .addColumn('error_message', 'text')
    .addColumn('input_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('output_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('cache_read_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('cache_write_tokens', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('cost_micro_usd', 'bigint', (column) => column.notNull().defaultTo(0))
    .addColumn('latency_ms', 'double precision', (column) => column.notNull())
    .addColumn('time_to_first_token_ms', 'double precision')
    .addColumn('upstream_ms', 'double precision')
    .addColumn('streaming', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('stop_reason', 'text')
    .addColumn('dropped_fields', 'text')
    .addColumn('request_body_hash', 'text')
    .addColumn('response_body_hash', 'text')
    .addColumn('trace_id', 'text')
    .execute();
  for (const column of ['created_at', 'provider', 'model_served', 'virtual_key_id', 'team_id', 'status', 'request_kind']) {
    await database.schema.createIndex(`request_logs_${column}`).on('request_logs').column(column).execute();
  }

  await database.schema
    .createTable('log_bodies')
    .addColumn('hash', 'text', (column) => column.primaryKey())
    .addColumn('content', 'text', (column) => column.notNull())
    .addColumn('size_bytes', 'bigint', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .execute();
  await database.schema.createIndex('log_bodies_created_at').on('log_bodies').column('created_at').execute();

  if (await isPostgres(database)) {
    await sql`create table request_log_search (log_id text primary key, document tsvector not null)`.execute(database);
    await sql`create index request_log_search_document on request_log_search using gin (document)`.execute(database);
  } else {
    await sql`create virtual table request_log_search using fts5(log_id unindexed, content, tokenize = 'unicode61')`.execute(database);
  }
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists request_log_search`.execute(database);
  await database.schema.dropTable('log_bodies').ifExists().execute();
  await database.schema.dropTable('request_logs').ifExists().execute();
}

/** Whether the migration runs on PostgreSQL (Kysely migrations get no dialect name). */
async function isPostgres(database: Kysely<unknown>): Promise<boolean> {
  try {
    await sql`select version()`.execute(database);
    return true;
  } catch {
    return false;
  }
}
