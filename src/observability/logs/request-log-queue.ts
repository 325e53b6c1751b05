import type { RequestLogRecord, RequestLogSummary } from './request-log-record.js';
import type { RequestLogWriter } from './request-log-store.js';

/**
 * The request log's write-behind queue: the request path only enqueues (no I/O, no awaiting);
 * records are written in batches by one writer at a time, every `flushIntervalMs` or as soon as a
 * batch is full. The queue is bounded by records and by body bytes; a record that does not fit
 * is dropped and counted — a stalled or failing store never slows or fails a request. Written
 * records go to live-tail subscribers.
 */

/** Queue limits and pacing. */
export interface RequestLogQueueOptions {
  /** Most records waiting. Default 10 000. */
  maxRecords?: number;
  /** Most body bytes waiting (request + response content). Default 64 MiB. */
  maxBytes?: number;
  /** Records per write. Default 200. */
  batchSize?: number;
  /** Longest wait before a partial batch is written, ms. Default 500. */
  flushIntervalMs?: number;
  /** Called on queue depth changes, drops, writes and write failures (metrics). */
  onChange?: (event: { depth: number; dropped?: number; written?: number; failed?: boolean }) => void;
  /** Operational warnings. Default `console.warn`. */
  log?: (line: string) => void;
}

/** Counters of a queue. */
export interface RequestLogQueueStats {
  /** Records waiting. */
  depth: number;
  /** Records dropped since start (queue full or write failed). */
  dropped: number;
  /** Records written since start. */
  written: number;
  /** Failed batch writes since start. */
  writeFailures: number;
}

function upstreamBytes(record: RequestLogRecord): number {
  let bytes = 0;
  for (const exchange of record.upstreamCaptures ?? []) bytes += (exchange.request?.length ?? 0) + exchange.responseBytes;
  return bytes;
}

function bodyBytes(record: RequestLogRecord): number {
  // Cheap estimate (no serialising on the request path): request text plus a flat allowance for the answer.
  return (record.requestBodyBytes?.length ?? record.requestBody?.length ?? 0) + (record.responseBody === undefined ? 0 : 4096) + upstreamBytes(record) + 512;
}

/** See the module comment. */
export class RequestLogQueue {
  private readonly pending: RequestLogRecord[] = [];
  private pendingBytes = 0;
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly log: (line: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly subscribers = new Set<(record: RequestLogSummary) => void>();
  readonly stats: RequestLogQueueStats = { depth: 0, dropped: 0, written: 0, writeFailures: 0 };
  private lastFailureLogAt = 0;

  constructor(
    private readonly writer: RequestLogWriter,
    private readonly options: RequestLogQueueOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 10_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.batchSize = options.batchSize ?? 200;
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
    this.log = options.log ?? ((line) => console.warn(line));
  }

  /**
   * Adds a record (the request path's only call). Never throws, never waits.
   * @returns false when it was dropped (queue full or closed)
   */
  enqueue(record: RequestLogRecord): boolean {
    const bytes = bodyBytes(record);
    if (this.closed || this.pending.length >= this.maxRecords || this.pendingBytes + bytes > this.maxBytes) {
      this.stats.dropped += 1;
      this.options.onChange?.({ depth: this.pending.length, dropped: 1 });
      return false;
    }
    this.pending.push(record);
    this.pendingBytes += bytes;
    this.stats.depth = this.pending.length;
    this.options.onChange?.({ depth: this.pending.length });
    if (this.pending.length >= this.batchSize) this.schedule(0);
    else this.schedule(this.flushIntervalMs);
    return true;
  }

  private schedule(delayMs: number): void {
    if (this.writing !== undefined) return; // the running write schedules the next one
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writeNext();
    }, delayMs);
    this.timer.unref();
  }

  private writeNext(): void {
    if (this.writing !== undefined || this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.batchSize);
    for (const record of batch) this.pendingBytes -= bodyBytes(record);
    this.stats.depth = this.pending.length;
    this.writing = this.writer.write(batch).then(
      () => {
        this.stats.written += batch.length;
        this.options.onChange?.({ depth: this.pending.length, written: batch.length });
        for (const record of batch) this.publish(record);
      },
      (error: unknown) => {
        this.stats.writeFailures += 1;
        this.stats.dropped += batch.length;
        this.options.onChange?.({ depth: this.pending.length, dropped: batch.length, failed: true });
        const now = Date.now();
        if (now - this.lastFailureLogAt > 60_000) {
          this.lastFailureLogAt = now;
          this.log(`[heimdall] request log: writing ${batch.length} records failed (${error instanceof Error ? error.message : String(error)}); they were dropped`);
        }
      },
    );
    void this.writing.finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.schedule(this.pending.length >= this.batchSize || this.closed ? 0 : this.flushIntervalMs);
    });
  }

  private publish(record: RequestLogRecord): void {
    if (this.subscribers.size === 0) return;
    const { requestBody: _request, requestBodyBytes: _bytes, responseBody: _response, searchText: _search, upstreamCaptures: _captures, upstream: _upstream, ...summary } = record;
    for (const subscriber of this.subscribers) {
      try {
        subscriber(summary);
      } catch {
        // a broken tail connection must not stop the others
      }
    }
  }

  /** Live tail: `listener` gets each record once written. @returns unsubscribe */
  subscribe(listener: (record: RequestLogSummary) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /** Writes everything queued now; resolves when the queue is empty (or `timeoutMs` passed). */
  async flush(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((this.pending.length > 0 || this.writing !== undefined) && Date.now() < deadline) {
      if (this.writing === undefined) {
        if (this.timer !== undefined) clearTimeout(this.timer);
        this.timer = undefined;
        this.writeNext();
      }
      const current = this.writing;
      if (current === undefined) break;
      await Promise.race([current.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now())).unref())]);
    }
  }

  /** Stops taking records and writes what is queued (graceful shutdown); gives up after `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    await this.flush(timeoutMs);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.subscribers.clear();
  }
}
