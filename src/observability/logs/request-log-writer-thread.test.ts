import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { openDatabase } from '../../storage/open-database.js';
import type { RequestLogRecord } from './request-log-record.js';
import { RequestLogStore } from './request-log-store.js';
import { RequestLogWriterThread, transferableBatch } from './request-log-writer-thread.js';

const DAY_MS = 86_400_000;

function record(id: string, createdAt: number, requestBody: string, answer: string): RequestLogRecord {
  return {
    id,
    createdAt,
    requestKind: 'main',
    inboundApi: 'anthropic',
    provider: 'oai',
    modelRequested: 'oai/gpt-x',
    modelServed: 'gpt-x',
    fallbackStep: 0,
    attempts: [{ provider: 'oai', model: 'gpt-x', outcome: 'served' }],
    status: 200,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.001,
    latencyMs: 12.5,
    streaming: true,
    droppedFields: [],
    requestBodyBytes: Buffer.from(requestBody),
    responseBody: { type: 'message', content: [{ type: 'text', text: answer }] },
    searchText: `${answer}`,
  };
}

/** A writer thread on a fresh database file whose fallback fails the test if used; closed after the test. */
async function threadWithoutFallback(t: TestContext): Promise<{ handle: Awaited<ReturnType<typeof openDatabase>>; thread: RequestLogWriterThread }> {
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-log-thread-'));
  const handle = await openDatabase({ appDirectory: directory });
  const thread = new RequestLogWriterThread(join(directory, 'heimdall.db'), {
    writeHere: () => Promise.reject(new Error('fallback used')),
    purgeHere: () => Promise.reject(new Error('fallback used')),
  });
  t.after(async () => {
    await thread.close();
    await handle.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return { handle, thread };
}

test('writer thread: a SQLite file store writes and purges in a worker thread; reads, hashes and search are as in-thread', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-log-thread-'));
  const handle = await openDatabase({ appDirectory: directory });
  t.after(async () => {
    await handle.close();
    rmSync(directory, { recursive: true, force: true });
  });
  let now = 100 * DAY_MS;
  const store = new RequestLogStore(handle.database, handle.backend, () => now);
  assert.equal(store.startWriterThread(), true);
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'shared question' }] });
  const batch = [record('a', now - 2, body, 'charlie answer'), record('b', now - 1, body, 'delta answer')];
  await store.write(batch);
  assert.match(batch[0].requestBodyHash ?? '', /^[0-9a-f]{64}$/, 'the thread’s hashes are put on the caller’s records (live tail)');
  assert.equal(batch[0].requestBodyHash, batch[1].requestBodyHash, 'one stored request body');
  assert.match(batch[1].responseBodyHash ?? '', /^[0-9a-f]{64}$/);
  const full = await store.get('a');
  assert.equal(full?.requestBody, body, 'the body arrives as text, not as the bytes of a cloned Uint8Array');
  assert.deepEqual(full?.responseBody, { type: 'message', content: [{ type: 'text', text: 'charlie answer' }] });
  assert.deepEqual((await store.list({ search: 'delta' }, 10)).records.map((entry) => entry.id), ['b']);
  assert.equal((await handle.database.selectFrom('log_bodies').select('hash').execute()).length, 3);

  // The purge runs in the thread and makes it forget the bodies it stored: a later record with the
  // same request body stores it again.
  now += 40 * DAY_MS;
  assert.equal(await store.purge(now - 30 * DAY_MS), 2);
  assert.equal((await handle.database.selectFrom('log_bodies').select('hash').execute()).length, 0);
  await store.write([record('c', now, body, 'echo answer')]);
  assert.equal((await store.get('c'))?.requestBody, body);
  await store.stopWriterThread();
  // Stopped: writes happen in this thread again.
  await store.write([record('d', now, body, 'foxtrot answer')]);
  assert.equal((await store.get('d'))?.requestBody, body);
});

test('writer thread: writes and purges really run in the thread (the fallback is never called)', async (t) => {
  const { handle, thread } = await threadWithoutFallback(t);
  const batch = [record('t1', 5, '{"a":1}', 'golf')];
  await thread.write(batch, 5);
  assert.match(batch[0].responseBodyHash ?? '', /^[0-9a-f]{64}$/);
  assert.equal((await new RequestLogStore(handle.database, handle.backend).get('t1'))?.requestBody, '{"a":1}');
  assert.equal(await thread.purge(10), 1);
});

