/**
 * The request log, metrics and traces end to end: 2,000 requests under concurrency (passthrough
 * and translated, streaming and not, upstream errors and fallbacks) against mock upstreams on
 * 127.0.0.1 produce exactly one record each with the right tokens and cost, found by content
 * search — on SQLite and on PostgreSQL (skipped with a notice when absent unless
 * HEIMDALL_REQUIRE_SERVICES=1). Also: a stalled store neither slows nor fails requests and its
 * drops are counted; `/metrics` parses and matches; spans reach a local OTLP receiver with the
 * caller's trace id propagated upstream.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { buildGatewaySettings } from '../src/config/gateway-settings.js';
import { startObservability } from '../src/observability/observability.js';
import type { RequestLogRecord, RequestLogSummary } from '../src/observability/logs/request-log-record.js';
import type { RequestLogWriter } from '../src/observability/logs/request-log-store.js';
import { startGateway, type RunningGateway } from '../src/start-gateway.js';
import { anthropicTextEvents, anthropicTextMessage, writeAnthropicSse } from '../src/testing/anthropic-sse.js';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse, writeOpenAiError } from '../src/testing/openai-chat-sse.js';
import { createScratchPostgresDatabase, skipWithoutPostgres } from '../src/testing/services.js';

const TOTAL_REQUESTS = 2000;
const CONCURRENCY = 32;
/** USD per million tokens, from the `pricing` config below. */
const PRICE = { input: 3, output: 15 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The request number a mock reads from the body's last user message (`needle<n>x`). */
function requestNumber(request: RecordedRequest): number {
  const match = /needle(\d+)x/.exec(request.body.toString('utf8'));
  return match === null ? 0 : Number(match[1]);
}

/** Input tokens of request `n` (unique per request, so records can be matched to requests). */
const inputTokensOf = (n: number): number => 1000 + n;
const outputTokensOf = (n: number): number => 3 + (n % 5);

interface Upstreams {
  anthropic: MockUpstream;
  openai: MockUpstream;
  down: MockUpstream;
  close(): Promise<void>;
}

async function startUpstreams(): Promise<Upstreams> {
  const anthropic = await startMockUpstream((request, response) => {
    const n = requestNumber(request);
    const body = request.json as Record<string, unknown>;
    const options = { model: String(body.model), text: `reply${n}z from anthropic`, inputTokens: inputTokensOf(n), outputTokens: outputTokensOf(n) };
    if (body.stream === true) writeAnthropicSse(response, anthropicTextEvents({ ...options, pieceLength: 5 }));
    else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(anthropicTextMessage(options)));
    }
  });
  const openai = await startMockUpstream(async (request, response) => {
    const n = requestNumber(request);
    const body = request.json as Record<string, unknown>;
    const identity = { model: String(body.model) };
    const usage = openAiUsage(inputTokensOf(n), outputTokensOf(n));
    if (body.stream === true) await writeOpenAiChatSse(response, openAiChatStreamChunks({ ...identity, text: `reply${n}z from openai`, usage }));
    else {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(openAiChatCompletion({ ...identity, text: `reply${n}z from openai`, usage })));
    }
  });
  const down = await startMockUpstream((_request, response) => writeOpenAiError(response, 503, 'upstream overloaded'));
  return {
    anthropic,
    openai,
    down,
    close: async () => {
      await anthropic.close();
      await openai.close();
      await down.close();
    },
  };
}

function gatewayConfig(upstreams: Upstreams, extra: Partial<HeimdallConfig> = {}): HeimdallConfig {
  return {
    providers: {
      anth: { type: 'anthropic', base_url: upstreams.anthropic.url, keys: [{ name: 'anth-key', value: 'sk-ant-test' }] },
      oai: { type: 'openai', base_url: `${upstreams.openai.url}/v1`, keys: [{ name: 'oai-key', value: 'sk-oai-test' }] },
      down: { type: 'openai', base_url: `${upstreams.down.url}/v1`, keys: [{ name: 'down-key', value: 'sk-down-test' }] },
    },
    routing: { retries: { max_retries: 0 } },
    pricing: {
      'anth/claude-log-test': { input_per_mtok: PRICE.input, output_per_mtok: PRICE.output },
      'oai/gpt-log-test': { input_per_mtok: PRICE.input, output_per_mtok: PRICE.output },
    },
    ...extra,
  };
}

