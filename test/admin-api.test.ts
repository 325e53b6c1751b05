/**
 * The admin API end to end on a started gateway with its store, on SQLite and on PostgreSQL (skipped
 * with a notice when PostgreSQL is unreachable, unless HEIMDALL_REQUIRE_SERVICES=1): CRUD of every
 * resource, validation errors naming the field, 401/403/404/405/409, the login / session / logout
 * cookie flow, secrets shown once and never otherwise (every response body is scanned), every
 * success response valid against the schema the OpenAPI document publishes, and provider changes
 * served without a restart.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { ADMIN_ROUTES, adminOpenApiDocument } from '../src/admin/admin-routes.js';
import { findRoute } from '../src/admin/admin-router.js';
import type {
  PublicBudget,
  PublicCreatedVirtualKey,
  PublicCustomer,
  PublicProvider,
  PublicProviderKey,
  PublicRateLimit,
  PublicTeam,
  PublicVirtualKey,
} from '../src/governance/public-views.js';
import { startGovernedTestGateway, type GovernedTestGateway } from '../src/testing/governed-test-gateway.js';
import { skipWithoutPostgres } from '../src/testing/services.js';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
const ROOT_PASSWORD = 'root-password-0123';
const PROVIDER_SECRET = 'sk-test-provider-secret-value-ABCDEFGHIJ';
const HEADER_SECRET = 'org-header-secret-value-KLMNOPQRSTU';
const ADDED_KEY_SECRET = 'sk-added-key-secret-value-VWXYZ012345';
const ROTATED_PROVIDER_SECRET = 'sk-rotated-provider-secret-6789ABCDEF';
const AWS_SECRET = 'aws-secret-access-key-value-GHIJKLMNOP';
const AWS_SESSION_TOKEN = 'aws-session-token-value-QRSTUVWXYZ01';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  data: unknown;
}

interface ErrorReply {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = new WeakMap<TSchema, ValidateFunction>();

function successValidator(schema: TSchema): ValidateFunction {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = ajv.compile(schema);
    validators.set(schema, validator);
  }
  return validator;
}

const backends = [
  { name: 'SQLite', backend: 'sqlite' as const, skip: false as false | string },
  { name: 'PostgreSQL', backend: 'postgres' as const, skip: await skipWithoutPostgres() },
];

for (const backend of backends) {
  describe(`admin API end to end on ${backend.name}`, { skip: backend.skip }, () => {
    let gateway: GovernedTestGateway;
    /** Every response body, for the secret scan. */
    const bodies: Array<{ request: string; text: string }> = [];
    /** Every virtual key secret issued (create / rotate), and the requests that returned it. */
    const issuedSecrets = new Map<string, string>();

    async function call(method: string, path: string, options: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> } = {}): Promise<Reply> {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? ADMIN_TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers['content-type'] = 'application/json';
      }
      const response = await fetch(`${gateway.url}${path}`, { method, headers, body });
      const text = await response.text();
      bodies.push({ request: `${method} ${path}`, text });
      const data: unknown = text === '' ? undefined : JSON.parse(text);
      assert.equal(response.headers.get('cache-control'), 'no-store', `${method} ${path}: cache-control`);
      // A success answer must match the schema the OpenAPI document publishes for the route.
      const match = findRoute(ADMIN_ROUTES, method, new URL(path, 'http://x').pathname);
      if (match.kind === 'found' && response.status === match.route.success.status && match.route.success.schema !== undefined) {
        const validate = successValidator(match.route.success.schema);
        assert.ok(validate(data), `${method} ${path}: response does not match its documented schema: ${ajv.errorsText(validate.errors)}`);
      }
      return { status: response.status, headers: response.headers, text, data };
    }

    function expectError(reply: Reply, status: number, param?: string | null): ErrorReply['error'] {
      assert.equal(reply.status, status, reply.text);
      const { error } = reply.data as ErrorReply;
      assert.equal(typeof error.message, 'string');
      assert.equal(typeof error.type, 'string');
      if (param !== undefined) assert.equal(error.param, param, reply.text);
      return error;
    }

    before(async () => {
      gateway = await startGovernedTestGateway(
        {
          providers: {
            openai: {
              base_url: 'http://127.0.0.1:9/v1',
              headers: { 'OpenAI-Organization': 'env.TEST_HEADER_SECRET' },
              keys: [{ name: 'openai-main', value: 'env.TEST_PROVIDER_SECRET' }],
            },
          },
          admin: { token: 'env.TEST_ADMIN_TOKEN', username: 'root', password: 'env.TEST_ROOT_PASSWORD' },
        },
        {
          backend: backend.backend,
          environment: { TEST_ADMIN_TOKEN: ADMIN_TOKEN, TEST_ROOT_PASSWORD: ROOT_PASSWORD, TEST_PROVIDER_SECRET: PROVIDER_SECRET, TEST_HEADER_SECRET: HEADER_SECRET },
        },
      );
    });
    after(async () => gateway?.close());

    it('refuses requests without the admin token or with a wrong one (401), answers public routes without one', async () => {
      const none = await call('GET', '/api/customers', { token: null });
      const error = expectError(none, 401);
      assert.equal(error.type, 'authentication_error');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      expectError(await call('GET', '/api/virtual-keys', { token: 'wrong-token' }), 401);
      assert.equal((await call('GET', '/api/customers')).status, 200);
      assert.equal((await call('GET', '/api/openapi.json', { token: null })).status, 200);
      const session = await call('GET', '/api/auth/session', { token: null });
      assert.deepEqual(session.data, { authenticated: false, principal: null, expires_at: null });
      expectError(await call('GET', '/api/nowhere'), 404);
      const wrongMethod = await call('PUT', '/api/customers');
      expectError(wrongMethod, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'GET, POST');
    });

    it('serves the OpenAPI document in sync with the router', async () => {
      const reply = await call('GET', '/api/openapi.json', { token: null });
      assert.deepEqual(reply.data, JSON.parse(JSON.stringify(adminOpenApiDocument())));
      const document = reply.data as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
      assert.deepEqual(documented.sort(), ADMIN_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    });

    it('customers and teams: create, list, get by id or name, rename, move, delete; 404 / 409', async () => {
      const acme = (await call('POST', '/api/customers', { body: { name: 'acme' } })).data as PublicCustomer;
      expectError(await call('POST', '/api/customers', { body: { name: 'acme' } }), 409);
      const globex = (await call('POST', '/api/customers', { body: { name: 'globex' } })).data as PublicCustomer;
      assert.deepEqual(((await call('GET', '/api/customers')).data as { data: PublicCustomer[] }).data.map((customer) => customer.name), ['acme', 'globex']);
      assert.equal(((await call('GET', `/api/customers/${acme.id}`)).data as PublicCustomer).name, 'acme');
      assert.equal(((await call('GET', '/api/customers/globex')).data as PublicCustomer).id, globex.id);
      expectError(await call('GET', '/api/customers/nobody'), 404);

      const platform = await call('POST', '/api/teams', { body: { name: 'platform', customer_id: 'acme' } });
      assert.equal(platform.status, 201);
      assert.equal((platform.data as PublicTeam).customer_id, acme.id);
      expectError(await call('POST', '/api/teams', { body: { name: 'orphans', customer_id: 'nobody' } }), 400, 'customer_id');
      const moved = (await call('PATCH', '/api/teams/platform', { body: { customer_id: 'globex', name: 'platform-2' } })).data as PublicTeam;
      assert.deepEqual([moved.name, moved.customer_id], ['platform-2', globex.id]);
      const detached = (await call('PATCH', `/api/teams/${moved.id}`, { body: { customer_id: null } })).data as PublicTeam;
      assert.equal(detached.customer_id, null);
      await call('PATCH', `/api/teams/${moved.id}`, { body: { customer_id: 'acme', name: 'platform' } });
      assert.deepEqual(((await call('GET', '/api/teams?customer_id=acme')).data as { data: PublicTeam[] }).data.map((team) => team.name), ['platform']);

      const renamed = (await call('PATCH', '/api/customers/globex', { body: { name: 'globex-corp' } })).data as PublicCustomer;
      assert.equal(renamed.name, 'globex-corp');
      expectError(await call('DELETE', '/api/customers/acme'), 409);
      assert.equal((await call('DELETE', '/api/customers/globex-corp')).status, 204);
      expectError(await call('DELETE', '/api/customers/globex-corp'), 404);
    });

    it('names the field in validation errors', async () => {
      expectError(await call('POST', '/api/customers', { body: {} }), 400, 'name');
      expectError(await call('POST', '/api/customers', { body: { name: 'x', colour: 'red' } }), 400, 'colour');
      expectError(await call('POST', '/api/customers', { body: { name: 'has space' } }), 400, 'name');
      expectError(await call('POST', '/api/customers', { rawBody: '{not json', headers: { 'content-type': 'application/json' } }), 400);
      expectError(await call('POST', '/api/virtual-keys', { body: { name: 'k', budgets: [{ limit_usd: 5, period: '2M' }] } }), 400, 'budgets.0.period');
      expectError(await call('POST', '/api/virtual-keys', { body: { name: 'k', expires_at: 'tomorrow' } }), 400, 'expires_at');
      expectError(await call('POST', '/api/virtual-keys', { body: { name: 'k', team_id: 'no-such-team' } }), 400, 'team_id');
      expectError(await call('POST', '/api/virtual-keys', { body: { name: 'k', team_id: 'platform', customer_id: 'acme' } }), 400, 'customer_id');
      expectError(await call('POST', '/api/budgets', { body: { owner_type: 'customer', owner_id: 'acme', limit_usd: -1, period: '1M' } }), 400, 'limit_usd');
      expectError(await call('POST', '/api/budgets', { body: { owner_type: 'planet', owner_id: 'acme', limit_usd: 1, period: '1M' } }), 400, 'owner_type');
      expectError(await call('POST', '/api/rate-limits', { body: { owner_type: 'customer', owner_id: 'acme', window: '1m' } }), 400, 'requests');
      expectError(await call('POST', '/api/rate-limits', { body: { owner_type: 'customer', owner_id: 'acme', window: 'soon', requests: 5 } }), 400, 'window');
      expectError(await call('POST', '/api/providers', { body: { name: 'BAD NAME', type: 'openai' } }), 400, 'name');
      expectError(await call('GET', '/api/usage?from=yesterday'), 400, 'from');
      expectError(await call('GET', '/api/usage?virtual_key_id=a&team_id=b'), 400, 'team_id');
      expectError(await call('GET', '/api/budgets?owner_type=team'), 400, 'owner_id');
    });

    let aliceSecret = '';
    let alice: PublicVirtualKey;

    it('virtual keys: the secret is in the create response only; list and get show the prefix', async () => {
      const reply = await call('POST', '/api/virtual-keys', {
        body: {
          name: 'alice',
          team_id: 'platform',
          allowed_models: ['openai/gpt-4o*'],
          budgets: [{ limit_usd: 50, period: '1M' }],
          rate_limits: [{ requests: 100, window: '1m' }],
        },
      });
      assert.equal(reply.status, 201, reply.text);
      const created = reply.data as PublicCreatedVirtualKey & { budgets: PublicBudget[]; rate_limits: PublicRateLimit[] };
      aliceSecret = created.secret;
      alice = created.virtual_key;
      issuedSecrets.set(aliceSecret, 'POST /api/virtual-keys');
      assert.match(aliceSecret, /^hk-[A-Za-z0-9_-]{43}$/);
      assert.equal(alice.key_prefix, `${aliceSecret.slice(0, 7)}…`);
      assert.equal(alice.state, 'active');
      assert.deepEqual(created.budgets.map((budget) => [budget.limit_usd, budget.period, budget.current?.remaining_usd]), [[50, '1M', 50]]);
      assert.deepEqual(created.rate_limits.map((limit) => [limit.requests, limit.window]), [[100, '1m']]);
      expectError(await call('POST', '/api/virtual-keys', { body: { name: 'alice' } }), 409);
      // All or nothing: a duplicate budget period fails before anything is created.
      expectError(await call('POST', '/api/virtual-keys', { body: { name: 'bob', budgets: [{ limit_usd: 1, period: '1d' }, { limit_usd: 2, period: '1d' }] } }), 400, 'budgets.1.period');
      expectError(await call('GET', '/api/virtual-keys/bob'), 404);

      const listed = ((await call('GET', '/api/virtual-keys')).data as { data: PublicVirtualKey[] }).data;
      assert.deepEqual(listed.map((key) => key.name), ['alice']);
      assert.equal(((await call('GET', '/api/virtual-keys?team_id=platform')).data as { data: PublicVirtualKey[] }).data.length, 1);
      assert.equal(((await call('GET', '/api/virtual-keys?customer_id=acme')).data as { data: PublicVirtualKey[] }).data.length, 0);
      const byName = (await call('GET', '/api/virtual-keys/alice')).data as PublicVirtualKey;
      assert.deepEqual(byName, (await call('GET', `/api/virtual-keys/${alice.id}`)).data);
      const context = await gateway.running.governance.service.authenticateRequest({ 'x-api-key': aliceSecret });
      assert.equal(context?.virtualKey.id, alice.id);
    });

    it('virtual keys: patch, rotate (old secret stops working), revoke, delete', async () => {
      const patched = (await call('PATCH', '/api/virtual-keys/alice', { body: { allowed_models: ['*'], expires_at: '2031-01-01T00:00:00Z', log_content: true } })).data as PublicVirtualKey;
      assert.deepEqual([patched.allowed_models, patched.expires_at, patched.log_content], [['*'], '2031-01-01T00:00:00.000Z', true]);
      const toCustomer = (await call('PATCH', '/api/virtual-keys/alice', { body: { customer_id: 'acme' } })).data as PublicVirtualKey;
      assert.equal(toCustomer.team_id, null, 'moving to a customer leaves the team');
      const back = (await call('PATCH', '/api/virtual-keys/alice', { body: { team_id: 'platform', expires_at: null } })).data as PublicVirtualKey;
      assert.deepEqual([back.customer_id, back.expires_at], [null, null]);

      const rotated = (await call('POST', '/api/virtual-keys/alice/rotate')).data as PublicCreatedVirtualKey & { budgets: PublicBudget[] };
      issuedSecrets.set(rotated.secret, 'POST /api/virtual-keys/alice/rotate');
      assert.notEqual(rotated.secret, aliceSecret);
      assert.equal(rotated.budgets.length, 1);
      const service = gateway.running.governance.service;
      assert.equal((await service.authenticate({ 'x-api-key': aliceSecret })).status, 'invalid');
      assert.equal((await service.authenticate({ 'x-api-key': rotated.secret })).status, 'valid');
      aliceSecret = rotated.secret;

      const temporary = (await call('POST', '/api/virtual-keys', { body: { name: 'temporary', customer_id: 'acme' } })).data as PublicCreatedVirtualKey;
      issuedSecrets.set(temporary.secret, 'POST /api/virtual-keys');
      const revoked = (await call('POST', '/api/virtual-keys/temporary/revoke')).data as PublicVirtualKey;
      assert.equal(revoked.state, 'revoked');
      assert.notEqual(revoked.revoked_at, null);
      const refused = await service.authenticate({ 'x-api-key': temporary.secret });
      assert.equal(refused.status === 'invalid' && refused.reason, 'revoked');
      expectError(await call('PATCH', '/api/virtual-keys/temporary', { body: { active: true } }), 409, 'active');
      expectError(await call('POST', '/api/virtual-keys/temporary/rotate'), 409);
      assert.equal((await call('DELETE', '/api/virtual-keys/temporary')).status, 204);
      expectError(await call('POST', '/api/virtual-keys/temporary/revoke'), 404);
    });

    it('budgets and rate limits: CRUD, current spend, reset; usage totals', async () => {
      const budget = (await call('POST', '/api/budgets', { body: { owner_type: 'team', owner_id: 'platform', limit_usd: 100, period: '1w', alignment: 'rolling' } })).data as PublicBudget;
      assert.deepEqual([budget.owner_type, budget.limit_usd, budget.period, budget.alignment, budget.current?.spent_usd], ['team', 100, '1w', 'rolling', 0]);
      expectError(await call('POST', '/api/budgets', { body: { owner_type: 'team', owner_id: 'platform', limit_usd: 5, period: '1w' } }), 409);
      expectError(await call('POST', '/api/budgets', { body: { owner_type: 'team', owner_id: 'ghosts', limit_usd: 5, period: '1w' } }), 400, 'owner_id');

      // Spend through the request path's service, as a request would.
      const service = gateway.running.governance.service;
      const context = await service.authenticateRequest({ authorization: `Bearer ${aliceSecret}` });
      const ticket = await service.admit(context, { provider: 'openai', providerKind: 'openai', model: 'gpt-4o', estimatedInputTokens: 10_000, estimatedOutputTokens: 1_000 });
      await service.settle(ticket, { inputTokens: 10_000, outputTokens: 1_000, cacheReadTokens: 0, cacheWriteTokens: 0 });

      const fetched = (await call('GET', `/api/budgets/${budget.id}`)).data as PublicBudget;
      assert.ok((fetched.current?.spent_usd ?? 0) > 0, JSON.stringify(fetched));
      assert.equal(fetched.current?.remaining_usd, 100 - (fetched.current?.spent_usd ?? 0));
      const teamBudgets = ((await call('GET', '/api/budgets?owner_type=team&owner_id=platform')).data as { data: PublicBudget[] }).data;
      assert.deepEqual(teamBudgets.map((item) => item.id), [budget.id]);
      assert.equal(((await call('GET', '/api/budgets')).data as { data: PublicBudget[] }).data.length, 2);
      const raised = (await call('PATCH', `/api/budgets/${budget.id}`, { body: { limit_usd: 250 } })).data as PublicBudget;
      assert.equal(raised.limit_usd, 250);
      const reset = (await call('POST', `/api/budgets/${budget.id}/reset`)).data as PublicBudget;
      assert.equal(reset.current?.spent_usd, 0);
      assert.equal((await call('DELETE', `/api/budgets/${budget.id}`)).status, 204);
      expectError(await call('GET', `/api/budgets/${budget.id}`), 404);

      const usage = (await call('GET', '/api/usage?virtual_key_id=alice')).data as { requests: number; input_tokens: number; output_tokens: number; cost_usd: number; owner_id: string };
      assert.deepEqual([usage.requests, usage.input_tokens, usage.output_tokens, usage.owner_id], [1, 10_000, 1_000, alice.id]);
      assert.ok(usage.cost_usd > 0);
      const teamUsage = (await call('GET', '/api/usage?team_id=platform&from=2000-01-01T00:00:00Z')).data as { requests: number };
      assert.equal(teamUsage.requests, 1);
      assert.equal(((await call('GET', '/api/usage?from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00Z')).data as { requests: number }).requests, 0);

      const limit = (await call('POST', '/api/rate-limits', { body: { owner_type: 'virtual_key', owner_id: 'alice', provider: 'openai', tokens: 50_000, window: '1h' } })).data as PublicRateLimit;
      assert.deepEqual([limit.provider, limit.tokens, limit.requests], ['openai', 50_000, null]);
      const changed = (await call('PATCH', `/api/rate-limits/${limit.id}`, { body: { requests: 10, tokens: null } })).data as PublicRateLimit;
      assert.deepEqual([changed.requests, changed.tokens], [10, null]);
      expectError(await call('PATCH', `/api/rate-limits/${limit.id}`, { body: { requests: null } }), 400);
      expectError(await call('PATCH', `/api/rate-limits/${limit.id}`, { body: { requests: 0 } }), 400, 'requests');
      assert.equal(((await call('GET', '/api/rate-limits?owner_type=virtual_key&owner_id=alice')).data as { data: PublicRateLimit[] }).data.length, 2);
      assert.deepEqual((await call('GET', `/api/rate-limits/${limit.id}`)).data, changed);
      assert.equal((await call('DELETE', `/api/rate-limits/${limit.id}`)).status, 204);
    });

    it('providers and provider keys: CRUD with masked secrets, checked before storing, served without a restart', async () => {
      const seeded = (await call('GET', '/api/providers/openai')).data as PublicProvider;
      assert.equal(seeded.keys[0].value_hint, `${PROVIDER_SECRET.slice(0, 4)}…${PROVIDER_SECRET.slice(-4)}`);
      assert.equal(seeded.headers['openai-organization'], `${HEADER_SECRET.slice(0, 4)}…${HEADER_SECRET.slice(-4)}`);

      expectError(await call('POST', '/api/providers', { body: { name: 'groq', type: 'groq' } }), 400, 'keys');
      expectError(await call('POST', '/api/providers', { body: { name: 'mystery', type: 'no-such-kind' } }), 400, 'type');
      expectError(await call('POST', '/api/providers', { body: { name: 'openai', keys: [{ value: 'sk-x' }] } }), 409);
      const created = await call('POST', '/api/providers', {
        body: { name: 'aws', type: 'bedrock', region: 'us-east-1', keys: [{ name: 'iam', value: AWS_SECRET, access_key_id: 'AKIAEXAMPLE', session_token: AWS_SESSION_TOKEN }] },
      });
      assert.equal(created.status, 201, created.text);
      const aws = created.data as PublicProvider;
      assert.deepEqual(aws.option_names, ['region']);
      assert.deepEqual(aws.keys[0].option_names, ['access_key_id', 'session_token']);
      const health = (await (await fetch(`${gateway.url}/health`)).json()) as { providers: string[] };
      assert.deepEqual(health.providers.sort(), ['aws', 'openai'], 'served at once');

      const added = await call('POST', '/api/providers/openai/keys', { body: { name: 'spare', value: ADDED_KEY_SECRET, weight: 2, models: ['gpt-4o-mini'] } });
      assert.equal(added.status, 201, added.text);
      expectError(await call('POST', '/api/providers/openai/keys', { body: { name: 'spare', value: 'sk-again' } }), 409);
      expectError(await call('POST', '/api/providers/openai/keys', { body: { name: 'bad', value: 'sk-x', weight: 0 } }), 400, 'weight');
      const keys = ((await call('GET', '/api/providers/openai/keys')).data as { data: PublicProviderKey[] }).data;
      assert.deepEqual(keys.map((key) => [key.name, key.weight]), [['openai-main', 1], ['spare', 2]]);
      const updatedKey = (await call('PATCH', '/api/providers/openai/keys/openai-main', { body: { value: ROTATED_PROVIDER_SECRET, weight: 3 } })).data as PublicProviderKey;
      assert.equal(updatedKey.value_hint, `${ROTATED_PROVIDER_SECRET.slice(0, 4)}…${ROTATED_PROVIDER_SECRET.slice(-4)}`);
      assert.equal(gateway.running.settings.providers.get('openai')?.keys.find((key) => key.id === 'openai-main')?.value, ROTATED_PROVIDER_SECRET, 'the new value is served');
      assert.equal(((await call('GET', '/api/providers/openai/keys/spare')).data as PublicProviderKey).weight, 2);
      assert.equal((await call('DELETE', '/api/providers/openai/keys/spare')).status, 204);
      expectError(await call('DELETE', '/api/providers/openai/keys/openai-main'), 409);

      const patched = (await call('PATCH', '/api/providers/aws', { body: { region: null, models: ['anthropic.claude-sonnet-4'], max_output_tokens: 4096 } })).data as PublicProvider;
      assert.deepEqual([patched.option_names, patched.models, patched.max_output_tokens], [[], ['anthropic.claude-sonnet-4'], 4096]);
      const awsKey = (await call('PATCH', '/api/providers/aws/keys/iam', { body: { session_token: null } })).data as PublicProviderKey;
      assert.deepEqual(awsKey.option_names, ['access_key_id']);
      expectError(await call('PATCH', '/api/providers/aws', { body: { base_url: 'ftp://nope' } }), 400, 'base_url');
      assert.equal((await call('DELETE', '/api/providers/aws')).status, 204);
      const after = (await (await fetch(`${gateway.url}/health`)).json()) as { providers: string[] };
      assert.deepEqual(after.providers, ['openai']);
      assert.deepEqual(((await call('GET', '/api/providers')).data as { data: PublicProvider[] }).data.map((provider) => provider.name), ['openai']);
    });

    it('logs in with the configured first admin: HttpOnly SameSite=Strict cookie, session, cross-origin refused, logout', async () => {
      expectError(await call('POST', '/api/auth/login', { token: null, body: { username: 'root', password: 'wrong-password-000' } }), 401);
      expectError(await call('POST', '/api/auth/login', { token: null, body: { username: 'nobody', password: 'wrong-password-000' } }), 401);
      expectError(await call('POST', '/api/auth/login', { token: null, body: { username: 'root' } }), 400, 'password');
      const login = await call('POST', '/api/auth/login', { token: null, body: { username: 'root', password: ROOT_PASSWORD } });
      assert.equal(login.status, 200, login.text);
      const setCookie = login.headers.get('set-cookie') ?? '';
      assert.match(setCookie, /^heimdall_session=[A-Za-z0-9_-]{43}; Path=\/api; HttpOnly; SameSite=Strict; Max-Age=43200$/);
      const cookie = setCookie.split(';')[0];
      assert.equal((login.data as { user: { username: string } }).user.username, 'root');

      const session = (await call('GET', '/api/auth/session', { token: null, headers: { cookie } })).data as { authenticated: boolean; principal: { kind: string; username: string } };
      assert.deepEqual([session.authenticated, session.principal.kind, session.principal.username], [true, 'session', 'root']);
      assert.equal((await call('GET', '/api/customers', { token: null, headers: { cookie } })).status, 200);
      const host = new URL(gateway.url).host;
      assert.equal((await call('POST', '/api/customers', { token: null, headers: { cookie, origin: `http://${host}` }, body: { name: 'from-dashboard' } })).status, 201);
      expectError(await call('POST', '/api/customers', { token: null, headers: { cookie, origin: 'http://evil.example' }, body: { name: 'csrf' } }), 403);

      const logout = await call('POST', '/api/auth/logout', { token: null, headers: { cookie } });
      assert.equal(logout.status, 204);
      assert.match(logout.headers.get('set-cookie') ?? '', /^heimdall_session=; .*Max-Age=0/);
      const expired = expectError(await call('GET', '/api/customers', { token: null, headers: { cookie } }), 401);
      assert.equal(expired.code, 'session_expired');
    });

    it('admin users: create, list, change password (ends sessions), delete', async () => {
      expectError(await call('POST', '/api/admin-users', { body: { username: 'carol', password: 'short' } }), 400, 'password');
      const carol = await call('POST', '/api/admin-users', { body: { username: 'carol', password: 'carol-password-1' } });
      assert.equal(carol.status, 201, carol.text);
      expectError(await call('POST', '/api/admin-users', { body: { username: 'carol', password: 'carol-password-2' } }), 409);
      assert.deepEqual(((await call('GET', '/api/admin-users')).data as { data: Array<{ username: string }> }).data.map((user) => user.username), ['carol', 'root']);
      const login = await call('POST', '/api/auth/login', { token: null, body: { username: 'carol', password: 'carol-password-1' } });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
      assert.equal((await call('GET', '/api/admin-users/carol', { token: null, headers: { cookie } })).status, 200);
      assert.equal((await call('PATCH', '/api/admin-users/carol', { body: { password: 'carol-password-new' } })).status, 200);
      expectError(await call('GET', '/api/admin-users/carol', { token: null, headers: { cookie } }), 401);
      assert.equal((await call('POST', '/api/auth/login', { token: null, body: { username: 'carol', password: 'carol-password-new' } })).status, 200);
      assert.equal((await call('DELETE', '/api/admin-users/carol')).status, 204);
      expectError(await call('GET', '/api/admin-users/carol'), 404);
    });

    it('never returned a stored secret; a virtual key secret only in the response that issued it', () => {
      const storedSecrets = [PROVIDER_SECRET, HEADER_SECRET, ADDED_KEY_SECRET, ROTATED_PROVIDER_SECRET, AWS_SECRET, AWS_SESSION_TOKEN, ADMIN_TOKEN, ROOT_PASSWORD];
      assert.ok(bodies.length > 100, `${bodies.length} responses scanned`);
      for (const { request, text } of bodies) {
        for (const secret of storedSecrets) assert.ok(!text.includes(secret), `${request} returned a stored secret`);
        for (const [secret, issuer] of issuedSecrets) {
          const hash = createHash('sha256').update(secret).digest('hex');
          assert.ok(!text.includes(hash), `${request} returned a virtual key hash`);
          if (text.includes(secret)) assert.equal(request, issuer, `${request} repeated a virtual key secret`);
        }
      }
      assert.equal(issuedSecrets.size, 3);
    });
  });
}

describe('admin API without any admin credential', () => {
  let gateway: GovernedTestGateway;
  before(async () => {
    gateway = await startGovernedTestGateway({ providers: {} });
  });
  after(async () => gateway?.close());

  it('answers loopback requests until a credential exists; the first user ends that', async () => {
    assert.match(gateway.running.adminAccessDescription, /^loopback only/);
    const session = (await (await fetch(`${gateway.url}/api/auth/session`)).json()) as { principal: { kind: string } };
    assert.equal(session.principal.kind, 'loopback');
    const created = await fetch(`${gateway.url}/api/admin-users`, { method: 'POST', body: JSON.stringify({ username: 'first', password: 'first-password-1' }) });
    assert.equal(created.status, 201);
    const refused = await fetch(`${gateway.url}/api/customers`);
    assert.equal(refused.status, 401);
  });
});
