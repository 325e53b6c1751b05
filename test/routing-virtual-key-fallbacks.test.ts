/**
 * A virtual key's fallback chain and the virtual-key variables of routing rules, end to end: a key
 * created through the admin API with `fallbacks`, its primary (a mock OpenAI upstream on
 * 127.0.0.1) answering 503 or 500, the request served by the key's fallback, the response headers
 * and the request log naming where it went; the precedence request > rule > virtual key; a bad
 * chain refused on save; a change applied to the next request. Rules see the caller's virtual
 * key (scope and `virtual_key.name`) and its budget use (`budget_used`). On SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HeimdallConfig } from '../src/config/config-schema.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { startMockUpstream, type MockUpstream } from '../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiChatStreamChunks, openAiUsage, writeOpenAiChatSse, writeOpenAiError } from '../src/testing/openai-chat-sse.js';
import { skipWithoutPostgres } from '../src/testing/services.js';

const ADMIN_TOKEN = 'vk-fallbacks-admin-token-0123456789';
const ENVIRONMENT = { TEST_ADMIN_TOKEN: ADMIN_TOKEN };
const skipPostgres = await skipWithoutPostgres();

interface Reply {
  status: number;
  data: unknown;
}

async function adminCall(baseUrl: string, method: string, path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, data: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

function sendMessage(baseUrl: string, secret: string, model: string, extra: { stream?: boolean; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${baseUrl}/anthropic/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': secret, 'anthropic-version': '2023-06-01', ...extra.headers },
    body: JSON.stringify({ model, max_tokens: 16, ...(extra.stream === true ? { stream: true } : {}), messages: [{ role: 'user', content: 'hello' }] }),
  });
}

/** The text of an Anthropic event stream's `text_delta` events. */
function streamedText(events: string): string {
  let text = '';
  for (const line of events.split('\n')) {
    if (!line.startsWith('data: ')) continue;
    const event = JSON.parse(line.slice('data: '.length)) as { type: string; delta?: { type: string; text?: string } };
    if (event.type === 'content_block_delta' && event.delta?.type === 'text_delta') text += event.delta.text ?? '';
  }
  return text;
}

interface LoggedRequest {
  virtualKeyName?: string;
  provider?: string;
  modelServed?: string;
  routeName?: string;
  fallbackStep: number;
  status: number;
  attempts: Array<{ provider: string; model: string; outcome: string; status?: number }>;
}

