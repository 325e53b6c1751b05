/**
 * Large bodies in shared memory, so that the request log's writer thread reads them where they
 * are (`observability/logs/request-log-writer-thread.ts`).
 *
 * Why: a body kept for the request log (the caller's request, the converted request sent
 * upstream) crosses to the writer thread. Posted as an ordinary Buffer it is cloned, or copied into
 * fresh memory and transferred; for a Claude Code turn (two bodies of ~85 KB) that copy, with the
 * fresh pages it touches, was ~8 % of the event loop on the translated bench. A Buffer over a
 * `SharedArrayBuffer` is posted by reference instead: the thread sees the same memory, and the
 * request path's Buffer stays usable (nothing is detached). The bytes are never written again once
 * made, so the two threads never race.
 *
 * Bodies under {@link SHARED_BYTES_MIN_LENGTH} stay in ordinary memory (Node's allocation pool):
 * cloning them costs less than memory of their own.
 */

/** Bodies this long or longer (bytes) are made in shared memory. */
export const SHARED_BYTES_MIN_LENGTH = 4 * 1024;

/** A Buffer of `length` bytes (zero-filled) over a `SharedArrayBuffer` of its own. */
export function sharedBytes(length: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(length));
}

/** Whether a Buffer's memory is shared (posted to another thread by reference, not copied). */
export function isShared(bytes: Buffer): boolean {
  return bytes.buffer instanceof SharedArrayBuffer;
}

/** `Buffer.concat(chunks, length)`, in shared memory when at least {@link SHARED_BYTES_MIN_LENGTH} bytes. */
export function concatBytes(chunks: readonly Buffer[], length: number): Buffer {
  if (length < SHARED_BYTES_MIN_LENGTH) return Buffer.concat(chunks, length);
  const joined = sharedBytes(length);
  let offset = 0;
  for (const chunk of chunks) offset += chunk.copy(joined, offset);
  return joined;
}

/** `Buffer.from(text, encoding)`, in shared memory when the bytes are at least {@link SHARED_BYTES_MIN_LENGTH} long. */
export function textBytes(text: string, encoding: 'latin1' | 'utf8'): Buffer {
  // A Latin-1 string is one byte a character; a UTF-8 one is at least one, and its length is measured only when it may be large.
  if (text.length < SHARED_BYTES_MIN_LENGTH && (encoding === 'latin1' || text.length * 3 < SHARED_BYTES_MIN_LENGTH)) return Buffer.from(text, encoding);
  const length = encoding === 'latin1' ? text.length : Buffer.byteLength(text, 'utf8');
  if (length < SHARED_BYTES_MIN_LENGTH) return Buffer.from(text, encoding);
  const bytes = sharedBytes(length);
  bytes.write(text, 0, encoding);
  return bytes;
}
