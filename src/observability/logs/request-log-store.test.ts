import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase } from '../../storage/open-database.js';
import { RequestLogQueue } from './request-log-queue.js';
import type { RequestLogRecord } from './request-log-record.js';
import { ftsQuery, RequestLogStore, searchTextOf } from './request-log-store.js';

const DAY_MS = 86_400_000;

function record(overrides: Partial<RequestLogRecord>): RequestLogRecord {
  return {
    id: overrides.id ?? 'r',
    createdAt: 1_000,
    requestKind: 'main',
    inboundApi: 'anthropic',
    provider: 'anth',
    modelRequested: 'claude-x',
    modelServed: 'claude-x',
    fallbackStep: 0,
    attempts: [],
    status: 200,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.001,
    latencyMs: 100,
    streaming: true,
    droppedFields: [],
    ...overrides,
  };
}

test('FTS query quoting keeps operators out', () => {
  assert.equal(ftsQuery('hello "world" OR x*'), '"hello" "world" "OR" "x"');
  assert.equal(ftsQuery('  -- '), undefined);
  assert.equal(searchTextOf(JSON.stringify({ system: 'sys', messages: [{ role: 'user', content: 'first turn' }] }), { content: [{ type: 'text', text: 'answer' }] }), 'first turn\nanswer');
});

test('store: bodies stored once by hash, filters, cursor pages, stats, purge', async () => {
  const handle = await openDatabase({ url: 'sqlite::memory:', appDirectory: '.' });
  try {
    const now = 10 * DAY_MS;
    const store = new RequestLogStore(handle.database, handle.backend, () => now);
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'shared prompt alpha' }] });
    await store.write([
      record({ id: 'a', createdAt: now - 3, requestBody: body, responseBody: { content: [{ type: 'text', text: 'bravo' }] } }),
      record({ id: 'b', createdAt: now - 2, requestBody: body, provider: 'oai', status: 503, errorType: 'overloaded_error', latencyMs: 300, costUsd: 0 }),
      record({ id: 'c', createdAt: now - 1, latencyMs: 200 }),
    ]);
    // Written 40 days ago (bodies carry their write time).
    await new RequestLogStore(handle.database, handle.backend, () => now - 40 * DAY_MS).write([record({ id: 'old', createdAt: now - 40 * DAY_MS, requestBody: 'old body' })]);
    const bodies = await handle.database.selectFrom('log_bodies').select('hash').execute();
    assert.equal(bodies.length, 3, 'one shared request body, one answer, one old body');
    assert.deepEqual((await store.list({ search: 'alpha' }, 10)).records.map((entry) => entry.id).sort(), ['a', 'b']);
    assert.deepEqual((await store.list({ search: 'bravo' }, 10)).records.map((entry) => entry.id), ['a']);
    assert.deepEqual((await store.list({ provider: 'oai' }, 10)).records.map((entry) => entry.id), ['b']);
    assert.deepEqual((await store.list({ status: 'error' }, 10)).records.map((entry) => entry.id), ['b']);
    assert.deepEqual((await store.list({ minLatencyMs: 150, maxLatencyMs: 250 }, 10)).records.map((entry) => entry.id), ['c']);
    assert.deepEqual((await store.list({ minCostUsd: 0.0005 }, 10)).records.map((entry) => entry.id), ['c', 'a', 'old']);
    const first = await store.list({}, 2);
    assert.deepEqual(first.records.map((entry) => entry.id), ['c', 'b']);
    const second = await store.list({}, 2, first.nextCursor);
    assert.deepEqual(second.records.map((entry) => entry.id), ['a', 'old']);
    assert.equal(second.nextCursor, undefined);
    const stats = await store.stats({ from: now - DAY_MS });
    assert.equal(stats.requests, 3);
    assert.equal(stats.errors, 1);
    assert.equal(stats.latencyMs.p50, 200);
    assert.equal(stats.latencyMs.p99, 300);
    assert.ok(Math.abs(stats.costUsd - 0.002) < 1e-9);
    const full = await store.get('a');
    assert.equal(full?.requestBody, body);
    assert.deepEqual(full?.responseBody, { content: [{ type: 'text', text: 'bravo' }] });
    assert.equal(await store.purge(now - 30 * DAY_MS), 1);
    assert.equal(await store.get('old'), undefined);
    assert.equal((await handle.database.selectFrom('log_bodies').select('hash').execute()).length, 2, 'the old body went with its record');
  } finally {
    await handle.close();
  }
});

test('queue: bounded, drops counted, flush writes in batches, subscribers get written records', async () => {
  const written: RequestLogRecord[][] = [];
  const queue = new RequestLogQueue({ write: async (batch) => void written.push([...batch]) }, { maxRecords: 5, batchSize: 2, flushIntervalMs: 10_000 });
  const tailed: string[] = [];
  queue.subscribe((entry) => tailed.push(entry.id));
  for (let index = 0; index < 7; index += 1) queue.enqueue(record({ id: `r${index}` }));
  assert.equal(queue.stats.dropped, 2);
  await queue.flush();
  assert.deepEqual(written.map((batch) => batch.length), [2, 2, 1]);
  assert.deepEqual(tailed, ['r0', 'r1', 'r2', 'r3', 'r4']);
  await queue.close();
  assert.equal(queue.enqueue(record({ id: 'late' })), false);
});