test('writer thread: an in-memory store keeps writing in its own thread', async () => {
  const handle = await openDatabase({ url: 'sqlite::memory:', appDirectory: '.' });
  try {
    assert.equal(new RequestLogStore(handle.database, handle.backend).startWriterThread(), false);
  } finally {
    await handle.close();
  }
});

test('writer thread: a thread that cannot open its file hands the writes to the fallback', async () => {
  const written: string[] = [];
  const thread = new RequestLogWriterThread('/dev/null/heimdall-cannot-be-here.db', {
    writeHere: async (batch) => void written.push(...batch.map((entry) => entry.id)),
    purgeHere: async () => 7,
  });
  try {
    await thread.write([record('x', 1, '{}', 'lost?')], 1);
    await thread.write([record('y', 2, '{}', 'not lost')], 2);
    assert.deepEqual(written, ['x', 'y']);
    assert.equal(await thread.purge(0), 7);
  } finally {
    await thread.close();
  }
});

/** A record with Claude Code-sized bodies: a passthrough exchange (upstream request = the caller's body) and a translated one. */
function largeRecord(id: string): RequestLogRecord {
  const body = Buffer.from(JSON.stringify({ model: 'claude-x', messages: [{ role: 'user', content: `caf\u00e9 \u2014 ${'x'.repeat(20_000)}` }] }));
  const translated = Buffer.from(JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content: `\u2192 ${'y'.repeat(20_000)}` }] }));
  const events = Array.from({ length: 40 }, (_, index) => Buffer.from(`data: {"index":${index},"text":"${'z'.repeat(200)} \u00e9"}\n\n`));
  return {
    ...record(id, 7, '', 'large answer'),
    requestBodyBytes: body,
    upstreamCaptures: [
      { provider: 'anthropic', model: 'claude-x', url: 'http://127.0.0.1:1/v1/messages', request: body, status: 529, contentType: 'application/json', responseChunks: [Buffer.from('{"type":"error"}')], responseBytes: 16, truncated: false },
      { provider: 'oai', model: 'gpt-x', url: 'http://127.0.0.1:2/v1/chat/completions', request: translated, status: 200, contentType: 'text/event-stream', responseChunks: events, responseBytes: events.reduce((sum, chunk) => sum + chunk.length, 0), truncated: false },
    ],
  };
}

test('writer thread: bodies are moved to the thread (large ones in a buffer of their own, small ones packed into one per batch), and the caller’s Buffers are left intact', () => {
  // Small Buffers as the request path holds them: views into larger memory (Node's allocation
  // pool, a socket read), which structured cloning would copy whole.
  const pool = Buffer.alloc(8192, 0x2a);
  const smallBody = pool.subarray(100, 107);
  smallBody.write('{"a":1}');
  const small: RequestLogRecord = {
    ...record('small', 1, '', 'small answer'),
    requestBodyBytes: smallBody,
    upstreamCaptures: [
      { provider: 'oai', model: 'gpt-x', url: 'http://127.0.0.1:2/v1/chat/completions', request: pool.subarray(200, 230), status: 200, contentType: 'text/event-stream', responseChunks: [pool.subarray(300, 310), pool.subarray(310, 330)], responseBytes: 30, truncated: false },
    ],
  };
  const large = largeRecord('large');
  /** The record's bodies as text (Buffers that were detached would read as empty). */
  const bodies = (entry: RequestLogRecord): string[] => [
    entry.requestBodyBytes?.toString('base64') ?? '',
    ...(entry.upstreamCaptures ?? []).flatMap((exchange) => [String(exchange.request?.toString('base64')), Buffer.concat(exchange.responseChunks).toString('base64')]),
  ];
  const before = [bodies(small), bodies(large)];
  const posted = transferableBatch([small, large]);
  assert.notEqual(posted.batch[0], small, 'records are copied, not changed');
  assert.deepEqual(posted.batch.map(bodies), before, 'the posted bodies are the same bytes');
  const [passthrough, translated] = posted.batch[1].upstreamCaptures ?? [];
  assert.equal(passthrough.request, posted.batch[1].requestBodyBytes, 'the body sent upstream as it came is copied once');
  assert.equal(translated.responseChunks.length, 1, 'a large streamed response is joined into one buffer');
  assert.equal(posted.batch[0].upstreamCaptures?.[0].responseChunks.length, 1, 'so is a small one');
  assert.equal(posted.transfer.length, 4, 'one buffer for the small bodies, then the request body, translated request and joined response');
  const smallBytes = 7 + 30 + 30 + 16; // the small record's three bodies and the large record's small error answer
  assert.equal(posted.transfer[0].byteLength, smallBytes, 'the small bodies packed, nothing else of their memory');
  for (const bytes of [posted.batch[0].requestBodyBytes, posted.batch[0].upstreamCaptures?.[0].request, passthrough.responseChunks[0]]) {
    assert.equal((bytes as Buffer).buffer, posted.transfer[0], 'a small body is a view into the packed buffer');
  }
  // Transferring detaches only the copies.
  new MessageChannel().port1.postMessage(posted.batch, posted.transfer);
  assert.equal(posted.transfer[0].byteLength, 0, 'the copy was transferred');
  assert.deepEqual([bodies(small), bodies(large)], before, 'the caller’s Buffers are unchanged');
});

