import { Worker } from 'node:worker_threads';
import type { RequestLogRecord } from './request-log-record.js';

/**
 * The request log's writer thread (SQLite file stores): a `worker_thread` with its own connection
 * to the same database file that does everything a batch write costs — hashing and serialising
 * bodies, the search text, the inserts and full-text indexing — and the retention purge, so none
 * of it runs on the event loop that serves requests. Batches are posted (structured clone) and
 * answered in order; the body hashes the thread computed are put on the caller's records, so live
 * tail subscribers see the same records as with an in-thread write. WAL mode lets the gateway's
 * own connection read meanwhile; its `busy_timeout` rides out the thread's short write locks.
 *
 * When the thread fails (cannot open the file, crashes), pending and later calls go to `fallback`
 * (the in-thread store): records are not lost to a broken thread.
 */

/** A message to the thread. `now` is the caller's clock (ms since the epoch), used as the bodies' write time. */
export type WriterThreadRequest =
  | { type: 'write'; id: number; now: number; batch: readonly RequestLogRecord[] }
  | { type: 'purge'; id: number; before: number }
  | { type: 'close'; id: number };

/** The thread's answer to a request (same `id`). */
export type WriterThreadReply =
  | { type: 'written'; id: number; hashes: Array<[request: string | undefined, response: string | undefined, upstream: string | undefined]> }
  | { type: 'purged'; id: number; deleted: number }
  | { type: 'closed'; id: number }
  | { type: 'failed'; id: number; message: string };

/** What the thread falls back to. */
export interface WriterThreadFallback {
  writeHere(batch: readonly RequestLogRecord[]): Promise<void>;
  purgeHere(before: number): Promise<number>;
}

interface PendingCall {
  resolve(reply: WriterThreadReply): void;
  reject(error: Error): void;
}

/** Starts the worker on its entry module (`.js` when built; `.ts` when run through tsx, in tests). */
function startWorker(path: string): Worker {
  const workerData = { path };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./request-log-writer-worker.js', import.meta.url), { workerData });
  // Workers do not inherit tsx's loader: the worker registers it before loading the entry.
  const entry = new URL('./request-log-writer-worker.ts', import.meta.url).href;
  const loader = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData });
}

/**
 * Bodies of at least this many bytes are moved to the thread in a buffer of their own: copied
 * once, and that memory transferred. Measured: cloning a record with two 85 KB bodies (a
 * translated Claude Code turn) cost ~600 µs of the event loop; copying and transferring them
 * ~20–50 µs (more under load, where fresh memory costs page faults).
 */
const TRANSFER_MIN_BYTES = 4 * 1024;

/**
 * The batch as posted to the thread: each record that holds bytes is a shallow copy whose Buffers
 * (request body, upstream request, the upstream response's chunks joined into one) are copies in
 * memory listed in `transfer`, so that posting the batch copies no bytes itself:
 * - a body of {@link TRANSFER_MIN_BYTES} or more gets a buffer of its own;
 * - smaller ones are packed one after another into one buffer for the whole batch.
 *
 * Why not let structured cloning copy the small ones: a Buffer is usually a view into a larger
 * `ArrayBuffer` (Node's 8 KiB allocation pool for the body sent upstream, the socket's read buffer
 * for response chunks), and cloning a view copies its whole `ArrayBuffer`. Measured on the bench's
 * small translated request, under load: serialising a record took 14–25 µs of the event loop
 * (~5.2 KB, ~4 KB of it its Buffers' own bytes), against 4–7 µs without its Buffers; posting it
 * copied more still. Packed and transferred: −18 % CPU per request, paired (README, Benchmark).
 *
 * The caller's records and their Buffers are left as they are: the Buffers may still be in use (a
 * socket write in progress, Node's shared allocation pool), and the records are published to live
 * tail subscribers, or written here if the thread fails.
 */
