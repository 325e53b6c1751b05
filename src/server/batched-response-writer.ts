import type { ServerResponse } from 'node:http';

/** Past this many queued bytes (string length for text) a batch is written at once. */
const MAX_BATCH_BYTES = 64 * 1024;

/**
 * Writes a streamed HTTP response (SSE events, relayed body chunks) in batches, for throughput on
 * fast links where each write costs more than the bytes it carries:
 *
 * - chunks written in one synchronous run (the events made from one upstream chunk) are joined
 *   and handed to `response.write` once, at the next microtask: one HTTP chunk instead of one per
 *   event, each of which costs Node four socket writes (size, CRLF, data, CRLF);
 * - the socket stays corked until the check phase of the current event-loop turn
 *   (`setImmediate`), so that what the response sends during the turn (headers, the batches of
 *   several ticks, the end) leaves in one `writev` system call.
 *
 * Nothing waits longer than the I/O callbacks already queued in the current loop turn; the bytes
 * and their order are unchanged (only HTTP chunk boundaries, which carry no meaning, differ). Any
 * code awaiting something runs after the microtask flush, so an `end()` from an error handler
 * never overtakes a queued batch; {@link end} flushes first itself. Node's `end()` fully uncorks the
 * socket; a later release is then skipped, the socket may carry the next response by then.
 */
export class BatchedResponseWriter {
  private pending: Array<string | Buffer> = [];
  private pendingLength = 0;
  private flushQueued = false;
  private holdingSocket = false;

  /**
   * @param onBlocked called when `response.write` reports a full buffer (pause the source and
   *   resume it on the response's `drain`)
   */
  constructor(
    private readonly response: ServerResponse,
    private readonly onBlocked?: () => void,
  ) {}

  /** Queues a chunk; it leaves with the others written in the same run. */
  write(chunk: string | Buffer): void {
    this.holdSocket();
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    if (this.pendingLength >= MAX_BATCH_BYTES) {
      this.flush();
      return;
    }
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  /**
   * Sends the response headers now (`flushHeaders`), in the same system call as the body bytes
   * written during this loop turn.
   */
  sendHeaders(): void {
    this.holdSocket();
    this.response.flushHeaders();
  }

  /** Writes what is queued, then ends the response. */
  end(): void {
    this.flush();
    this.response.end();
  }

  /** Writes what is queued as one chunk. */
  flush(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    this.pendingLength = 0;
    if (this.response.writableEnded || this.response.destroyed) return;
    if (!this.response.write(joinChunks(pending)) && this.onBlocked !== undefined) this.onBlocked();
  }

  private holdSocket(): void {
    if (this.holdingSocket) return;
    const socket = this.response.socket;
    // A response without a socket of its own yet (a pipelined request waiting its turn) is left to Node.
    if (socket === null || socket.destroyed) return;
    this.holdingSocket = true;
    socket.cork();
    setImmediate(() => {
      this.holdingSocket = false;
      if (this.response.writableEnded || socket.destroyed) return;
      this.flush();
      socket.uncork();
    });
  }
}

function joinChunks(chunks: Array<string | Buffer>): string | Buffer {
  if (chunks.length === 1) return chunks[0];
  if (chunks.every((chunk) => typeof chunk === 'string')) return chunks.join('');
  return Buffer.concat(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk)));
}
