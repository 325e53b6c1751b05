import type { UsageRecord } from '../storage/records.js';

/** Where usage records go (the store's `UsageRepository`). */
export interface UsageSink {
  insertMany(records: readonly UsageRecord[]): Promise<void>;
}

/** What {@link UsageRecorder} needs. */
export interface UsageRecorderOptions {
  /** How often buffered records are written, ms. Default 1000. */
  flushIntervalMs?: number;
  /** A write starts early once this many records are buffered. Default 500. */
  batchSize?: number;
  /** Most records kept while the database is unreachable; older ones are dropped beyond it. Default 100000. */
  maxBuffered?: number;
  log?: (line: string) => void;
}

/**
 * Writes usage records to the database in batches, off the request path: `record()` only buffers.
 * A flush runs every `flushIntervalMs`, when `batchSize` records are waiting, and on `flush()` /
 * `close()` (graceful shutdown loses nothing). A crash loses at most the records of the last
 * interval. A failed write keeps its records and tries again at the next flush.
 */
export class UsageRecorder {
  readonly #sink: UsageSink;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
  readonly #log: (line: string) => void;
  #buffer: UsageRecord[] = [];
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #droppedSinceReport = 0;

  constructor(sink: UsageSink, options: UsageRecorderOptions = {}) {
    this.#sink = sink;
    this.#batchSize = options.batchSize ?? 500;
    this.#maxBuffered = options.maxBuffered ?? 100_000;
    this.#log = options.log ?? ((line) => console.warn(line));
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), options.flushIntervalMs ?? 1_000);
    this.#timer.unref();
  }

  /** Number of records waiting to be written. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Buffers a record for the next write. */
  record(record: UsageRecord): void {
    this.#buffer.push(record);
    if (this.#buffer.length > this.#maxBuffered) {
      const excess = this.#buffer.length - this.#maxBuffered;
      this.#buffer.splice(0, excess);
      this.#droppedSinceReport += excess;
    }
    if (this.#buffer.length >= this.#batchSize) void this.flush().catch(() => undefined);
  }

  /**
   * Writes everything buffered so far (waits for a write already running, then writes the rest).
   * @throws Error from the database when the write fails (the records stay buffered)
   */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing.catch(() => undefined);
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = (async () => {
      try {
        await this.#sink.insertMany(batch);
      } catch (error) {
        this.#buffer = batch.concat(this.#buffer);
        this.#log(`heimdall: could not write ${batch.length} usage record(s), will retry: ${(error as Error).message}`);
        throw error;
      } finally {
        if (this.#droppedSinceReport > 0) {
          this.#log(`heimdall: dropped ${this.#droppedSinceReport} usage record(s): the database was unreachable for too long`);
          this.#droppedSinceReport = 0;
        }
      }
    })();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Stops the timer and writes what is buffered. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
