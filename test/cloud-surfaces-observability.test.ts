/**
 * `/bedrock` Converse / ConverseStream and `/genai` Gemini-format generateContent /
 * streamGenerateContent are recorded and charged like the Anthropic surfaces: each request appears
 * in `/api/logs` with its tokens, cost and answer (searchable), a virtual key's budget is charged
 * with the consumed usage (an aborted stream too), and a request beyond the budget is refused in
 * the surface's own error shape; every cloud surface keeps to the provider keys a virtual key may
 * use; requests for unknown models are recorded with their error. Mock upstreams on 127.0.0.1: a Chat Completions upstream
 * (translated path) and a mock Gemini API (same-format passthrough).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ServerResponse } from 'node:http';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { geminiChunk, geminiFinalChunk, startMockGoogle, writeGeminiSse, writeGoogleJson, type GoogleRecordedRequest, type MockGoogle } from '../src/testing/mock-google.js';
import { startMockUpstream, type MockUpstream, type RecordedRequest } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse } from '../src/testing/openai-chat-sse.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';

const ADMIN_TOKEN = 'admin-token-cloud-surfaces-0123456789';
/** $1,000 per million tokens: 10 input + 10 output tokens cost $0.02. */
const PRICE_PER_MTOK = 1000;
const COST_OF_10_PLUS_10 = 0.02;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `needle…` word of a request body, echoed in the answer so both sides are searchable. */
function needleOf(body: Buffer): string {
  return /needle[a-z0-9]+/.exec(body.toString('utf8'))?.[0] ?? 'noneedle';
}

async function answerChat(request: RecordedRequest, response: ServerResponse): Promise<void> {
  const body = isRecord(request.json) ? request.json : {};
  const identity = { model: typeof body.model === 'string' ? body.model : 'gpt-test' };
  const text = `answer for ${needleOf(request.body)}`;
  if (body.stream === true) {
    await writeOpenAiChatSse(response, openAiChatStreamChunks({ ...identity, text, usage: openAiUsage(10, 10) }));
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(openAiChatCompletion({ ...identity, text, usage: openAiUsage(10, 10) })));
}

/** The mock Gemini API: a whole answer, an SSE stream, a streamed JSON array, or (model `gemini-stall`) a stream that stops after its first chunk. */
function answerGemini(request: GoogleRecordedRequest, response: ServerResponse): void {
  const text = `gemini answer for ${needleOf(request.body)}`;
  const final = geminiFinalChunk([{ text: ' done' }], { prompt: 10, candidates: 10 });
  if (request.rpc === 'generateContent') {
    writeGoogleJson(response, geminiFinalChunk([{ text }], { prompt: 10, candidates: 10 }));
    return;
  }
  if (request.model === 'gemini-stall') {
    // usage so far in the first chunk (as Gemini sends it), then nothing until the caller leaves
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.write(`data: ${JSON.stringify(geminiChunk([{ text }], { usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } }))}\r\n\r\n`);
    return;
  }
  if (request.alt === 'sse') {
    writeGeminiSse(response, [geminiChunk([{ text }]), final]);
    return;
  }
  response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  response.write(`[${JSON.stringify(geminiChunk([{ text: `${text} {with [brackets] and "quotes\\"}` }]))}\r\n`);
  response.end(`,${JSON.stringify(final)}\r\n]`);
}

