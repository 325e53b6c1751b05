import { Redis, type Result } from 'ioredis';
import { redactUrl } from '../open-database.js';
import { StorageError } from '../storage-errors.js';
import {
  WINDOW_RETENTION_MS,
  type BudgetCounterState,
  type BudgetReservationOutcome,
  type BudgetSettlementOutcome,
  type BudgetWindow,
  type CounterStore,
  type RateAdmissionOutcome,
  type RateCounterState,
  type RateWindow,
} from './counter-store.js';

/**
 * Counters in Redis, shared by every replica. Each operation is one Lua script (registered with
 * `defineCommand`, so it runs by `EVALSHA`), and Redis runs a script without interleaving any
 * other command: the check and the update of all counters happen as one step, with no
 * read-modify-write race between replicas.
 *
 * Keys (all under the configured prefix):
 *
 *     b:<budgetId>:s:<windowStartMs>  spend in that window, integer micro-USD (absent = not initialized)
 *     b:<budgetId>:r                  hash reservationId → micro-USD held
 *     b:<budgetId>:x                  sorted set reservationId → expiry ms
 *     b:<budgetId>:t                  total micro-USD held (sum of the hash)
 *     rl:<rateLimitId>:<windowStartMs> hash { r: requests, t: tokens }
 *
 * Every key carries a TTL (window end or last reservation expiry, plus a margin), so nothing grows
 * without bound. A Redis Cluster is not supported (the scripts touch keys of several budgets);
 * use a single Redis or a Sentinel setup.
 */

/** Integers are passed to Redis as decimal strings (Lua would print large numbers as `1e+15`). */
function integerArgument(value: number): string {
  return Math.round(value).toString(10);
}

const RESERVE_BUDGETS = `
local now = tonumber(ARGV[1])
local reservation = ARGV[2]
local amount = tonumber(ARGV[3])
local expiresAt = tonumber(ARGV[4])
local keep = tonumber(ARGV[5])
local count = #KEYS / 4
local missing = {}
for i = 0, count - 1 do
  local held, expiries, total = KEYS[i * 4 + 2], KEYS[i * 4 + 3], KEYS[i * 4 + 4]
  local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
  for _, old in ipairs(expired) do
    local value = redis.call('HGET', held, old)
    if value then redis.call('DECRBY', total, value) end
    redis.call('HDEL', held, old)
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now) end
  if redis.call('EXISTS', KEYS[i * 4 + 1]) == 0 then missing[#missing + 1] = i end
end
if #missing > 0 then return {'uninitialized', unpack(missing)} end
for i = 0, count - 1 do
  local spent = tonumber(redis.call('GET', KEYS[i * 4 + 1]))
  local reserved = tonumber(redis.call('GET', KEYS[i * 4 + 4]) or '0')
  local limit = tonumber(ARGV[6 + i])
  if spent + reserved + amount > limit or spent + reserved >= limit then
    return {'refused', i, spent, reserved}
  end
end
for i = 0, count - 1 do
  redis.call('HSET', KEYS[i * 4 + 2], reservation, ARGV[3])
  redis.call('ZADD', KEYS[i * 4 + 3], expiresAt, reservation)
  redis.call('INCRBY', KEYS[i * 4 + 4], ARGV[3])
  for k = 2, 4 do
    if redis.call('PTTL', KEYS[i * 4 + k]) < keep then redis.call('PEXPIRE', KEYS[i * 4 + k], keep) end
  end
end
return {'reserved'}
`;

const SETTLE_BUDGETS = `
local reservation = ARGV[2]
local charge = tonumber(ARGV[3])
local count = #KEYS / 4
for i = 0, count - 1 do
  local held = redis.call('HGET', KEYS[i * 4 + 2], reservation)
  if held then
    redis.call('DECRBY', KEYS[i * 4 + 4], held)
    redis.call('HDEL', KEYS[i * 4 + 2], reservation)
    redis.call('ZREM', KEYS[i * 4 + 3], reservation)
  end
end
if charge == 0 then return {'settled'} end
local missing = {}
for i = 0, count - 1 do
  if redis.call('EXISTS', KEYS[i * 4 + 1]) == 0 then missing[#missing + 1] = i end
end
if #missing > 0 then return {'uninitialized', unpack(missing)} end
for i = 0, count - 1 do redis.call('INCRBY', KEYS[i * 4 + 1], ARGV[3]) end
return {'settled'}
`;