export function transferableBatch(batch: readonly RequestLogRecord[]): { batch: RequestLogRecord[]; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  /** Chunks copied into one fresh buffer listed for transfer. */
  const ownBuffer = (chunks: readonly Buffer[], length: number): Buffer => {
    const memory = new ArrayBuffer(length);
    const joined = Buffer.from(memory);
    let offset = 0;
    for (const chunk of chunks) offset += chunk.copy(joined, offset);
    transfer.push(memory);
    return joined;
  };
  // First pass: how many bytes the small bodies of the whole batch take, each Buffer counted once
  // however many times the batch holds it (a passthrough's upstream request is its request body).
  const smallBuffers = new Set<Buffer>();
  let packedLength = 0;
  const countSmall = (bytes: Buffer | string | undefined): void => {
    if (!Buffer.isBuffer(bytes) || bytes.length >= TRANSFER_MIN_BYTES || smallBuffers.has(bytes)) return;
    smallBuffers.add(bytes);
    packedLength += bytes.length;
  };
  for (const record of batch) {
    countSmall(record.requestBodyBytes);
    for (const exchange of record.upstreamCaptures ?? []) {
      countSmall(exchange.request);
      if (exchange.responseBytes < TRANSFER_MIN_BYTES) for (const chunk of exchange.responseChunks) packedLength += chunk.length;
    }
  }
  const packedMemory = new ArrayBuffer(packedLength);
  if (packedLength > 0) transfer.push(packedMemory);
  const packed = Buffer.from(packedMemory);
  let packedOffset = 0;
  /** Chunks copied one after another into the batch's shared buffer, as one view. */
  const pack = (chunks: readonly Buffer[]): Buffer => {
    const start = packedOffset;
    for (const chunk of chunks) packedOffset += chunk.copy(packed, packedOffset);
    return packed.subarray(start, packedOffset);
  };
  // Second pass: the copies. One copy per Buffer, as counted above.
  const copies = new Map<Buffer, Buffer>();
  const copy = (bytes: Buffer): Buffer => {
    let copied = copies.get(bytes);
    if (copied === undefined) {
      copied = bytes.length >= TRANSFER_MIN_BYTES ? ownBuffer([bytes], bytes.length) : pack([bytes]);
      copies.set(bytes, copied);
    }
    return copied;
  };
  const postedBatch = batch.map((record): RequestLogRecord => {
    if (record.requestBodyBytes === undefined && record.upstreamCaptures === undefined) return record;
    const posted: RequestLogRecord = { ...record };
    if (record.requestBodyBytes !== undefined) posted.requestBodyBytes = copy(record.requestBodyBytes);
    if (record.upstreamCaptures !== undefined) {
      posted.upstreamCaptures = record.upstreamCaptures.map((exchange) => ({
        ...exchange,
        request: Buffer.isBuffer(exchange.request) ? copy(exchange.request) : exchange.request,
        responseChunks:
          exchange.responseChunks.length === 0
            ? []
            : [exchange.responseBytes >= TRANSFER_MIN_BYTES ? ownBuffer(exchange.responseChunks, exchange.responseBytes) : pack(exchange.responseChunks)],
      }));
    }
    return posted;
  });
  return { batch: postedBatch, transfer };
}

/** See the module comment. */
export class RequestLogWriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  private broken: Error | undefined;
  private closed = false;

  /**
   * @param path the SQLite database file (already migrated)
   * @param fallback the in-thread writer used once the thread has failed
   */
  constructor(
    path: string,
    private readonly fallback: WriterThreadFallback,
  ) {
    this.worker = startWorker(path);
    // Only pending calls keep the process alive, not the idle thread.
    this.worker.unref();
    this.worker.on('message', (reply: WriterThreadReply) => {
      const call = this.pending.get(reply.id);
      if (call === undefined) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      call.resolve(reply);
    });
    const fail = (error: Error): void => {
      this.broken ??= error;
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the request-log writer thread exited (code ${code})`)));
  }

  private call(request: WriterThreadRequest, transfer: ArrayBuffer[] = []): Promise<WriterThreadReply> {
    return new Promise<WriterThreadReply>((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request, transfer);
    });
  }

  /** Writes one batch in the thread; puts the body hashes on the records. @throws Error when the write failed */
  async write(batch: readonly RequestLogRecord[], now: number): Promise<void> {
    if (this.broken !== undefined || this.closed) return this.fallback.writeHere(batch);
    let reply: WriterThreadReply;
    try {
      const posted = transferableBatch(batch);
      reply = await this.call({ type: 'write', id: this.nextId++, now, batch: posted.batch }, posted.transfer);
    } catch {
      // The thread died with this batch: it was not committed (one transaction), so write it here.
      return this.fallback.writeHere(batch);
    }
    if (reply.type === 'failed') throw new Error(reply.message);
    if (reply.type !== 'written') throw new Error(`unexpected writer-thread reply ${reply.type}`);
    reply.hashes.forEach(([request, response, upstream], index) => {
      const record = batch[index];
      if (record === undefined) return;
      if (request !== undefined) record.requestBodyHash = request;
      if (response !== undefined) record.responseBodyHash = response;
      if (upstream !== undefined) record.upstreamBodyHash = upstream;
    });
  }

  /** The retention purge, in the thread (which also forgets the bodies it remembered as stored). @returns records deleted */
  async purge(before: number): Promise<number> {
    if (this.broken !== undefined || this.closed) return this.fallback.purgeHere(before);
    let reply: WriterThreadReply;
    try {
      reply = await this.call({ type: 'purge', id: this.nextId++, before });
    } catch {
      return this.fallback.purgeHere(before);
    }
    if (reply.type === 'failed') throw new Error(reply.message);
    return reply.type === 'purged' ? reply.deleted : 0;
  }

  /** Closes the thread's connection and ends it (after the calls already posted). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.broken === undefined) await this.call({ type: 'close', id: this.nextId++ }).catch(() => undefined);
    await this.worker.terminate();
  }
}
