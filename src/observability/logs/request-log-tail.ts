import type { RequestLogQueue } from './request-log-queue.js';
import type { RequestLogSummary } from './request-log-record.js';

/**
 * The live tail of the request log (`GET /api/logs/tail`) across replicas.
 *
 * Records this replica wrote come from its {@link RequestLogQueue} (each once its batch is in the
 * store). With a {@link LogTailChannel} (Redis pub/sub when `storage.redis_url` is set) the same
 * summaries are published, one message per written batch, and the summaries other replicas
 * publish are delivered to this replica's tail listeners too — so a tail on any replica shows every
 * request of the deployment within the pub/sub delay (milliseconds).
 *
 * Why publish rather than tail the shared store: the store's rows are ordered by arrival time
 * (`created_at`), but records land out of that order (a long stream is written when it ends), so a
 * poller would need a write-sequence column (a migration) and would query the database from every
 * tailing replica every interval, with its interval as latency. Publishing costs one `PUBLISH` per
 * written batch, off the request path, and nothing on the database. Delivery is at most once: a
 * Redis outage loses tail lines, never records (`/api/logs` reads the store).
 *
 * @see ../../../docs/architecture.md#observability-srcobservability
 */

/** Tail lines shared between replicas. */
export interface LogTailChannel {
  /** Sends summaries of records this replica wrote to the other replicas (fire and forget). */
  publish(records: readonly RequestLogSummary[]): void;
  /**
   * Receives summaries other replicas published (never this replica's own). The channel listens
   * only while at least one listener is registered.
   * @returns `unsubscribe`, and `ready`, which resolves once messages are being received
   */
  subscribe(listener: (records: readonly RequestLogSummary[]) => void): { unsubscribe: () => void; ready: Promise<void> };
  close(): Promise<void>;
}

/** See the module comment. */
export class RequestLogTail {
  private readonly listeners = new Set<(record: RequestLogSummary) => void>();
  private outgoing: RequestLogSummary[] = [];
  private publishScheduled = false;
  private remote: { unsubscribe: () => void; ready: Promise<void> } | undefined;

  /** @param channel absent: this replica's records only */
  constructor(
    queue: RequestLogQueue,
    private readonly channel?: LogTailChannel,
  ) {
    queue.subscribe((record) => {
      this.deliver(record);
      if (this.channel !== undefined) this.queueForPublishing(record);
    });
  }

  /** Tail listeners connected to this replica now. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /**
   * Registers a tail listener: every record written by this replica or, with a channel, by any
   * replica. Resolves once other replicas' records are being received (at once without a channel;
   * a channel that cannot subscribe resolves too, with this replica's records only).
   * @returns unsubscribe
   */
  async subscribe(listener: (record: RequestLogSummary) => void): Promise<() => void> {
    this.listeners.add(listener);
    if (this.channel !== undefined) {
      this.remote ??= this.channel.subscribe((records) => {
        for (const record of records) this.deliver(record);
      });
      await this.remote.ready;
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.remote !== undefined) {
        this.remote.unsubscribe();
        this.remote = undefined;
      }
    };
  }

  /** Closes the channel (not the queue). */
  async close(): Promise<void> {
    this.listeners.clear();
    this.remote?.unsubscribe();
    this.remote = undefined;
    await this.channel?.close();
  }

  private deliver(record: RequestLogSummary): void {
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // a broken tail connection must not stop the others
      }
    }
  }

  /** The queue hands over a written batch record by record, in one turn: publish them as one message. */
  private queueForPublishing(record: RequestLogSummary): void {
    this.outgoing.push(record);
    if (this.publishScheduled) return;
    this.publishScheduled = true;
    setImmediate(() => {
      this.publishScheduled = false;
      const records = this.outgoing;
      this.outgoing = [];
      this.channel?.publish(records);
    });
  }
}