/** What request `n` is. */
type Mode = 'passthrough-stream' | 'passthrough-json' | 'translated-stream' | 'translated-json' | 'fallback' | 'upstream-error' | 'unknown-model';

function modeOf(n: number): Mode {
  switch (n % 10) {
    case 0:
    case 5:
      return 'passthrough-stream';
    case 1:
    case 6:
      return 'translated-stream';
    case 2:
      return 'passthrough-json';
    case 3:
    case 7:
      return 'translated-json';
    case 4:
      return 'fallback';
    case 8:
      return 'upstream-error';
    default:
      return n % 20 === 9 ? 'unknown-model' : 'passthrough-stream';
  }
}

/** Sends request `n`; resolves with the HTTP status once the whole answer was read. */
async function sendRequest(gateway: RunningGateway, n: number, extraHeaders: Record<string, string> = {}): Promise<number> {
  const mode = modeOf(n);
  const model = {
    'passthrough-stream': 'anth/claude-log-test',
    'passthrough-json': 'anth/claude-log-test',
    'translated-stream': 'oai/gpt-log-test',
    'translated-json': 'oai/gpt-log-test',
    fallback: 'down/gpt-broken',
    'upstream-error': 'down/gpt-broken',
    'unknown-model': `nowhere/model-${n}`,
  }[mode];
  const stream = mode.endsWith('stream') || mode === 'fallback';
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': 'sk-ant-caller', ...extraHeaders };
  if (mode === 'fallback') headers['x-heimdall-fallbacks'] = 'anth/claude-log-test';
  const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ model, max_tokens: 64, stream, messages: [{ role: 'user', content: `please answer needle${n}x now` }] }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function runConcurrently(count: number, concurrency: number, work: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next;
        next += 1;
        await work(n);
      }
    }),
  );
}

async function getJson<T>(gateway: RunningGateway, path: string): Promise<T> {
  const response = await fetch(`${gateway.url}${path}`);
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return (await response.json()) as T;
}