test('writer thread: posting a batch of small records clones none of the memory their Buffers are views into', () => {
  const pool = Buffer.alloc(64 * 1024, 0x20);
  const records = Array.from({ length: 20 }, (_, index): RequestLogRecord => ({
    ...record(`r${index}`, index, '', 'answer'),
    requestBodyBytes: pool.subarray(index * 100, index * 100 + 50),
    upstreamCaptures: [
      { provider: 'oai', model: 'gpt-x', url: 'http://127.0.0.1:2/v1/chat/completions', request: pool.subarray(10_000 + index * 100, 10_000 + index * 100 + 60), status: 200, contentType: 'text/event-stream', responseChunks: [pool.subarray(20_000, 20_040)], responseBytes: 40, truncated: false },
    ],
  }));
  const posted = transferableBatch(records);
  const bodyBytes = 20 * (50 + 60 + 40);
  assert.equal(posted.transfer.length, 1, 'one buffer for the batch');
  assert.equal(posted.transfer[0].byteLength, bodyBytes, 'holding the bodies’ bytes and nothing else');
  // What the thread receives: views into the transferred buffer, not clones of the 64 KiB the
  // caller's Buffers are views into (as the records as they were would give).
  const { port1, port2 } = new MessageChannel();
  const received = (): RequestLogRecord[] => receiveMessageOnPort(port2)?.message as RequestLogRecord[];
  port1.postMessage(posted.batch, posted.transfer);
  const moved = received();
  assert.equal(moved.length, 20);
  for (const entry of moved) {
    const capture = entry.upstreamCaptures?.[0];
    for (const bytes of [entry.requestBodyBytes, capture?.request, ...(capture?.responseChunks ?? [])]) {
      assert.equal((bytes as Uint8Array).buffer.byteLength, bodyBytes, 'a view into the one transferred buffer');
    }
  }
  assert.equal(Buffer.from(moved[3].requestBodyBytes as Uint8Array).toString(), ' '.repeat(50));
  port1.postMessage(records);
  assert.equal(received()[0].requestBodyBytes?.buffer.byteLength, 64 * 1024, 'the records as they were clone the whole memory (a check of this test)');
  port1.close();
});

test('writer thread: a record with large bodies is stored exactly (request body, both upstream exchanges)', async (t) => {
  const { handle, thread } = await threadWithoutFallback(t);
  const large = largeRecord('big');
  await thread.write([large], 7);
  const stored = await new RequestLogStore(handle.database, handle.backend).get('big');
  assert.equal(stored?.requestBody, large.requestBodyBytes?.toString('utf8'));
  const captures = large.upstreamCaptures ?? [];
  assert.deepEqual(
    stored?.upstream?.map((exchange) => [exchange.provider, exchange.request, exchange.response]),
    captures.map((exchange) => [exchange.provider, exchange.request?.toString('utf8'), Buffer.concat(exchange.responseChunks).toString('utf8')]),
  );
  assert.equal(large.requestBodyBytes?.length, stored?.requestBody?.length === undefined ? -1 : Buffer.byteLength(stored.requestBody), 'the caller’s body is still whole');
});