describe('request log and budgets on /bedrock Converse and /genai Gemini-format requests', () => {
  let chat: MockUpstream;
  let google: MockGoogle;
  let gateway: GovernedTestGateway;

  before(async () => {
    chat = await startMockUpstream(answerChat);
    google = await startMockGoogle(answerGemini);
    const price = { input_per_mtok: PRICE_PER_MTOK, output_per_mtok: PRICE_PER_MTOK };
    const config: HeimdallConfig = {
      providers: {
        openai: {
          base_url: `${chat.url}/v1`,
          keys: [
            { name: 'main', value: 'sk-upstream' },
            { name: 'other', value: 'sk-upstream-other' },
          ],
        },
        gemini: { base_url: google.geminiBaseUrl, keys: [{ name: 'google', value: google.apiKey }] },
      },
      pricing: { 'openai/gpt-test': price, 'gemini/gemini-obs': price, 'gemini/gemini-stall': price },
      admin: { token: 'env.TEST_ADMIN_TOKEN' },
      governance: { enforce_auth_on_inference: true },
      logging: { flush_interval_ms: 50 },
    };
    gateway = await startGovernedTestGateway(config, { environment: { TEST_ADMIN_TOKEN: ADMIN_TOKEN } });
  });

  after(async () => {
    await gateway?.close();
    await chat?.close();
    await google?.close();
  });

  async function admin(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await fetch(`${gateway.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path} → ${response.status} ${text}`);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  /** A key that logs content, may use the provider key `main` only (unless `extra` says otherwise), with a monthly budget. */
  async function createKey(name: string, budgetUsd: number, extra: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
    const created = await admin('POST', '/api/virtual-keys', {
      name,
      log_content: true,
      allowed_provider_keys: ['main', 'google'],
      budgets: [{ limit_usd: budgetUsd, period: '1M' }],
      ...extra,
    });
    const nested = isRecord(created.virtual_key) ? created.virtual_key : created;
    const secret = created.secret ?? nested.secret;
    assert.equal(typeof secret, 'string', JSON.stringify(created));
    return { id: String(nested.id), secret: String(secret) };
  }

  /** Waits (bounded) until the key's budget shows `expectedUsd` spent. */
  async function spentUsd(keyId: string, expectedUsd: number): Promise<number> {
    let spent = Number.NaN;
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const listed = await admin('GET', `/api/budgets?owner_type=virtual_key&owner_id=${keyId}`);
      const first = Array.isArray(listed.data) && isRecord(listed.data[0]) ? listed.data[0] : undefined;
      const current = isRecord(first?.current) ? first.current : undefined;
      spent = typeof current?.spent_usd === 'number' ? current.spent_usd : Number.NaN;
      if (Math.abs(spent - expectedUsd) < 1e-9) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return spent;
  }

  /** The log records of a virtual key (bounded wait until `count` are there), newest first. */
  async function recordsOf(keyId: string, count: number): Promise<Array<Record<string, unknown>>> {
    let records: Array<Record<string, unknown>> = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const page = await admin('GET', `/api/logs?virtual_key=${keyId}&limit=100`);
      records = Array.isArray(page.data) ? page.data.filter(isRecord) : [];
      if (records.length >= count) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(records.length, count, JSON.stringify(records));
    return records;
  }

  async function search(needle: string): Promise<string[]> {
    const page = await admin('GET', `/api/logs?search=${needle}`);
    return (Array.isArray(page.data) ? page.data.filter(isRecord) : []).map((record) => String(record.id));
  }

  function post(path: string, secret: string, body: unknown): Promise<Response> {
    return fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-heimdall-vk': secret }, body: JSON.stringify(body) });
  }

  const converseBody = (needle: string): Record<string, unknown> => ({ messages: [{ role: 'user', content: [{ text: `hello ${needle}` }] }], inferenceConfig: { maxTokens: 10 } });
  const geminiBody = (needle: string): Record<string, unknown> => ({ contents: [{ role: 'user', parts: [{ text: `hello ${needle}` }] }], generationConfig: { maxOutputTokens: 10 } });

  it('Converse and ConverseStream: one record each with tokens, cost and the answer; the budget charged; beyond it a Bedrock ValidationException', async () => {
    const key = await createKey('converse-observed', 1);
    const model = encodeURIComponent('openai/gpt-test');
    const plain = await post(`/bedrock/model/${model}/converse`, key.secret, converseBody('needleconverseplain'));
    const plainBody = (await plain.json()) as { output?: { message?: { content?: Array<{ text?: string }> } }; usage?: { inputTokens?: number } };
    assert.equal(plain.status, 200, JSON.stringify(plainBody));
    assert.equal(plainBody.output?.message?.content?.[0]?.text, 'answer for needleconverseplain');
    const streamed = await post(`/bedrock/model/${model}/converse-stream`, key.secret, converseBody('needleconversestream'));
    assert.equal(streamed.status, 200);
    assert.equal(streamed.headers.get('content-type'), 'application/vnd.amazon.eventstream');
    assert.match(Buffer.from(await streamed.arrayBuffer()).toString('utf8'), /messageStop/);

    const records = await recordsOf(key.id, 2);
    for (const record of records) {
      assert.equal(record.inboundApi, 'bedrock');
      assert.equal(record.status, 200);
      assert.equal(record.provider, 'openai');
      assert.equal(record.modelRequested, 'openai/gpt-test');
      assert.equal(record.modelServed, 'gpt-test');
      assert.equal(record.providerKey, 'main');
      assert.equal(record.inputTokens, 10);
      assert.equal(record.outputTokens, 10);
      assert.ok(Math.abs(Number(record.costUsd) - COST_OF_10_PLUS_10) < 1e-9, String(record.costUsd));
      assert.equal(record.virtualKeyName, 'converse-observed');
      assert.equal(typeof record.upstreamMs, 'number');
      assert.equal(typeof record.timeToFirstTokenMs, 'number');
    }
    assert.deepEqual(records.map((record) => record.streaming).sort(), [false, true]);
    const stream = records.find((record) => record.streaming === true);
    assert.equal(stream?.stopReason, 'end_turn');
    const detail = await admin('GET', `/api/logs/${String(stream?.id)}`);
    assert.match(JSON.stringify(detail.responseBody), /answer for needleconversestream/);
    assert.match(String(detail.requestBody), /inferenceConfig/, 'the Converse body as received is stored');
    assert.deepEqual(await search('needleconversestream'), [String(stream?.id)]);

    assert.ok(Math.abs((await spentUsd(key.id, 2 * COST_OF_10_PLUS_10)) - 2 * COST_OF_10_PLUS_10) < 1e-9);

    // $0.05: the first request (reserve ≈ $0.048, charged $0.02) fits, the next does not.
    const small = await createKey('converse-small-budget', 0.05);
    assert.equal((await post(`/bedrock/model/${model}/converse`, small.secret, converseBody('needlesmall1'))).status, 200);
    assert.ok(Math.abs((await spentUsd(small.id, COST_OF_10_PLUS_10)) - COST_OF_10_PLUS_10) < 1e-9);
    const before = chat.requests.length;
    const refused = await post(`/bedrock/model/${model}/converse-stream`, small.secret, converseBody('needlesmall2'));
    const refusal = (await refused.json()) as { message?: string };
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get('x-amzn-errortype'), 'ValidationException');
    assert.match(String(refusal.message), /budget exhausted/i);
    assert.equal(chat.requests.length, before, 'nothing reached the provider');
    const refusedRecord = (await recordsOf(small.id, 2)).find((record) => record.status === 400);
    assert.equal(refusedRecord?.errorType, 'invalid_request_error');
    assert.equal(refusedRecord?.costUsd, 0);
  });

  it('Gemini generateContent and streamGenerateContent (translated and passed through): records, cost, search, budget, refusal in Google shape', async () => {
    const key = await createKey('gemini-observed', 1);
    const translated = `/genai/v1beta/models/${encodeURIComponent('openai/gpt-test')}`;
    const plain = await post(`${translated}:generateContent`, key.secret, geminiBody('needlegeminiplain'));
    assert.equal(plain.status, 200);
    assert.match(await plain.text(), /answer for needlegeminiplain/);
    const sse = await post(`${translated}:streamGenerateContent?alt=sse`, key.secret, geminiBody('needlegeminisse'));
    assert.equal(sse.status, 200);
    assert.match(await sse.text(), /"finishReason":"STOP"/);
    const passthrough = await post('/genai/v1beta/models/gemini-obs:generateContent', key.secret, geminiBody('needlegeminipass'));
    assert.equal(passthrough.status, 200);
    assert.match(await passthrough.text(), /gemini answer for needlegeminipass/);
    const array = await post('/genai/v1beta/models/gemini-obs:streamGenerateContent', key.secret, geminiBody('needlegeminiarray'));
    assert.equal(array.status, 200);
    assert.match(await array.text(), /gemini answer for needlegeminiarray/);

    const records = await recordsOf(key.id, 4);
    for (const record of records) {
      assert.equal(record.inboundApi, 'genai');
      assert.equal(record.status, 200);
      assert.equal(record.inputTokens, 10, JSON.stringify(record));
      assert.equal(record.outputTokens, 10);
      assert.ok(Math.abs(Number(record.costUsd) - COST_OF_10_PLUS_10) < 1e-9, String(record.costUsd));
    }
    assert.deepEqual(records.map((record) => `${String(record.provider)} ${String(record.streaming)}`).sort(), ['gemini false', 'gemini true', 'openai false', 'openai true']);
    for (const needle of ['needlegeminiplain', 'needlegeminisse', 'needlegeminipass', 'needlegeminiarray']) {
      assert.equal((await search(needle)).length, 1, `search finds ${needle}`);
    }
    const arrayRecord = records.find((record) => record.provider === 'gemini' && record.streaming === true);
    const detail = await admin('GET', `/api/logs/${String(arrayRecord?.id)}`);
    assert.match(JSON.stringify(detail.responseBody), /gemini answer for needlegeminiarray \{with \[brackets\] and \\"quotes\\\\\\"\} done/);
    assert.ok(Math.abs((await spentUsd(key.id, 4 * COST_OF_10_PLUS_10)) - 4 * COST_OF_10_PLUS_10) < 1e-9);

    const small = await createKey('gemini-small-budget', 0.05);
    assert.equal((await post(`${translated}:generateContent`, small.secret, geminiBody('needlegsmall1'))).status, 200);
    assert.ok(Math.abs((await spentUsd(small.id, COST_OF_10_PLUS_10)) - COST_OF_10_PLUS_10) < 1e-9);
    const refused = await post('/genai/v1beta/models/gemini-obs:streamGenerateContent?alt=sse', small.secret, geminiBody('needlegsmall2'));
    const refusal = (await refused.json()) as { error?: { code?: number; status?: string; message?: string } };
    assert.equal(refused.status, 400);
    assert.equal(refusal.error?.code, 400);
    assert.equal(refusal.error?.status, 'INVALID_ARGUMENT');
    assert.match(String(refusal.error?.message), /budget exhausted/i);
  });

  it('a Gemini stream the caller abandons is recorded and charged for the usage it consumed', async () => {
    const key = await createKey('gemini-aborted', 1);
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/genai/v1beta/models/gemini-stall:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-heimdall-vk': key.secret },
      body: JSON.stringify(geminiBody('needleabandoned')),
      signal: controller.signal,
    });
    assert.equal(response.status, 200);
    const reader = response.body?.getReader();
    const first = await reader?.read();
    assert.match(Buffer.from(first?.value ?? new Uint8Array()).toString('utf8'), /needleabandoned/);
    controller.abort();
    await reader?.cancel().catch(() => undefined);

    const [record] = await recordsOf(key.id, 1);
    assert.equal(record.inputTokens, 10);
    assert.equal(record.outputTokens, 5);
    const cost = 15 * PRICE_PER_MTOK / 1e6;
    assert.ok(Math.abs(Number(record.costUsd) - cost) < 1e-9, String(record.costUsd));
    const spent = await spentUsd(key.id, cost);
    assert.ok(Math.abs(spent - cost) < 1e-9, `spent ${spent}`);
  });

  it('an InvokeModel or Vertex rawPredict request for a model nothing serves is recorded with its error', async () => {
    const key = await createKey('unknown-model', 1);
    const anthropicBody = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const invoke = await post('/bedrock/model/mystery-model-invoke/invoke', key.secret, anthropicBody);
    assert.equal(invoke.status, 400);
    assert.ok(invoke.headers.get('x-amzn-errortype') !== null);
    await invoke.arrayBuffer();
    const vertex = await post('/genai/projects/p/locations/us-east5/publishers/google/models/mystery-model-vertex:rawPredict', key.secret, { anthropic_version: 'vertex-2023-10-16', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(vertex.status, 400);
    await vertex.arrayBuffer();
    for (const [api, model] of [['bedrock', 'mystery-model-invoke'], ['genai', 'mystery-model-vertex']]) {
      let records: Array<Record<string, unknown>> = [];
      for (let attempt = 0; attempt < 50 && records.length === 0; attempt += 1) {
        const page = await admin('GET', `/api/logs?inbound_api=${api}&model=${model}&status=error`);
        records = Array.isArray(page.data) ? page.data.filter(isRecord) : [];
        if (records.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(records.length, 1, `${api} ${model}`);
      assert.equal(records[0].status, 400);
      assert.equal(records[0].errorType, 'invalid_request_error');
      assert.match(String(records[0].errorMessage), new RegExp(model));
    }
  });

  it("every cloud surface uses only the provider keys the virtual key may use", async () => {
    const key = await createKey('other-key-only', 1, { allowed_provider_keys: ['other'] });
    const model = encodeURIComponent('openai/gpt-test');
    const anthropicBody = { anthropic_version: 'bedrock-2023-05-31', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    const sent = chat.requests.length;
    for (let round = 0; round < 4; round += 1) {
      const replies = [
        await post(`/bedrock/model/${model}/invoke`, key.secret, anthropicBody),
        await post(`/bedrock/model/${model}/converse`, key.secret, converseBody('needlekeys')),
        await post(`/genai/v1beta/models/${model}:generateContent`, key.secret, geminiBody('needlekeys')),
        await post(`/genai/projects/p/locations/us-east5/publishers/anthropic/models/${model}:rawPredict`, key.secret, { ...anthropicBody, anthropic_version: 'vertex-2023-10-16' }),
      ];
      for (const reply of replies) {
        assert.equal(reply.status, 200, await reply.text());
      }
    }
    const upstreamKeys = chat.requests.slice(sent).map((request) => request.headers.authorization);
    assert.equal(upstreamKeys.length, 16);
    assert.deepEqual([...new Set(upstreamKeys)], ['Bearer sk-upstream-other']);
  });

  it('/metrics counts the /bedrock and /genai requests the log holds', async () => {
    const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const text = await response.text();
    assert.equal(response.status, 200);
    for (const api of ['bedrock', 'genai']) {
      const counted = text
        .split('\n')
        .filter((line) => line.startsWith('heimdall_requests_total{') && line.includes(`inbound_api="${api}"`) && line.includes('status="200"'))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      let logged = -1;
      for (let attempt = 0; attempt < 50; attempt += 1) {
        const page = await admin('GET', `/api/logs?inbound_api=${api}&status=200&limit=1000`);
        logged = Array.isArray(page.data) ? page.data.length : -1;
        if (logged === counted) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(counted > 0, `${api} requests counted`);
      assert.equal(logged, counted, `${api}: log records vs heimdall_requests_total`);
    }
  });
});