async function listAll(gateway: RunningGateway, query = ''): Promise<RequestLogSummary[]> {
  const records: RequestLogSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: RequestLogSummary[]; next_cursor: string | null } = await getJson(
      gateway,
      `/api/logs?limit=1000${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    );
    records.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return records;
}

async function exerciseRequestLog(t: TestContext, databaseUrl: string, cleanup: () => Promise<void> | void = () => undefined): Promise<void> {
  const upstreams = await startUpstreams();
  const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-log-'));
  const settings = buildGatewaySettings(gatewayConfig(upstreams), {});
  settings.port = 0;
  settings.host = '127.0.0.1';
  const observability = await startObservability({ settings: settings.observability, gateway: settings, databaseUrl, appDirectory });
  const gateway = await startGateway(settings, { observability });
  t.after(async () => {
    await gateway.close();
    await upstreams.close();
    rmSync(appDirectory, { recursive: true, force: true });
    await cleanup();
  });

  // A live tail, open while the requests run.
  const tailed: RequestLogSummary[] = [];
  const tailAbort = new AbortController();
  const tail = await fetch(`${gateway.url}/api/logs/tail?provider=oai`, { signal: tailAbort.signal });
  assert.equal(tail.status, 200);
  const tailReading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of tail.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((line) => line.startsWith('data: '));
          if (data !== undefined) tailed.push(JSON.parse(data.slice('data: '.length)) as RequestLogSummary);
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();

  const statuses = new Map<number, number>();
  await runConcurrently(TOTAL_REQUESTS, CONCURRENCY, async (n) => {
    statuses.set(n, await sendRequest(gateway, n));
  });
  await observability.logQueue?.flush();

  const records = await listAll(gateway);
  assert.equal(records.length, TOTAL_REQUESTS, 'exactly one record per request');
  assert.equal(new Set(records.map((record) => record.id)).size, TOTAL_REQUESTS);
  const byInputTokens = new Map<number, RequestLogSummary>();
  for (const record of records) if (record.inputTokens > 0) byInputTokens.set(record.inputTokens, record);

  let served = 0;
  for (let n = 0; n < TOTAL_REQUESTS; n += 1) {
    const mode = modeOf(n);
    const status = statuses.get(n);
    if (mode === 'upstream-error' || mode === 'unknown-model') {
      assert.ok(status !== undefined && status >= 400, `request ${n} (${mode}) should fail, got ${String(status)}`);
      continue;
    }
    served += 1;
    assert.equal(status, 200, `request ${n} (${mode})`);
    const record = byInputTokens.get(inputTokensOf(n));
    assert.ok(record !== undefined, `record of request ${n} (${mode})`);
    assert.equal(record.outputTokens, outputTokensOf(n), `output tokens of ${n}`);
    const expectedCost = (inputTokensOf(n) * PRICE.input + outputTokensOf(n) * PRICE.output) / 1e6;
    assert.ok(Math.abs(record.costUsd - expectedCost) < 1e-6, `cost of ${n}: ${record.costUsd} vs ${expectedCost}`);
    assert.equal(record.status, 200);
    assert.equal(record.streaming, mode.endsWith('stream') || mode === 'fallback');
    assert.equal(record.inboundApi, 'anthropic');
    assert.equal(record.modelRequested, mode === 'fallback' ? 'down/gpt-broken' : mode.startsWith('translated') ? 'oai/gpt-log-test' : 'anth/claude-log-test');
    if (mode === 'fallback') {
      assert.equal(record.provider, 'anth');
      assert.equal(record.fallbackStep, 1);
      assert.ok(record.attempts.some((attempt) => attempt.provider === 'down'));
    } else {
      assert.equal(record.provider, mode.startsWith('translated') ? 'oai' : 'anth');
      assert.equal(record.fallbackStep, 0);
    }
    assert.equal(record.providerKey, mode.startsWith('translated') ? 'oai-key' : 'anth-key');
    assert.equal(record.stopReason, 'end_turn');
    assert.ok(record.timeToFirstTokenMs !== undefined && record.timeToFirstTokenMs <= record.latencyMs);
  }
  assert.equal(byInputTokens.size, served);
  const failures = records.filter((record) => record.status >= 400);
  assert.equal(failures.length, TOTAL_REQUESTS - served);
  const unknown = failures.filter((record) => record.modelRequested?.startsWith('nowhere/') === true);
  assert.ok(unknown.length > 0 && unknown.every((record) => record.status === 400 && record.errorType === 'invalid_request_error'));

  // Full-text search over request and response content.
  for (const n of [0, 1, 2, 3, 4, 1234, 1999]) {
    if (modeOf(n) === 'upstream-error' || modeOf(n) === 'unknown-model') continue;
    const found = await listAll(gateway, `&search=needle${n}x`);
    assert.deepEqual(
      found.map((record) => record.inputTokens),
      [inputTokensOf(n)],
      `search needle${n}x`,
    );
    const byAnswer = await listAll(gateway, `&search=${encodeURIComponent(`reply${n}z`)}`);
    assert.deepEqual(
      byAnswer.map((record) => record.inputTokens),
      [inputTokensOf(n)],
      `search reply${n}z`,
    );
  }
  // One record with its content: the request body and the answer assembled from the stream.
  const streamed = byInputTokens.get(inputTokensOf(0));
  assert.ok(streamed !== undefined);
  const full = await getJson<RequestLogRecord>(gateway, `/api/logs/${streamed.id}`);
  assert.match(String(full.requestBody), /needle0x/);
  assert.ok(isRecord(full.responseBody));
  assert.deepEqual(full.responseBody.content, [{ type: 'text', text: 'reply0z from anthropic' }]);
  const translated = byInputTokens.get(inputTokensOf(1));
  assert.ok(translated !== undefined);
  const translatedFull = await getJson<RequestLogRecord>(gateway, `/api/logs/${translated.id}`);
  assert.ok(isRecord(translatedFull.responseBody));
  assert.deepEqual(translatedFull.responseBody.content, [{ type: 'text', text: 'reply1z from openai' }]);

  // Filters and stats.
  const translatedRecords = await listAll(gateway, '&provider=oai');
  assert.equal(translatedRecords.length, records.filter((record) => record.provider === 'oai').length);
  const errors = await listAll(gateway, '&status=error');
  assert.equal(errors.length, failures.length);
  const stats = await getJson<{ requests: number; errors: number; inputTokens: number; outputTokens: number; costUsd: number; latencyMs: { p50: number; p99: number }; dropped: number }>(
    gateway,
    '/api/logs/stats',
  );
  assert.equal(stats.requests, TOTAL_REQUESTS);
  assert.equal(stats.errors, failures.length);
  assert.equal(stats.inputTokens, records.reduce((sum, record) => sum + record.inputTokens, 0));
  assert.equal(stats.outputTokens, records.reduce((sum, record) => sum + record.outputTokens, 0));
  assert.ok(Math.abs(stats.costUsd - records.reduce((sum, record) => sum + record.costUsd, 0)) < 1e-6);
  assert.ok(stats.latencyMs.p50 <= stats.latencyMs.p99);
  assert.equal(stats.dropped, 0);

  tailAbort.abort();
  await tailReading;
  assert.equal(tailed.length, translatedRecords.length, 'the tail streamed every oai record as it landed');
}

test('request log: 2,000 mixed requests on SQLite, one record each, tokens, cost, search, stats, tail', async (t) => {
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-log-sqlite-'));
  await exerciseRequestLog(t, `sqlite:${join(directory, 'log.db')}`, () => rmSync(directory, { recursive: true, force: true }));
});

test('request log: 2,000 mixed requests on PostgreSQL', { skip: await skipWithoutPostgres() }, async (t) => {
  const scratch = await createScratchPostgresDatabase();
  await exerciseRequestLog(t, scratch.url, () => scratch.drop());
});

test('request log: a stalled store neither slows nor fails requests; drops are counted', async (t) => {
  const upstreams = await startUpstreams();
  const settings = buildGatewaySettings(gatewayConfig(upstreams, { logging: { queue_max_records: 50, flush_interval_ms: 5 } }), {});
  settings.port = 0;
  settings.host = '127.0.0.1';
  let writes = 0;
  let handedToWriter = 0;
  const stalled: RequestLogWriter = {
    write: (batch) => {
      writes += 1;
      handedToWriter += batch.length;
      return new Promise<void>(() => undefined); // never settles
    },
  };
  const observability = await startObservability({ settings: settings.observability, gateway: settings, logWriter: stalled });
  const gateway = await startGateway(settings, { observability });
  t.after(async () => {
    await gateway.close();
    await upstreams.close();
  });
  const requests = 300;
  await runConcurrently(requests, 16, async (n) => {
    const status = await sendRequest(gateway, n * 10); // passthrough streams
    assert.equal(status, 200);
  });
  const queue = observability.logQueue;
  assert.ok(queue !== undefined);
  assert.equal(writes, 1, 'one write in flight, stalled');
  // Every record is accounted for: handed to the stalled write, waiting (at most 50), or dropped.
  assert.ok(queue.stats.dropped > 0);
  assert.ok(queue.stats.depth <= 50);
  assert.equal(handedToWriter + queue.stats.depth + queue.stats.dropped, requests);
  const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
  const dropped = /^heimdall_log_records_dropped_total (\d+)/m.exec(metrics);
  assert.ok(dropped !== null);
  assert.equal(Number(dropped[1]), queue.stats.dropped);
  const stats = await fetch(`${gateway.url}/api/logs/stats`);
  assert.equal(stats.status, 404, 'no store behind a test writer');
});

/** A tiny Prometheus text-format parser: `name{labels} value` → samples. */
function parsePrometheus(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match !== null, `unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

test('/metrics: parsed, values match the requests sent', async (t) => {
  const upstreams = await startUpstreams();
  const settings = buildGatewaySettings(gatewayConfig(upstreams), {});
  settings.port = 0;
  settings.host = '127.0.0.1';
  const gateway = await startGateway(settings);
  t.after(async () => {
    await gateway.close();
    await upstreams.close();
  });
  const sent = Array.from({ length: 40 }, (_, index) => index);
  for (const n of sent) await sendRequest(gateway, n);
  const exposition = await (await fetch(`${gateway.url}/metrics`)).text();
  assert.match(exposition, /# TYPE heimdall_mcp_tool_calls_total counter/);
  const samples = parsePrometheus(exposition);
  const sum = (name: string, where: (labels: Record<string, string>) => boolean = () => true): number =>
    samples.filter((sample) => sample.name === name && where(sample.labels)).reduce((total, sample) => total + sample.value, 0);
  assert.equal(sum('heimdall_requests_total'), sent.length);
  const ok = sent.filter((n) => modeOf(n) !== 'upstream-error' && modeOf(n) !== 'unknown-model');
  assert.equal(sum('heimdall_requests_total', (labels) => labels.status === '200'), ok.length);
  assert.equal(sum('heimdall_requests_total', (labels) => labels.provider === 'oai'), ok.filter((n) => modeOf(n).startsWith('translated')).length);
  assert.equal(sum('heimdall_tokens_total', (labels) => labels.type === 'input'), ok.reduce((total, n) => total + inputTokensOf(n), 0));
  assert.equal(sum('heimdall_tokens_total', (labels) => labels.type === 'output'), ok.reduce((total, n) => total + outputTokensOf(n), 0));
  const cost = ok.reduce((total, n) => total + (inputTokensOf(n) * PRICE.input + outputTokensOf(n) * PRICE.output) / 1e6, 0);
  assert.ok(Math.abs(sum('heimdall_cost_usd_total') - cost) < 1e-9);
  assert.equal(sum('heimdall_fallbacks_total'), sent.filter((n) => modeOf(n) === 'fallback').length);
  assert.equal(sum('heimdall_active_requests'), 0);
  assert.equal(sum('heimdall_upstream_latency_seconds_count'), sent.length - sent.filter((n) => modeOf(n) === 'unknown-model').length);
  assert.equal(sum('heimdall_gateway_overhead_seconds_count'), sum('heimdall_upstream_latency_seconds_count'));
  assert.ok(sum('heimdall_circuit_breaker_state', (labels) => labels.provider === 'down') >= 1);
});

/** A local OTLP/HTTP receiver (JSON) collecting spans. */
async function startOtlpReceiver(): Promise<{ url: string; spans: Array<Record<string, unknown>>; close(): Promise<void> }> {
  const spans: Array<Record<string, unknown>> = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: Array<Record<string, unknown>> }> }> };
        for (const resource of body.resourceSpans ?? []) for (const scope of resource.scopeSpans ?? []) spans.push(...(scope.spans ?? []));
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, spans, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function attributesOf(span: Record<string, unknown>): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const attribute of (span.attributes as Array<{ key: string; value: Record<string, unknown> }>) ?? []) {
    const value = attribute.value;
    attributes[attribute.key] = value.stringValue ?? (value.intValue === undefined ? undefined : Number(value.intValue)) ?? value.boolValue ?? value.doubleValue ?? value.arrayValue;
  }
  return attributes;
}

