import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDatabase } from '../../storage/open-database.js';
import type { RequestLogRecord } from './request-log-record.js';
import { RequestLogStore } from './request-log-store.js';
import { RequestLogWriterThread } from './request-log-writer-thread.js';

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
