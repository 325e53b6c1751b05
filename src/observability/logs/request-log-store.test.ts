import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { openDatabase } from '../../storage/open-database.js';
import { createScratchPostgresDatabase, skipWithoutPostgres } from '../../testing/services.js';
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

/** An in-memory SQLite database, or a scratch PostgreSQL database (undefined, the test skipped, where PostgreSQL is not reachable). */
async function openBackend(
  backend: 'sqlite' | 'postgres',
  context: TestContext,
): Promise<{ handle: Awaited<ReturnType<typeof openDatabase>>; scratch?: Awaited<ReturnType<typeof createScratchPostgresDatabase>> } | undefined> {
  if (backend === 'sqlite') return { handle: await openDatabase({ url: 'sqlite::memory:', appDirectory: '.' }) };
  const skip = await skipWithoutPostgres();
  if (skip !== false) {
    context.skip(skip);
    return undefined;
  }
  const scratch = await createScratchPostgresDatabase();
  return { handle: await openDatabase({ url: scratch.url, appDirectory: '.' }), scratch };
}

/** Time series and breakdowns of `/api/logs/stats`, on SQLite and (when reachable) PostgreSQL. */
for (const backend of ['sqlite', 'postgres'] as const) {
  test(`store (${backend}): totals per time bucket and per provider, model, virtual key and request kind`, async (context) => {
    const opened = await openBackend(backend, context);
    if (opened === undefined) return;
    const { handle, scratch } = opened;
    try {
      const hour = 3_600_000;
      const base = 1000 * hour; // a multiple of the bucket length
      const store = new RequestLogStore(handle.database, handle.backend, () => base + 3 * hour);
      await store.write([
        record({ id: 'a', createdAt: base + 10, provider: 'anth', costUsd: 0.5, latencyMs: 100, virtualKeyId: 'vk1', virtualKeyName: 'alice' }),
        record({ id: 'b', createdAt: base + 20, provider: 'oai', modelServed: 'gpt-x', costUsd: 0.25, latencyMs: 300, status: 500, errorType: 'api_error', virtualKeyId: 'vk2', virtualKeyName: 'bob' }),
        record({ id: 'c', createdAt: base + 2 * hour + 5, provider: 'anth', costUsd: 1, latencyMs: 200, requestKind: 'subagent', virtualKeyId: 'vk1', virtualKeyName: 'alice' }),
        record({ id: 'd', createdAt: base + 2 * hour + 6, provider: 'anth', modelServed: undefined, modelRequested: 'claude-asked', costUsd: 0, inputTokens: 7 }),
      ]);
      const series = await store.timeSeries({}, hour);
      assert.deepEqual(
        series.map((bucket) => [bucket.start, bucket.requests, bucket.errors, bucket.inputTokens, bucket.costUsd, bucket.averageLatencyMs]),
        [
          [base, 2, 1, 20, 0.75, 200],
          [base + 2 * hour, 2, 0, 17, 1, 150],
        ],
      );
      assert.deepEqual((await store.timeSeries({ provider: 'oai' }, hour)).map((bucket) => bucket.requests), [1]);
      await assert.rejects(store.timeSeries({}, 10), RangeError);

      const providers = await store.breakdown({}, 'provider', 10);
      assert.deepEqual(providers.map((group) => [group.key, group.requests, group.costUsd]), [['anth', 3, 1.5], ['oai', 1, 0.25]]);
      const models = await store.breakdown({}, 'model', 10);
      assert.deepEqual(models.map((group) => group.key), ['claude-x', 'gpt-x', 'claude-asked']);
      const keys = await store.breakdown({}, 'virtual_key', 1);
      assert.deepEqual(keys.map((group) => [group.key, group.label, group.costUsd]), [['vk1', 'alice', 1.5]]);
      const kinds = await store.breakdown({ from: base + hour }, 'request_kind', 10);
      assert.deepEqual(kinds.map((group) => [group.key, group.requests]), [['subagent', 1], ['main', 1]]);
    } finally {
      await handle.close();
      await scratch?.drop();
    }
  });
}

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`store (${backend}): request bodies and upstream exchanges kept as bytes are stored as text and read back exactly`, async (context) => {
    const opened = await openBackend(backend, context);
    if (opened === undefined) return;
    const { handle, scratch } = opened;
    try {
      const store = new RequestLogStore(handle.database, handle.backend, () => 2_000);
      const body = JSON.stringify({ model: 'claude-x', messages: [{ role: 'user', content: 'café — ⎿ 🦊' }] });
      const translated = JSON.stringify({ model: 'gpt-x', messages: [{ role: 'user', content: 'café — ⎿ 🦊' }] });
      // A binary frame (Bedrock's event stream): not UTF-8, and NUL bytes PostgreSQL's text cannot hold.
      const notUtf8 = Buffer.from([0x00, 0x00, 0x00, 0x10, 0xff, 0x7b, 0x7d]);
      await store.write([
        // A request body that is not JSON, with a raw NUL (answered 400, and still logged).
        record({ id: 'nul', requestBodyBytes: Buffer.from('{"a":"\u0000"}') }),
        record({
          id: 'bytes',
          requestBodyBytes: Buffer.from(body),
          upstreamCaptures: [
            { provider: 'anth', model: 'claude-x', url: 'http://127.0.0.1:1/v1/messages', request: Buffer.from(body), status: 529, responseChunks: [Buffer.from('{"type":"error"}')], responseBytes: 16, truncated: false },
            { provider: 'oai', model: 'gpt-x', url: 'http://127.0.0.1:2/v1/chat/completions', request: Buffer.from(translated), status: 200, responseChunks: [Buffer.from('data: "é'), Buffer.from('"\n\n')], responseBytes: 13, truncated: false },
            { provider: 'bedrock', model: 'claude-x', url: 'http://127.0.0.1:3/invoke', request: '{}', status: 200, responseChunks: [notUtf8], responseBytes: notUtf8.length, truncated: true },
          ],
        }),
      ]);
      const stored = await store.get('bytes');
      assert.equal(stored?.requestBody, body);
      assert.deepEqual(
        stored?.upstream?.map((exchange) => [exchange.provider, exchange.request, exchange.response, exchange.truncated]),
        [
          ['anth', body, '{"type":"error"}', false],
          ['oai', translated, 'data: "é"\n\n', false],
          ['bedrock', '{}', notUtf8.toString('utf8').replaceAll('\u0000', '\ufffd'), true],
        ],
      );
      assert.equal((await store.get('nul'))?.requestBody, '{"a":"\ufffd"}');
      const sizes = await handle.database.selectFrom('log_bodies').select(['hash', 'size_bytes']).where('hash', '=', stored?.requestBodyHash ?? '').execute();
      assert.deepEqual(sizes.map((row) => Number(row.size_bytes)), [Buffer.byteLength(body)], 'size in UTF-8 bytes');
    } finally {
      await handle.close();
      await scratch?.drop();
    }
  });
}