/** The newest request-log record of `keyName` once `count` of its records are written (the log is flushed in batches). */
async function loggedRequests(baseUrl: string, keyName: string, count: number): Promise<LoggedRequest[]> {
  for (let waited = 0; ; waited += 50) {
    const reply = await adminCall(baseUrl, 'GET', '/api/logs?limit=200');
    assert.equal(reply.status, 200, JSON.stringify(reply.data));
    const records = (reply.data as { data: LoggedRequest[] }).data.filter((record) => record.virtualKeyName === keyName);
    if (records.length >= count) return records;
    if (waited > 10_000) assert.fail(`only ${records.length} of ${count} request-log records of '${keyName}' appeared`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`a virtual key's fallback chain on ${backend}`, { skip: backend === 'postgres' ? skipPostgres : false }, () => {
    let primary: MockUpstream;
    let backup: MockUpstream;
    let gateway: GovernedTestGateway;
    let primaryStatus = 503;

    before(async () => {
      primary = await startMockUpstream((_request, response) => writeOpenAiError(response, primaryStatus, 'the primary is down'));
      backup = await startMockUpstream(async (request, response) => {
        const body = request.json as { model?: string; stream?: boolean } | undefined;
        const model = body?.model ?? 'unknown';
        if (body?.stream === true) {
          await writeOpenAiChatSse(response, openAiChatStreamChunks({ model, text: `streamed from ${model}`, usage: openAiUsage(5, 3) }));
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(openAiChatCompletion({ model, text: `answer from ${model}`, usage: openAiUsage(5, 3) })));
      });
      const config: HeimdallConfig = {
        providers: {
          primary: { type: 'openai', base_url: `${primary.url}/v1`, keys: [{ name: 'main', value: 'sk-primary' }] },
          backup: { type: 'openai', base_url: `${backup.url}/v1`, keys: [{ name: 'main', value: 'sk-backup' }] },
        },
        routing: { retries: { max_retries: 1, initial_backoff_ms: 1, max_backoff_ms: 5 } },
        // 5 input + 3 output tokens of the mock's answer cost $0.80.
        pricing: { 'backup/gpt-premium': { input_per_mtok: 100_000, output_per_mtok: 100_000 } },
        admin: { token: 'env.TEST_ADMIN_TOKEN' },
      };
      gateway = await startGovernedTestGateway(config, { backend, environment: ENVIRONMENT });
    });
    after(async () => {
      await gateway?.close();
      await primary?.close();
      await backup?.close();
    });

    let secret = '';

    it('stores the chain given at creation and shows it', async () => {
      const created = await adminCall(gateway.url, 'POST', '/api/virtual-keys', { name: 'fallback-key', fallbacks: ['backup/gpt-backup'] });
      assert.equal(created.status, 201, JSON.stringify(created.data));
      const body = created.data as { secret: string; virtual_key: { fallbacks: string[] } };
      assert.deepEqual(body.virtual_key.fallbacks, ['backup/gpt-backup']);
      secret = body.secret;
      const read = await adminCall(gateway.url, 'GET', '/api/virtual-keys/fallback-key');
      assert.deepEqual((read.data as { fallbacks: string[] }).fallbacks, ['backup/gpt-backup']);
    });

    it('serves from the key\'s fallback when the primary answers 503 (and 500, streamed); headers and the request log say where it went', async () => {
      const before = { primary: primary.requests.length, backup: backup.requests.length };
      const response = await sendMessage(gateway.url, secret, 'primary/gpt-primary');
      const text = await response.text();
      assert.equal(response.status, 200, text);
      assert.equal(response.headers.get('x-heimdall-provider'), 'backup');
      assert.equal(response.headers.get('x-heimdall-model'), 'gpt-backup');
      assert.equal(response.headers.get('x-heimdall-attempts'), '3', 'the primary, its one retry, then the fallback');
      assert.match(text, /answer from gpt-backup/);
      assert.equal(primary.requests.length, before.primary + 2);
      assert.equal(backup.requests.length, before.backup + 1);

      primaryStatus = 500;
      const streamed = await sendMessage(gateway.url, secret, 'primary/gpt-primary', { stream: true });
      const events = await streamed.text();
      assert.equal(streamed.status, 200, events);
      assert.equal(streamed.headers.get('x-heimdall-provider'), 'backup');
      assert.equal(streamedText(events), 'streamed from gpt-backup');
      assert.match(events, /event: message_stop/);

      const records = await loggedRequests(gateway.url, 'fallback-key', 2);
      for (const [record, status] of [
        [records.find((entry) => entry.attempts.some((attempt) => attempt.status === 503)), 503],
        [records.find((entry) => entry.attempts.some((attempt) => attempt.status === 500)), 500],
      ] as const) {
        assert.ok(record !== undefined, `a logged request whose primary answered ${status}`);
        assert.equal(record.status, 200);
        assert.equal(record.provider, 'backup');
        assert.equal(record.modelServed, 'gpt-backup');
        assert.equal(record.fallbackStep, 1);
        assert.deepEqual(
          record.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.status ?? null]),
          [
            ['primary', 'failed', status],
            ['primary', 'failed', status],
            ['backup', 'served', null],
          ],
        );
      }
      primaryStatus = 503;
    });

    it('refuses a chain naming nothing served (400 naming the entry), and applies a change to the next request', async () => {
      const refused = await adminCall(gateway.url, 'PATCH', '/api/virtual-keys/fallback-key', { fallbacks: ['backup/gpt-backup', 'nowhere/model-x'] });
      assert.equal(refused.status, 400);
      const error = (refused.data as { error: { param: string; message: string } }).error;
      assert.equal(error.param, 'fallbacks.1');
      assert.match(error.message, /nowhere/);
      const refusedAtCreation = await adminCall(gateway.url, 'POST', '/api/virtual-keys', { name: 'bad-chain', fallbacks: ['nowhere/model-x'] });
      assert.equal(refusedAtCreation.status, 400);
      assert.equal((refusedAtCreation.data as { error: { param: string } }).error.param, 'fallbacks.0');

      const cleared = await adminCall(gateway.url, 'PATCH', '/api/virtual-keys/fallback-key', { fallbacks: [] });
      assert.equal(cleared.status, 200, JSON.stringify(cleared.data));
      assert.deepEqual((cleared.data as { fallbacks: string[] }).fallbacks, []);
      const unrescued = await sendMessage(gateway.url, secret, 'primary/gpt-primary');
      assert.ok(unrescued.status >= 500, `without a fallback the primary's failure reaches the caller (${unrescued.status})`);
      await unrescued.text();

      assert.equal((await adminCall(gateway.url, 'PATCH', '/api/virtual-keys/fallback-key', { fallbacks: ['backup/gpt-backup'] })).status, 200);
      const rescued = await sendMessage(gateway.url, secret, 'primary/gpt-primary');
      assert.equal(rescued.status, 200);
      assert.equal(rescued.headers.get('x-heimdall-provider'), 'backup');
      await rescued.text();
    });

    it('orders fallbacks request, then rule, then virtual key', async () => {
      const rule = {
        name: 'with-fallbacks',
        expression: 'model == "ordered-model"',
        targets: [{ provider: 'primary', model: 'gpt-primary' }],
        fallbacks: ['backup/gpt-from-rule'],
      };
      assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', rule)).status, 201);
      const explained = await adminCall(gateway.url, 'POST', '/api/routing/explain', { model: 'ordered-model', virtual_key_id: 'fallback-key', fallbacks: ['backup/gpt-from-request'] });
      assert.equal(explained.status, 200, JSON.stringify(explained.data));
      const decision = (explained.data as { decision: { fallbacks: Array<{ provider: string; model: string }> } }).decision;
      assert.deepEqual(
        decision.fallbacks.map((target) => target.model),
        ['gpt-from-request', 'gpt-from-rule', 'gpt-backup'],
      );

      // On the request path: the request's own fallback is the first one tried.
      const response = await sendMessage(gateway.url, secret, 'ordered-model', { headers: { 'x-heimdall-fallbacks': 'backup/gpt-from-request' } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-heimdall-model'), 'gpt-from-request');
      assert.equal(response.headers.get('x-heimdall-route'), 'with-fallbacks');
      await response.text();
      // Without it, the rule's.
      const ruled = await sendMessage(gateway.url, secret, 'ordered-model');
      assert.equal(ruled.headers.get('x-heimdall-model'), 'gpt-from-rule');
      await ruled.text();
      assert.equal((await adminCall(gateway.url, 'DELETE', '/api/routing/rules/with-fallbacks')).status, 204);
    });

    it('gives rules the caller\'s virtual key: rules scoped to the key (by id, by name) and one reading virtual_key.name route its requests', async () => {
      const key = (await adminCall(gateway.url, 'GET', '/api/virtual-keys/fallback-key')).data as { id: string };
      const scoped = {
        name: 'only-this-key',
        expression: 'model == "scoped-model"',
        scope: { type: 'virtual_key', id: key.id },
        targets: [{ provider: 'backup', model: 'gpt-scoped' }],
      };
      const scopedByName = {
        name: 'scoped-by-key-name',
        expression: 'model == "scoped-by-name-model"',
        scope: { type: 'virtual_key', id: 'fallback-key' },
        targets: [{ provider: 'backup', model: 'gpt-scoped-by-name' }],
      };
      assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', scopedByName)).status, 201);
      const byName = { name: 'by-key-name', expression: 'virtual_key.name == "fallback-key" && model == "named-model"', targets: [{ provider: 'backup', model: 'gpt-named' }] };
      assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', scoped)).status, 201);
      assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', byName)).status, 201);

      for (const [model, route, served] of [
        ['scoped-model', 'only-this-key', 'gpt-scoped'],
        ['named-model', 'by-key-name', 'gpt-named'],
        ['scoped-by-name-model', 'scoped-by-key-name', 'gpt-scoped-by-name'],
      ] as const) {
        const response = await sendMessage(gateway.url, secret, model);
        assert.equal(response.status, 200, await response.clone().text());
        assert.equal(response.headers.get('x-heimdall-route'), route);
        assert.equal(response.headers.get('x-heimdall-model'), served);
        await response.text();
      }
      // Another key (no rule for it) is not routed by them: scoped-model names nothing configured.
      const other = (await adminCall(gateway.url, 'POST', '/api/virtual-keys', { name: 'other-key' })).data as { secret: string };
      const unrouted = await sendMessage(gateway.url, other.secret, 'scoped-model');
      assert.equal(unrouted.status, 400);
      await unrouted.text();
    });

    it('gives rules the key\'s budget use: past 5 % of its budget, budget_used moves it to the cheaper model', async () => {
      const created = await adminCall(gateway.url, 'POST', '/api/virtual-keys', { name: 'budget-key', budgets: [{ limit_usd: 10, period: '1d' }] });
      assert.equal(created.status, 201, JSON.stringify(created.data));
      const budgetSecret = (created.data as { secret: string }).secret;
      const rules = [
        { name: 'cheap-when-spent', expression: 'model == "budget-model" && budget_used >= 5.0', targets: [{ provider: 'backup', model: 'gpt-cheap' }] },
        { name: 'premium', expression: 'model == "budget-model"', priority: 1, targets: [{ provider: 'backup', model: 'gpt-premium' }] },
      ];
      for (const rule of rules) assert.equal((await adminCall(gateway.url, 'POST', '/api/routing/rules', rule)).status, 201);

      const first = await sendMessage(gateway.url, budgetSecret, 'budget-model');
      assert.equal(first.status, 200, await first.clone().text());
      assert.equal(first.headers.get('x-heimdall-route'), 'premium', 'nothing spent yet');
      await first.text();
      // The $0.80 (8 %) is charged when the response closes; the next requests see it.
      const routes: string[] = [];
      for (let attempt = 0; attempt < 20 && routes.at(-1) !== 'cheap-when-spent'; attempt += 1) {
        const next = await sendMessage(gateway.url, budgetSecret, 'budget-model');
        assert.equal(next.status, 200, await next.clone().text());
        routes.push(next.headers.get('x-heimdall-route') ?? '');
        await next.text();
        if (routes.at(-1) !== 'cheap-when-spent') await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(routes.at(-1), 'cheap-when-spent', `routes after the first: ${routes.join(', ')}`);
      // explain sees the same spend for the key, unless told otherwise.
      const explain = async (extra: Record<string, unknown>): Promise<string | undefined> =>
        ((await adminCall(gateway.url, 'POST', '/api/routing/explain', { model: 'budget-model', virtual_key_id: 'budget-key', ...extra })).data as { decision?: { route_name: string } }).decision?.route_name;
      assert.equal(await explain({}), 'cheap-when-spent');
      assert.equal(await explain({ budget_used: 0 }), 'premium');
    });
  });
}