test('traces: GenAI spans exported over OTLP/HTTP, caller trace id propagated upstream', async (t) => {
  const upstreams = await startUpstreams();
  const receiver = await startOtlpReceiver();
  const settings = buildGatewaySettings(gatewayConfig(upstreams, { telemetry: { otlp_endpoint: receiver.url, service_name: 'heimdall-test' } }), {});
  settings.port = 0;
  settings.host = '127.0.0.1';
  const gateway = await startGateway(settings);
  t.after(async () => {
    await gateway.close();
    await upstreams.close();
    await receiver.close();
  });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;
  assert.equal(await sendRequest(gateway, 1, { traceparent }), 200); // translated stream (oai)
  assert.equal(await sendRequest(gateway, 4, { traceparent }), 200); // fallback: down, then anth
  const upstreamTraceparent = upstreams.openai.requests.at(-1)?.headers.traceparent;
  assert.ok(typeof upstreamTraceparent === 'string');
  assert.equal(upstreamTraceparent.split('-')[1], traceId, 'the upstream got the caller trace id');
  assert.equal(String(upstreams.anthropic.requests.at(-1)?.headers.traceparent).split('-')[1], traceId);
  await gateway.observability.tracing.flush();
  const spans = receiver.spans.filter((span) => span.traceId === traceId);
  const requestSpans = spans.filter((span) => span.kind === 2); // SERVER
  const attemptSpans = spans.filter((span) => span.kind === 3); // CLIENT
  assert.equal(requestSpans.length, 2);
  assert.equal(attemptSpans.length, 3, 'one per upstream attempt (oai; down then anth)');
  for (const span of requestSpans) assert.equal(span.parentSpanId, '00f067aa0ba902b7');
  const translated = requestSpans.find((span) => attributesOf(span)['gen_ai.request.model'] === 'oai/gpt-log-test');
  assert.ok(translated !== undefined);
  const attributes = attributesOf(translated);
  assert.equal(attributes['gen_ai.operation.name'], 'chat');
  assert.equal(attributes['gen_ai.provider.name'], 'openai');
  assert.equal(attributes['gen_ai.response.model'], 'gpt-log-test');
  assert.equal(attributes['gen_ai.usage.input_tokens'], inputTokensOf(1));
  assert.equal(attributes['gen_ai.usage.output_tokens'], outputTokensOf(1));
  assert.equal(attributes['gen_ai.request.max_tokens'], 64);
  const failedAttempt = attemptSpans.find((span) => attributesOf(span)['heimdall.provider'] === 'down');
  assert.ok(failedAttempt !== undefined);
  assert.equal((failedAttempt.status as { code?: number }).code, 2, 'the failed attempt span is an error');
  const upstreamSpanId = upstreamTraceparent.split('-')[2];
  assert.ok(attemptSpans.some((span) => span.spanId === upstreamSpanId), 'the upstream parent is the attempt span');
});

