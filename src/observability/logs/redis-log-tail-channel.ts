import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisConnection } from '../../storage/counters/redis-counter-store.js';
import type { RequestLogSummary } from './request-log-record.js';
import type { LogTailChannel } from './request-log-tail.js';

/** Most summaries in one published message (a message stays well under a few hundred KB). */
const RECORDS_PER_MESSAGE = 100;

function isSummary(value: unknown): value is RequestLogSummary {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.id === 'string' && typeof record.createdAt === 'number' && typeof record.status === 'number';
}

/** A published message: `{origin, records}`, or undefined when it is not one. */
function parseMessage(message: string): { origin: string; records: RequestLogSummary[] } | undefined {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return undefined;
    const { origin, records } = value as Record<string, unknown>;
    if (typeof origin !== 'string' || !Array.isArray(records)) return undefined;
    return { origin, records: records.filter(isSummary) };
  } catch {
    return undefined;
  }
}

/**
 * Request-log tail lines on a Redis channel (`<prefix>request-log-tail`), shared by the replicas of
 * one deployment (see `request-log-tail.ts` for why). Publishing uses the counter store's
 * connection; listening uses a connection of its own (a subscribed connection can do nothing else)
 * that subscribes to the channel only while this replica has tail listeners, so replicas nobody
 * tails receive nothing. A replica ignores the echo of its own messages.
 */
export class RedisLogTailChannel implements LogTailChannel {
  readonly #listeners = new Set<(records: readonly RequestLogSummary[]) => void>();
  readonly #origin = randomUUID();
  /** The pending or done SUBSCRIBE while listeners exist. */
  #subscription: Promise<void> | undefined;
  #lastFailureLogAt = 0;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Opens the listening connection.
   * @param options.publisher an open connection to publish on (the counter store's)
   * @throws Error when Redis cannot be reached
   */
  static async connect(options: { url: string; publisher: Redis; keyPrefix: string; log?: (line: string) => void }): Promise<RedisLogTailChannel> {
    const log = options.log ?? ((line: string) => console.warn(line));
    const subscriber = createRedisConnection(options.url, log);
    await subscriber.connect();
    const tail = new RedisLogTailChannel(options.publisher, subscriber, `${options.keyPrefix}request-log-tail`, log);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== tail.channel) return;
      const parsed = parseMessage(message);
      if (parsed === undefined || parsed.origin === tail.#origin || parsed.records.length === 0) return;
      for (const listener of tail.#listeners) listener(parsed.records);
    });
    return tail;
  }

  publish(records: readonly RequestLogSummary[]): void {
    for (let start = 0; start < records.length; start += RECORDS_PER_MESSAGE) {
      const message = JSON.stringify({ origin: this.#origin, records: records.slice(start, start + RECORDS_PER_MESSAGE) });
      this.publisher.publish(this.channel, message).catch((error: unknown) => this.#warn('publishing', error));
    }
  }

  subscribe(listener: (records: readonly RequestLogSummary[]) => void): { unsubscribe: () => void; ready: Promise<void> } {
    this.#listeners.add(listener);
    this.#subscription ??= this.subscriber.subscribe(this.channel).then(
      () => undefined,
      (error: unknown) => this.#warn('subscribing', error),
    );
    return {
      ready: this.#subscription,
      unsubscribe: () => {
        this.#listeners.delete(listener);
        if (this.#listeners.size > 0 || this.#subscription === undefined) return;
        this.#subscription = undefined;
        this.subscriber.unsubscribe(this.channel).catch((error: unknown) => this.#warn('unsubscribing', error));
      },
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    try {
      await this.subscriber.quit();
    } catch {
      this.subscriber.disconnect();
    }
  }

  /** Logs a Redis failure, at most once a minute (the log itself is unaffected: only tail lines are lost). */
  #warn(action: string, error: unknown): void {
    const now = Date.now();
    if (now - this.#lastFailureLogAt < 60_000) return;
    this.#lastFailureLogAt = now;
    this.log(`[heimdall] request log tail: ${action} on Redis failed (${error instanceof Error ? error.message : String(error)}); other replicas' tail lines are missed meanwhile`);
  }
}
