import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { HeimdallDatabase } from './database-schema.js';
import { staticMigrationProvider } from './migration-provider.js';
import { StorageError } from './storage-errors.js';

/** Which database engine a store runs on. */
export type DatabaseBackend = 'sqlite' | 'postgres';

/** An open, migrated database. */
export interface DatabaseHandle {
  database: Kysely<HeimdallDatabase>;
  backend: DatabaseBackend;
  /** Where the data lives, safe to print: the SQLite path, or the PostgreSQL URL without its password. */
  location: string;
  /** Closes the connection pool / file. */
  close(): Promise<void>;
}

/** The better-sqlite3 connection under each SQLite-backed Kysely instance {@link openDatabase} made. */
const sqliteConnections = new WeakMap<Kysely<HeimdallDatabase>, SqliteDatabase.Database>();

/**
 * The better-sqlite3 connection under a SQLite store opened by {@link openDatabase}, for hot
 * writers that keep prepared statements (the request log); undefined for PostgreSQL or a Kysely
 * instance made elsewhere. Use it only while holding Kysely's connection
 * (`database.connection().execute(…)`), so that it never runs inside another caller's transaction.
 */
export function sqliteConnectionOf(database: Kysely<HeimdallDatabase>): SqliteDatabase.Database | undefined {
  return sqliteConnections.get(database);
}

/** The SQLite file used when no database URL is given. */
export const DEFAULT_SQLITE_FILE_NAME = 'heimdall.db';

/** What {@link openDatabase} needs. */
export interface OpenDatabaseOptions {
  /**
   * `postgres://…` / `postgresql://…` for PostgreSQL; `sqlite:<path>` (or `sqlite::memory:`) for a
   * SQLite file elsewhere; absent for `<appDirectory>/heimdall.db`.
   */
  url?: string;
  /** The app directory, where the default SQLite file lives. */
  appDirectory: string;
  /** Largest number of PostgreSQL connections in the pool. Default 10. */
  postgresPoolSize?: number;
}

/**
 * A URL with its password replaced by `****`, for logs and error messages. Text that is not a URL
 * comes back unchanged.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '****';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Whether a database URL names PostgreSQL. */
export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/** PostgreSQL type OIDs whose text form Heimdall reads as numbers: int8 (bigint, `count`, `sum` of int) and numeric (`sum` of bigint). */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

function postgresTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
  return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
}

/**
 * Opens the database named by `options.url` (SQLite in the app directory by default), then brings
 * its schema to the latest migration. Concurrent starts are safe: Kysely's migrator takes a lock
 * (an advisory lock on PostgreSQL).
 *
 * Numbers: PostgreSQL `bigint` and `numeric` values are read as JavaScript numbers (times in ms and
 * micro-USD sums stay far below 2^53).
 *
 * @throws StorageError when the database cannot be reached or a migration fails (the message
 *   carries the redacted location, never a password)
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const url = options.url;
  let handle: DatabaseHandle;
  if (url !== undefined && isPostgresUrl(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.postgresPoolSize ?? 10,
      types: { getTypeParser: postgresTypeParser as typeof pg.types.getTypeParser },
    });
    // An idle pooled connection that the server closes (a restart, a failover, an administrator's
    // termination) makes the pool emit 'error'; unhandled, that event would end the process. The
    // pool drops that connection and opens another on the next query, so a warning is enough.
    pool.on('error', (error) => {
      console.warn(`[heimdall] PostgreSQL connection lost (${redactUrl(url)}): ${error.message}`);
    });
    const database = new Kysely<HeimdallDatabase>({ dialect: new PostgresDialect({ pool }) });
    handle = { database, backend: 'postgres', location: redactUrl(url), close: () => database.destroy() };
  } else {
    let path: string;
    if (url === undefined) path = join(options.appDirectory, DEFAULT_SQLITE_FILE_NAME);
    else if (url.startsWith('sqlite:')) path = url.slice('sqlite:'.length);
    else throw new StorageError(`unsupported database URL '${redactUrl(url)}': use postgres://… or sqlite:<path>`);
    if (path !== ':memory:') {
      path = resolve(path);
      mkdirSync(dirname(path), { recursive: true });
    }
    let sqlite: SqliteDatabase.Database;
    try {
      sqlite = new SqliteDatabase(path);
    } catch (error) {
      throw new StorageError(`cannot open SQLite database ${path}: ${(error as Error).message}`, { cause: error });
    }
    // WAL lets readers run beside the writer; the busy timeout rides out a concurrent writer
    // (another process on the same file) instead of failing at once.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    const database = new Kysely<HeimdallDatabase>({ dialect: new SqliteDialect({ database: sqlite }) });
    sqliteConnections.set(database, sqlite);
    handle = { database, backend: 'sqlite', location: path, close: () => database.destroy() };
  }
  try {
    await migrateToLatest(handle.database);
  } catch (error) {
    await handle.close().catch(() => undefined);
    if (error instanceof StorageError) throw error;
    throw new StorageError(`cannot prepare the ${handle.backend} database at ${handle.location}: ${describeError(error)}`, { cause: error });
  }
  return handle;
}

/**
 * Runs every pending migration.
 * @throws StorageError naming the failed migration
 */
export async function migrateToLatest(database: Kysely<HeimdallDatabase>): Promise<void> {
  const migrator = new Migrator({ db: database, provider: staticMigrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error === undefined) return;
  const failed = results?.find((result) => result.status === 'Error')?.migrationName ?? '(migration lock or setup)';
  throw new StorageError(`database migration ${failed} failed: ${describeError(error)}`, { cause: error });
}

function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) return error.message;
  return String(error);
}
