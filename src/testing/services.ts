import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * The external services some tests run against: PostgreSQL and Redis. Where a service is
 * unreachable those tests skip with a notice, and fail instead when `HEIMDALL_REQUIRE_SERVICES=1`
 * (CI sets it). Each test run works in its own scratch database / key prefix and removes it after.
 *
 * Locally: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` and
 * `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`.
 */

/** PostgreSQL server used by tests (trust auth); `HEIMDALL_TEST_POSTGRES_URL` overrides. */
export const POSTGRES_TEST_URL = process.env.HEIMDALL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Redis server used by tests; `HEIMDALL_TEST_REDIS_URL` overrides. */
export const REDIS_TEST_URL = process.env.HEIMDALL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const PROBE_TIMEOUT_MS = 2_000;

let postgresProbe: Promise<string | undefined> | undefined;
let redisProbe: Promise<string | undefined> | undefined;

/** Why PostgreSQL is unusable, or undefined when it answers. */
function probePostgres(): Promise<string | undefined> {
  postgresProbe ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_TEST_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    try {
      await client.connect();
      await client.query('select 1');
      return undefined;
    } catch (error) {
      return (error as Error).message || String(error);
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return postgresProbe;
}

/** Why Redis is unusable, or undefined when it answers. */
function probeRedis(): Promise<string | undefined> {
  redisProbe ??= (async () => {
    const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
    let cause: Error | undefined;
    redis.on('error', (error: Error) => {
      cause ??= error;
    });
    try {
      await redis.connect();
      await redis.ping();
      return undefined;
    } catch (error) {
      return (cause ?? (error as Error)).message || String(error);
    } finally {
      redis.disconnect();
    }
  })();
  return redisProbe;
}

function skipOrFail(service: string, url: string, problem: string | undefined): false | string {
  if (problem === undefined) return false;
  const notice = `${service} unreachable at ${url} (${problem})`;
  if (process.env.HEIMDALL_REQUIRE_SERVICES === '1') throw new Error(`HEIMDALL_REQUIRE_SERVICES=1 but ${notice}`);
  return `${notice}; start it to run these tests`;
}

/**
 * The `skip` option for tests that need PostgreSQL: false when it answers, otherwise the notice.
 * @throws Error when it is unreachable and `HEIMDALL_REQUIRE_SERVICES=1`
 */
export async function skipWithoutPostgres(): Promise<false | string> {
  return skipOrFail('PostgreSQL', POSTGRES_TEST_URL, await probePostgres());
}

/**
 * The `skip` option for tests that need Redis: false when it answers, otherwise the notice.
 * @throws Error when it is unreachable and `HEIMDALL_REQUIRE_SERVICES=1`
 */
export async function skipWithoutRedis(): Promise<false | string> {
  return skipOrFail('Redis', REDIS_TEST_URL, await probeRedis());
}

/** A database created for one test run. */
export interface ScratchPostgresDatabase {
  /** URL of the scratch database. */
  url: string;
  /** Drops the database (closing anything still connected to it). */
  drop(): Promise<void>;
}

/** Creates an empty database `heimdall_test_<random>` on the test server. */
export async function createScratchPostgresDatabase(): Promise<ScratchPostgresDatabase> {
  const name = `heimdall_test_${randomBytes(6).toString('hex')}`;
  // CREATE DATABASE copies template1 and fails (55006, "source database is being accessed by other
  // users") while another test file is creating a database at the same moment: retry briefly.
  for (let attempt = 1; ; attempt += 1) {
    const admin = new pg.Client({ connectionString: POSTGRES_TEST_URL });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
      break;
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
      if (code !== '55006' || attempt >= 20) throw error;
    } finally {
      await admin.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
  const url = new URL(POSTGRES_TEST_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = new pg.Client({ connectionString: POSTGRES_TEST_URL });
      await dropper.connect();
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** A fresh key prefix for one test run: `heimdall-test-<random>:`. */
export function scratchRedisPrefix(): string {
  return `heimdall-test-${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix` on the test Redis. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
