import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../../storage/open-database.js';
import type { RequestLogRecord } from './request-log-record.js';
import { RequestLogStore } from './request-log-store.js';
import type { WriterThreadReply, WriterThreadRequest } from './request-log-writer-thread.js';

/**
 * Entry of the request log's writer thread (see `request-log-writer-thread.ts`): its own SQLite
 * connection to the gateway's database file, one {@link RequestLogStore} writing the batches it
 * is sent, one at a time, in order.
 */

const port = parentPort;
if (port === null) throw new Error('request-log-writer-worker runs as a worker thread');
const { path } = workerData as { path: string };

/** The write time of the batch being written (the gateway's clock, sent with each batch). */
let batchTime = Date.now();
const opened = openDatabase({ url: `sqlite:${path}`, appDirectory: '.' }).then((handle) => ({
  handle,
  store: new RequestLogStore(handle.database, handle.backend, () => batchTime),
}));
// A file the thread cannot open ends it: the gateway then writes in its own thread.
opened.catch(() => process.exit(1));

/** Structured cloning turns a Buffer into a plain Uint8Array: make it a Buffer again (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The record's Buffers (request body, captured upstream exchanges) as Buffers again. */
function revive(record: RequestLogRecord): RequestLogRecord {
  if (record.requestBodyBytes !== undefined) record.requestBodyBytes = asBuffer(record.requestBodyBytes);
  for (const exchange of record.upstreamCaptures ?? []) {
    if (exchange.request !== undefined && typeof exchange.request !== 'string') exchange.request = asBuffer(exchange.request);
    exchange.responseChunks = exchange.responseChunks.map(asBuffer);
  }
  return record;
}

async function answer(request: WriterThreadRequest): Promise<WriterThreadReply> {
  const { handle, store } = await opened;
  switch (request.type) {
    case 'write': {
      batchTime = request.now;
      const batch = request.batch.map(revive);
      await store.write(batch);
      return { type: 'written', id: request.id, hashes: batch.map((record) => [record.requestBodyHash, record.responseBodyHash, record.upstreamBodyHash]) };
    }
    case 'purge':
      return { type: 'purged', id: request.id, deleted: await store.purge(request.before) };
    case 'close':
      await handle.close();
      return { type: 'closed', id: request.id };
    default: {
      const unreachable: never = request;
      throw new Error(`unknown writer-thread request ${JSON.stringify(unreachable)}`);
    }
  }
}

let previous: Promise<unknown> = Promise.resolve();
port.on('message', (request: WriterThreadRequest) => {
  previous = previous.then(async () => {
    let reply: WriterThreadReply;
    try {
      reply = await answer(request);
    } catch (error) {
      reply = { type: 'failed', id: request.id, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
});
