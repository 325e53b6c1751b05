import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedisConnection } from './redis-counter-store.js';

/**
 * A change that caches must drop: one virtual key (revoked, edited, rotated), everything
 * governance caches (budgets, rate limits, teams, customers, seeding), or the provider
 * configuration (providers and their keys: the request path reloads its provider settings), or the
 * routing rules saved through the admin API (every replica reloads them), or the gateway settings
 * changed through the admin API (`/api/settings`: every replica applies them).
 */
export type GovernanceChange = { kind: 'virtual-key'; virtualKeyId: string } | { kind: 'all' } | { kind: 'providers' } | { kind: 'routing' } | { kind: 'settings' };

/** Tells every replica's caches about changes. */
export interface ChangeNotifier {
  /** Delivers `change` to every subscriber in this process at once, and to other replicas when shared. */
  publish(change: GovernanceChange): Promise<void>;
  /** Registers a listener; returns the function that removes it. */
  subscribe(listener: (change: GovernanceChange) => void): () => void;
  close(): Promise<void>;
}

/** Listeners in this process. */
class LocalListeners {
  readonly #listeners = new Set<(change: GovernanceChange) => void>();

  add(listener: (change: GovernanceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  deliver(change: GovernanceChange): void {
    for (const listener of this.#listeners) listener(change);
  }
}

/** Changes stay in this process (single replica, or replicas relying on the cache TTL). */
export class LocalChangeNotifier implements ChangeNotifier {
  readonly #listeners = new LocalListeners();

  async publish(change: GovernanceChange): Promise<void> {
    this.#listeners.deliver(change);
  }

  subscribe(listener: (change: GovernanceChange) => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {}
}

/** A published message: the change and the notifier that sent it (which skips its own echo). */
function parseMessage(message: string): { origin: string; change: GovernanceChange } | undefined {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value !== 'object' || value === null) return undefined;
    const { origin, change } = value as Record<string, unknown>;
    if (typeof origin !== 'string') return undefined;
    const parsed = parseChange(change);
    return parsed === undefined ? undefined : { origin, change: parsed };
  } catch {
    return undefined;
  }
}

function parseChange(value: unknown): GovernanceChange | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.kind === 'all') return { kind: 'all' };
  if (record.kind === 'providers') return { kind: 'providers' };
  if (record.kind === 'routing') return { kind: 'routing' };
  if (record.kind === 'settings') return { kind: 'settings' };
  if (record.kind === 'virtual-key' && typeof record.virtualKeyId === 'string') return { kind: 'virtual-key', virtualKeyId: record.virtualKeyId };
  return undefined;
}

/**
 * Changes published on a Redis channel (`<prefix>governance-changes`), so that a revocation on one
 * replica empties the caches of all of them within the pub/sub delay (milliseconds). Local
 * listeners are called at once, and the notifier ignores the echo of its own messages. A replica that misses a message (Redis restarted, connection
 * lost) still drops stale entries when their TTL ends.
 */
export class RedisChangeNotifier implements ChangeNotifier {
  readonly #listeners = new LocalListeners();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  /** Identifies this notifier's messages, so that it does not deliver its own changes twice. */
  readonly #origin = randomUUID();

  private constructor(publisher: Redis, subscriber: Redis, channel: string) {
    this.#publisher = publisher;
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  /**
   * Subscribes to the channel with a second connection (a subscribed connection can do nothing else).
   * @param publisher an open connection, used for publishing (shared with the counter store)
   * @throws Error when the subscription cannot be made
   */
  static async connect(options: { url: string; publisher: Redis; keyPrefix: string; log?: (line: string) => void }): Promise<RedisChangeNotifier> {
    const subscriber = createRedisConnection(options.url, options.log);
    await subscriber.connect();
    const notifier = new RedisChangeNotifier(options.publisher, subscriber, `${options.keyPrefix}governance-changes`);
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== notifier.#channel) return;
      const parsed = parseMessage(message);
      if (parsed !== undefined && parsed.origin !== notifier.#origin) notifier.#listeners.deliver(parsed.change);
    });
    await subscriber.subscribe(notifier.#channel);
    return notifier;
  }

  async publish(change: GovernanceChange): Promise<void> {
    this.#listeners.deliver(change);
    await this.#publisher.publish(this.#channel, JSON.stringify({ origin: this.#origin, change }));
  }

  subscribe(listener: (change: GovernanceChange) => void): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    try {
      await this.#subscriber.quit();
    } catch {
      this.#subscriber.disconnect();
    }
  }
}