const READ_BUDGETS = `
local now = tonumber(ARGV[1])
local count = #KEYS / 4
local result = {}
for i = 0, count - 1 do
  local held, expiries, total = KEYS[i * 4 + 2], KEYS[i * 4 + 3], KEYS[i * 4 + 4]
  local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
  for _, old in ipairs(expired) do
    local value = redis.call('HGET', held, old)
    if value then redis.call('DECRBY', total, value) end
    redis.call('HDEL', held, old)
  end
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now) end
  result[#result + 1] = tonumber(redis.call('GET', KEYS[i * 4 + 1]) or '-1')
  result[#result + 1] = tonumber(redis.call('GET', total) or '0')
end
return result
`;

const ADMIT_RATE = `
local tokens = tonumber(ARGV[1])
for i = 1, #KEYS do
  local counts = redis.call('HMGET', KEYS[i], 'r', 't')
  local requests = tonumber(counts[1] or '0')
  local used = tonumber(counts[2] or '0')
  local maxRequests = tonumber(ARGV[(i - 1) * 3 + 2])
  local maxTokens = tonumber(ARGV[(i - 1) * 3 + 3])
  if maxRequests >= 0 and requests + 1 > maxRequests then return {'refused', i - 1, 'requests', requests, used} end
  if maxTokens >= 0 and used + tokens > maxTokens then return {'refused', i - 1, 'tokens', requests, used} end
end
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'r', 1)
  redis.call('HINCRBY', KEYS[i], 't', ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[(i - 1) * 3 + 4])
end
return {'admitted'}
`;

const ADJUST_RATE_TOKENS = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local tokens = redis.call('HINCRBY', KEYS[i], 't', ARGV[1])
    if tokens < 0 then redis.call('HSET', KEYS[i], 't', 0) end
  end
end
return 1
`;

const READ_RATES = `
local result = {}
for i = 1, #KEYS do
  local counts = redis.call('HMGET', KEYS[i], 'r', 't')
  result[#result + 1] = tonumber(counts[1] or '0')
  result[#result + 1] = tonumber(counts[2] or '0')
end
return result
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    heimdallReserveBudgets(numberOfKeys: number, ...keysAndArguments: string[]): Result<unknown, Context>;
    heimdallSettleBudgets(numberOfKeys: number, ...keysAndArguments: string[]): Result<unknown, Context>;
    heimdallReadBudgets(numberOfKeys: number, ...keysAndArguments: string[]): Result<unknown, Context>;
    heimdallAdmitRate(numberOfKeys: number, ...keysAndArguments: string[]): Result<unknown, Context>;
    heimdallAdjustRateTokens(numberOfKeys: number, ...keysAndArguments: string[]): Result<unknown, Context>;
    heimdallReadRates(numberOfKeys: number, ...keysAndArguments: string[]): Result<unknown, Context>;
  }
}

/** Registers Heimdall's scripts on a connection. */
function defineScripts(redis: Redis): void {
  redis.defineCommand('heimdallReserveBudgets', { lua: RESERVE_BUDGETS });
  redis.defineCommand('heimdallSettleBudgets', { lua: SETTLE_BUDGETS });
  redis.defineCommand('heimdallReadBudgets', { lua: READ_BUDGETS, readOnly: false });
  redis.defineCommand('heimdallAdmitRate', { lua: ADMIT_RATE });
  redis.defineCommand('heimdallAdjustRateTokens', { lua: ADJUST_RATE_TOKENS });
  redis.defineCommand('heimdallReadRates', { lua: READ_RATES, readOnly: true });
}

