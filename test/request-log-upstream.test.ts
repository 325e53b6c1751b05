/**
 * The request log keeps what went to the provider and what came back: for a translated streaming
 * request (Anthropic in, OpenAI-compatible mock out, with a tool call) `GET /api/logs/{id}` returns
 * the OpenAI-format body Heimdall sent and the raw upstream SSE; for a passthrough the body sent to
 * the Anthropic mock (model swapped) and its raw SSE; with content logging off neither is stored.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { buildGatewaySettings } from '../src/config/gateway-settings.js';
import type { RequestLogRecord, RequestLogSummary } from '../src/observability/logs/request-log-record.js';
import { startObservability } from '../src/observability/observability.js';
import { startGateway, type RunningGateway } from '../src/start-gateway.js';
import { anthropicTextEvents, writeAnthropicSse } from '../src/testing/anthropic-sse.js';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';
import { openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from '../src/testing/openai-chat-sse.js';

interface Setup {
  gateway: RunningGateway;
  openai: MockUpstream;
  anthropic: MockUpstream;
  /** The request log's SQLite file. */
  databasePath: string;
  flush(): Promise<void>;
}

async function startSetup(t: TestContext, logContent: boolean): Promise<Setup> {
  const openai = await startMockUpstream(async (request, response) => {
    const body = request.json as Record<string, unknown>;
    await writeOpenAiChatSse(
      response,
      openAiChatStreamChunks({
        model: String(body.model),
        text: 'Looking it up.',
        toolCalls: [{ id: 'call_weather1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
        usage: openAiUsage(21, 9),
      }),
    );
  });
  const anthropic = await startMockUpstream((request, response) => {
    const body = request.json as Record<string, unknown>;
    writeAnthropicSse(response, anthropicTextEvents({ model: String(body.model), text: 'passthrough answer', inputTokens: 11, outputTokens: 3, pieceLength: 6 }));
  });
  const config: HeimdallConfig = {
    providers: {
      oai: { type: 'openai', base_url: `${openai.url}/v1`, keys: [{ name: 'oai-key', value: 'sk-oai-test' }] },
      anth: { type: 'anthropic', base_url: anthropic.url, keys: [{ name: 'anth-key', value: 'sk-ant-test' }] },
    },
    models: { 'sonnet-alias': 'anth/claude-upstream-test' },
    logging: { content: logContent },
  } as HeimdallConfig;
  const directory = mkdtempSync(join(tmpdir(), 'heimdall-upstream-log-'));
  const settings = buildGatewaySettings(config, {});
  settings.port = 0;
  settings.host = '127.0.0.1';
  const observability = await startObservability({ settings: settings.observability, gateway: settings, databaseUrl: `sqlite:${join(directory, 'log.db')}`, appDirectory: directory });
  const gateway = await startGateway(settings, { observability });
  t.after(async () => {
    await gateway.close();
    await openai.close();
    await anthropic.close();
    rmSync(directory, { recursive: true, force: true });
  });
  return { gateway, openai, anthropic, databasePath: join(directory, 'log.db'), flush: async () => observability.logQueue?.flush() };
}

async function send(gateway: RunningGateway, model: string): Promise<string> {
  const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-caller' },
    body: JSON.stringify({
      model,
      max_tokens: 64,
      stream: true,
      tools: [{ name: 'get_weather', description: 'Weather of a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'weather in Oslo?' }],
    }),
  });
  assert.equal(response.status, 200);
  return response.text();
}

async function getJson<T>(gateway: RunningGateway, path: string): Promise<T> {
  const response = await fetch(`${gateway.url}${path}`);
  assert.equal(response.status, 200, path);
  return (await response.json()) as T;
}

async function recordOf(setup: Setup, provider: string): Promise<RequestLogRecord> {
  await setup.flush();
  const page = await getJson<{ data: RequestLogSummary[] }>(setup.gateway, `/api/logs?provider=${provider}`);
  assert.equal(page.data.length, 1);
  return getJson<RequestLogRecord>(setup.gateway, `/api/logs/${page.data[0].id}`);
}

test('request log: translated and passthrough records carry the upstream request and raw response', async (t) => {
  const setup = await startSetup(t, true);
  const translatedAnswer = await send(setup.gateway, 'oai/gpt-upstream-test');
  assert.match(translatedAnswer, /tool_use/);
  await send(setup.gateway, 'anth/claude-upstream-test');

  const translated = await recordOf(setup, 'oai');
  assert.ok(translated.upstream !== undefined && translated.upstream.length === 1, 'one upstream exchange');
  const exchange = translated.upstream[0];
  assert.equal(exchange.provider, 'oai');
  assert.equal(exchange.model, 'gpt-upstream-test');
  assert.equal(exchange.status, 200);
  assert.match(String(exchange.contentType), /text\/event-stream/);
  assert.equal(exchange.url, `${setup.openai.url}/v1/chat/completions`);
  // The request is what the OpenAI-compatible mock received, byte for byte, in OpenAI's format.
  assert.equal(exchange.request, setup.openai.requests[0].body.toString('utf8'));
  const sent = JSON.parse(exchange.request) as Record<string, unknown>;
  assert.equal(sent.model, 'gpt-upstream-test');
  assert.deepEqual((sent.tools as Array<{ type: string; function: { name: string } }>).map((tool) => [tool.type, tool.function.name]), [['function', 'get_weather']]);
  assert.equal(sent.max_tokens ?? sent.max_completion_tokens, 64);
  // The response is the raw OpenAI SSE, not the Anthropic events the caller got.
  assert.match(exchange.response, /^data: \{"id":"chatcmpl-/);
  assert.match(exchange.response, /"tool_calls":\[\{"index":0,"id":"call_weather1"/);
  assert.match(exchange.response, /data: \[DONE\]/);
  assert.doesNotMatch(exchange.response, /content_block_start/);
  assert.equal(exchange.truncated, false);
  // The client-facing bodies are still there beside it.
  assert.match(String(translated.requestBody), /"model":"oai\/gpt-upstream-test"/);

  const passthrough = await recordOf(setup, 'anth');
  assert.ok(passthrough.upstream !== undefined && passthrough.upstream.length === 1);
  const relayed = passthrough.upstream[0];
  assert.equal(relayed.url, `${setup.anthropic.url}/v1/messages`);
  assert.equal(relayed.request, setup.anthropic.requests[0].body.toString('utf8'));
  assert.equal((JSON.parse(relayed.request) as { model: string }).model, 'claude-upstream-test');
  assert.match(relayed.response, /event: message_start/);
  assert.match(relayed.response, /passth/);
});

test('request log: a passthrough that sends the caller\'s own bytes stores them once, and the detail still shows them as the upstream request', async (t) => {
  const setup = await startSetup(t, true);
  // a bare Claude name goes to the Anthropic provider unchanged: the caller's body is relayed byte for byte
  await send(setup.gateway, 'claude-upstream-test');
  const record = await recordOf(setup, 'anth');
  assert.ok(record.upstream !== undefined && record.upstream.length === 1);
  const [exchange] = record.upstream;
  const received = setup.anthropic.requests[0].body.toString('utf8');
  assert.equal(exchange.request, received, 'the upstream request as the provider received it');
  assert.equal(record.requestBody, received, 'the same bytes as the request body');
  assert.match(exchange.response, /passthrough answer|passth/);
  // stored once: the upstream exchanges' body holds the response, not the request again
  const database = new Database(setup.databasePath, { readonly: true });
  t.after(() => database.close());
  const row = database.prepare('select content from log_bodies where hash = (select upstream_body_hash from request_logs where id = ?)').get(record.id) as { content: string } | undefined;
  assert.ok(row !== undefined);
  assert.ok(!row.content.includes('weather in Oslo?'), 'the request text is not stored a second time');
});

test('request log: with content logging off no upstream exchange is stored', async (t) => {
  const setup = await startSetup(t, false);
  await send(setup.gateway, 'oai/gpt-upstream-test');
  const record = await recordOf(setup, 'oai');
  assert.equal(record.upstream, undefined);
  assert.equal(record.requestBody, undefined);
  assert.equal(record.status, 200);
});