test('heimdall logs: filtered listing and --follow against a running gateway', async (t) => {
  const upstreams = await startUpstreams();
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-log-cli-'));
  const settings = buildGatewaySettings(gatewayConfig(upstreams, { logging: { flush_interval_ms: 10 } }), {});
  settings.port = 0;
  settings.host = '127.0.0.1';
  const observability = await startObservability({ settings: settings.observability, gateway: settings, databaseUrl: `sqlite:${join(directory, 'log.db')}` });
  const gateway = await startGateway(settings, { observability });
  const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');
  const follower = spawn(process.execPath, ['--import', 'tsx', cli, 'logs', '--follow', '--url', gateway.url, '--provider', 'oai'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(async () => {
    follower.kill();
    await gateway.close();
    await upstreams.close();
    rmSync(directory, { recursive: true, force: true });
  });
  let followed = '';
  follower.stdout.on('data', (chunk: Buffer) => (followed += chunk.toString('utf8')));
  // Wait until the tail is connected (the gateway has a subscriber), then send.
  for (let waited = 0; waited < 200 && (observability.logTail?.listenerCount ?? 0) === 0; waited += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const n of [0, 1, 2, 3]) assert.equal(await sendRequest(gateway, n), 200);
  await observability.logQueue?.flush();
  const listing = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', cli, 'logs', '--url', gateway.url, '--provider', 'oai', '--since', '1h'], (error, stdout) => (error === null ? resolve(stdout) : reject(error)));
  });
  const lines = listing.trim().split('\n');
  assert.equal(lines.length, 2, listing);
  assert.ok(lines.every((line) => line.includes('oai/gpt-log-test') && line.includes(' 200 ')));
  for (let waited = 0; waited < 200 && followed.trim().split('\n').filter((line) => line !== '').length < 2; waited += 1) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(followed.trim().split('\n').length, 2, followed);
  assert.match(followed, /oai\/gpt-log-test/);
});