/** A reply element as a string ('' for anything else). */
function replyString(reply: unknown[], index: number): string {
  const value = reply[index];
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : '';
}

/** A reply element as a number (NaN for anything else). */
function replyNumber(reply: unknown[], index: number): number {
  const value = reply[index];
  return typeof value === 'number' ? value : Number(replyString(reply, index));
}

function asReply(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new StorageError('unexpected reply from Redis counter script');
  return value;
}

/** What {@link RedisCounterStore.connect} needs. */
export interface RedisCounterStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** Prefix of every key, e.g. `heimdall:` (lets several deployments share a Redis). */
  keyPrefix: string;
  /** Receives connection-problem lines (never the URL's password). */
  log?: (line: string) => void;
}

/** Counters in Redis. Create with {@link RedisCounterStore.connect}. */
export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis';
  readonly #redis: Redis;
  readonly #prefix: string;

  private constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /**
   * Connects to Redis and registers the scripts.
   * @throws StorageError when Redis cannot be reached (the message carries the URL without password)
   */
  static async connect(options: RedisCounterStoreOptions): Promise<RedisCounterStore> {
    const redis = createRedisConnection(options.url, options.log);
    try {
      await redis.connect();
    } catch (error) {
      redis.disconnect();
      throw new StorageError(`cannot connect to Redis at ${redactUrl(options.url)}: ${(error as Error).message}`, { cause: error });
    }
    defineScripts(redis);
    return new RedisCounterStore(redis, options.keyPrefix);
  }

  /** The connection (for the change notifier, which publishes on it). */
  get connection(): Redis {
    return this.#redis;
  }

  async reserveBudgets(input: {
    reservationId: string;
    windows: readonly BudgetWindow[];
    amountMicroUsd: number;
    nowMs: number;
    expiresAtMs: number;
  }): Promise<BudgetReservationOutcome> {
    const keep = Math.max(1, input.expiresAtMs - input.nowMs + WINDOW_RETENTION_MS);
    const reply = asReply(
      await this.#redis.heimdallReserveBudgets(
        input.windows.length * 4,
        ...input.windows.flatMap((window) => this.#budgetKeys(window)),
        integerArgument(input.nowMs),
        input.reservationId,
        integerArgument(input.amountMicroUsd),
        integerArgument(input.expiresAtMs),
        integerArgument(keep),
        ...input.windows.map((window) => integerArgument(window.limitMicroUsd)),
      ),
    );
    const status = replyString(reply, 0);
    if (status === 'reserved') return { status: 'reserved' };
    if (status === 'uninitialized') return { status: 'uninitialized', budgetIndices: reply.slice(1).map((_, index) => replyNumber(reply, index + 1)) };
    if (status === 'refused') {
      return { status: 'refused', budgetIndex: replyNumber(reply, 1), spentMicroUsd: replyNumber(reply, 2), reservedMicroUsd: replyNumber(reply, 3) };
    }
    throw new StorageError(`unexpected reply '${status}' from the budget reservation script`);
  }

  async settleBudgets(input: {
    reservationId: string;
    windows: readonly BudgetWindow[];
    chargeMicroUsd: number;
    nowMs: number;
  }): Promise<BudgetSettlementOutcome> {
    const reply = asReply(
      await this.#redis.heimdallSettleBudgets(
        input.windows.length * 4,
        ...input.windows.flatMap((window) => this.#budgetKeys(window)),
        integerArgument(input.nowMs),
        input.reservationId,
        integerArgument(input.chargeMicroUsd),
      ),
    );
    const status = replyString(reply, 0);
    if (status === 'settled') return { status: 'settled' };
    if (status === 'uninitialized') return { status: 'uninitialized', budgetIndices: reply.slice(1).map((_, index) => replyNumber(reply, index + 1)) };
    throw new StorageError(`unexpected reply '${status}' from the budget settlement script`);
  }

  async initializeBudgetWindow(window: BudgetWindow, spentMicroUsd: number, nowMs: number): Promise<void> {
    const ttl = Math.max(1, window.windowEndMs - nowMs + WINDOW_RETENTION_MS);
    await this.#redis.set(this.#budgetKeys(window)[0], integerArgument(spentMicroUsd), 'PX', ttl, 'NX');
  }

  async readBudgets(windows: readonly BudgetWindow[], nowMs: number): Promise<BudgetCounterState[]> {
    if (windows.length === 0) return [];
    const reply = asReply(
      await this.#redis.heimdallReadBudgets(windows.length * 4, ...windows.flatMap((window) => this.#budgetKeys(window)), integerArgument(nowMs)),
    );
    return windows.map((window, index) => {
      const spent = replyNumber(reply, index * 2);
      return { budgetId: window.budgetId, spentMicroUsd: spent < 0 ? undefined : spent, reservedMicroUsd: replyNumber(reply, index * 2 + 1) };
    });
  }

  async admitRate(input: { windows: readonly RateWindow[]; tokens: number; nowMs: number }): Promise<RateAdmissionOutcome> {
    if (input.windows.length === 0) return { status: 'admitted' };
    const reply = asReply(
      await this.#redis.heimdallAdmitRate(
        input.windows.length,
        ...input.windows.map((window) => this.#rateKey(window)),
        integerArgument(input.tokens),
        ...input.windows.flatMap((window) => [
          integerArgument(window.maxRequests ?? -1),
          integerArgument(window.maxTokens ?? -1),
          integerArgument(Math.max(1, window.windowEndMs - input.nowMs + WINDOW_RETENTION_MS)),
        ]),
      ),
    );
    const status = replyString(reply, 0);
    if (status === 'admitted') return { status: 'admitted' };
    if (status === 'refused') {
      return {
        status: 'refused',
        windowIndex: replyNumber(reply, 1),
        exhausted: replyString(reply, 2) === 'tokens' ? 'tokens' : 'requests',
        requestsUsed: replyNumber(reply, 3),
        tokensUsed: replyNumber(reply, 4),
      };
    }
    throw new StorageError(`unexpected reply '${status}' from the rate-limit script`);
  }

  async adjustRateTokens(windows: readonly RateWindow[], deltaTokens: number): Promise<void> {
    if (windows.length === 0 || deltaTokens === 0) return;
    await this.#redis.heimdallAdjustRateTokens(windows.length, ...windows.map((window) => this.#rateKey(window)), integerArgument(deltaTokens));
  }

  async readRates(windows: readonly RateWindow[]): Promise<RateCounterState[]> {
    if (windows.length === 0) return [];
    const reply = asReply(await this.#redis.heimdallReadRates(windows.length, ...windows.map((window) => this.#rateKey(window))));
    return windows.map((window, index) => ({ rateLimitId: window.rateLimitId, requests: replyNumber(reply, index * 2), tokens: replyNumber(reply, index * 2 + 1) }));
  }

  async close(): Promise<void> {
    try {
      await this.#redis.quit();
    } catch {
      this.#redis.disconnect();
    }
  }

  #budgetKeys(window: BudgetWindow): [string, string, string, string] {
    const base = `${this.#prefix}b:${window.budgetId}`;
    return [`${base}:s:${window.windowStartMs}`, `${base}:r`, `${base}:x`, `${base}:t`];
  }

  #rateKey(window: RateWindow): string {
    return `${this.#prefix}rl:${window.rateLimitId}:${window.windowStartMs}`;
  }
}

/**
 * A Redis connection that does not connect until `connect()` is called, gives up on a command
 * after a few retries instead of queueing forever, and reports connection errors through `log`
 * (rate-limited to one line per 10 s) instead of crashing the process.
 */
export function createRedisConnection(url: string, log: (line: string) => void = (line) => console.warn(line)): Redis {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5_000, enableAutoPipelining: true });
  let lastReportMs = 0;
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (now - lastReportMs < 10_000) return;
    lastReportMs = now;
    log(`heimdall: Redis at ${redactUrl(url)}: ${error.message}`);
  });
  return redis;
}
