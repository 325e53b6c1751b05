import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GatewayError } from '../core/errors.js';
import type { Usage } from '../core/gateway-response.js';
import { LocalChangeNotifier, RedisChangeNotifier, type ChangeNotifier } from '../storage/counters/change-notifier.js';
import type { CounterStore } from '../storage/counters/counter-store.js';
import { MemoryCounterStore } from '../storage/counters/memory-counter-store.js';
import { RedisCounterStore } from '../storage/counters/redis-counter-store.js';
import { openHeimdallStore, type HeimdallStore } from '../storage/heimdall-store.js';
import {
  createScratchPostgresDatabase,
  deleteRedisKeys,
  REDIS_TEST_URL,
  scratchRedisPrefix,
  skipWithoutPostgres,
  skipWithoutRedis,
} from '../testing/services.js';
import { CostCalculator } from './cost-calculator.js';
import { GovernanceAdmin } from './governance-admin.js';
import { GovernanceService, type AdmissionRequest, type GovernanceContext, type GovernanceSettings } from './governance-service.js';

/**
 * The governance suite, run against SQLite + in-memory counters and against PostgreSQL + Redis
 * (skipped with a notice when either is unreachable, unless HEIMDALL_REQUIRE_SERVICES=1).
 */

/** `openai/gpt-test` costs $1 per million input or output tokens: 1M tokens = $1. */
const PRICES = new CostCalculator({ 'openai/gpt-test': { inputPerMillionTokensUsd: 1, outputPerMillionTokensUsd: 1 } });
const ONE_DOLLAR_REQUEST: AdmissionRequest = { provider: 'openai', providerKind: 'openai', model: 'gpt-test', estimatedInputTokens: 1_000_000, estimatedOutputTokens: 0 };
const usage = (inputTokens: number, outputTokens = 0): Usage => ({ inputTokens, outputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 });

interface Variant {
  name: string;
  skip: false | string;
  /** A store location, and how a (new) counter store + notifier are made for it. */
  prepare(): Promise<{
    url?: string;
    appDirectory: string;
    connectCounters(prefix?: string): Promise<{ counters: CounterStore; notifier: ChangeNotifier; close(): Promise<void> }>;
    cleanup(): Promise<void>;
  }>;
}

const postgresAndRedisSkip = (await skipWithoutPostgres()) || (await skipWithoutRedis());

const variants: Variant[] = [
  {
    name: 'SQLite + memory counters',
    skip: false,
    prepare: async () => {
      const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-governance-'));
      return {
        appDirectory,
        connectCounters: async () => {
          const counters = new MemoryCounterStore();
          const notifier = new LocalChangeNotifier();
          return { counters, notifier, close: () => counters.close() };
        },
        cleanup: async () => rmSync(appDirectory, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'PostgreSQL + Redis',
    skip: postgresAndRedisSkip,
    prepare: async () => {
      const scratch = await createScratchPostgresDatabase();
      const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-governance-'));
      const prefixes = new Set<string>();
      const defaultPrefix = scratchRedisPrefix();
      return {
        url: scratch.url,
        appDirectory,
        connectCounters: async (prefix = defaultPrefix) => {
          prefixes.add(prefix);
          const counters = await RedisCounterStore.connect({ url: REDIS_TEST_URL, keyPrefix: prefix });
          const notifier = await RedisChangeNotifier.connect({ url: REDIS_TEST_URL, publisher: counters.connection, keyPrefix: prefix });
          return {
            counters,
            notifier,
            close: async () => {
              await notifier.close();
              await counters.close();
            },
          };
        },
        cleanup: async () => {
          for (const prefix of prefixes) await deleteRedisKeys(prefix);
          await scratch.drop();
          rmSync(appDirectory, { recursive: true, force: true });
        },
      };
    },
  },
];

/** The documented budget refusal: 400 invalid_request_error, not retried, saying what happened and what to do. */
function isBudgetRefusal(error: unknown): boolean {
  return (
    error instanceof GatewayError &&
    error.status === 400 &&
    error.kind === 'invalid_request_error' &&
    error.headers['x-should-retry'] === 'false' &&
    /^Heimdall budget exhausted: .+ budget.*resets at .+Ask your Heimdall administrator to raise or reset the budget\.$/.test(error.message)
  );
}

for (const variant of variants) {
  describe(`governance on ${variant.name}`, { skip: variant.skip }, () => {
    let now = Date.parse('2026-03-18T14:37:21.000Z');
    const clock = (): number => now;
    const encryptionKey = randomBytes(32);
    let location: Awaited<ReturnType<Variant['prepare']>>;
    let store: HeimdallStore;
    let connection: Awaited<ReturnType<Awaited<ReturnType<Variant['prepare']>>['connectCounters']>>;
    let service: GovernanceService;
    let admin: GovernanceAdmin;
    const extraServices: Array<{ close(): Promise<void> }> = [];

    const makeService = (counters: CounterStore, notifier: ChangeNotifier, settings: Partial<GovernanceSettings> = {}): GovernanceService =>
      new GovernanceService({ store, counters, notifier, costs: PRICES, settings: { authCacheTtlMs: 5_000, ...settings }, clock, log: () => undefined });

    before(async () => {
      location = await variant.prepare();
      store = await openHeimdallStore({ url: location.url, appDirectory: location.appDirectory, encryptionKey, clock });
      connection = await location.connectCounters();
      service = makeService(connection.counters, connection.notifier);
      admin = new GovernanceAdmin(store, connection.notifier, service);
    });
    after(async () => {
      for (const extra of extraServices) await extra.close();
      await service?.close();
      await connection?.close();
      await store?.close();
      await location?.cleanup();
    });

    /** A fresh key (unique name) in a fresh team of a fresh customer. */
    async function issueKey(options: { teamBudgetUsd?: number; keyBudgetUsd?: number; customerBudgetUsd?: number } = {}) {
      const suffix = randomBytes(4).toString('hex');
      const customer = await admin.createCustomer({ name: `customer-${suffix}` });
      const team = await admin.createTeam({ name: `team-${suffix}`, customerId: customer.id });
      const issued = await admin.createVirtualKey({ name: `key-${suffix}`, teamId: team.id });
      if (options.keyBudgetUsd !== undefined) await admin.createBudget({ owner: { type: 'virtual_key', id: issued.virtualKey.id }, limitUsd: options.keyBudgetUsd, period: '1d' });
      if (options.teamBudgetUsd !== undefined) await admin.createBudget({ owner: { type: 'team', id: team.id }, limitUsd: options.teamBudgetUsd, period: '1M' });
      if (options.customerBudgetUsd !== undefined) await admin.createBudget({ owner: { type: 'customer', id: customer.id }, limitUsd: options.customerBudgetUsd, period: '1Y' });
      return { ...issued, team, customer, headers: { 'x-api-key': issued.secret } as IncomingHttpHeaders };
    }

    async function contextOf(headers: IncomingHttpHeaders, on: GovernanceService = service): Promise<GovernanceContext> {
      const result = await on.authenticate(headers);
      assert.equal(result.status, 'valid', result.status === 'invalid' ? result.message : 'no key');
      return (result as { context: GovernanceContext }).context;
    }

    describe('authentication', () => {
      it('finds the virtual key in x-heimdall-vk, x-api-key or Authorization: Bearer, and tells it apart from a provider credential', async () => {
        const { secret, virtualKey } = await issueKey();
        assert.match(secret, /^hk-[A-Za-z0-9_-]{43}$/);
        assert.deepEqual(await service.authenticate({}), { status: 'none', providerCredential: false });
        assert.deepEqual(await service.authenticate({ 'x-api-key': 'sk-ant-api03-provider-credential' }), { status: 'none', providerCredential: true });
        assert.deepEqual(await service.authenticate({ authorization: 'Bearer sk-provider-token' }), { status: 'none', providerCredential: true });
        for (const [headers, source] of [
          [{ 'x-heimdall-vk': secret, 'x-api-key': 'sk-ant-api03-provider-credential' }, 'x-heimdall-vk'],
          [{ 'x-api-key': secret }, 'x-api-key'],
          [{ authorization: `Bearer ${secret}` }, 'authorization'],
        ] as const) {
          const context = await contextOf(headers);
          assert.equal(context.virtualKey.id, virtualKey.id);
          assert.equal(context.credentialSource, source);
        }
      });

      it('resolves the key → team → customer chain with budgets and rate limits in chain order', async () => {
        const { headers, virtualKey, team, customer } = await issueKey({ keyBudgetUsd: 1, teamBudgetUsd: 2, customerBudgetUsd: 3 });
        await admin.createRateLimit({ owner: { type: 'customer', id: customer.id }, window: '1h', maxRequests: 1_000 });
        await admin.createRateLimit({ owner: { type: 'virtual_key', id: virtualKey.id }, window: '1m', maxRequests: 10 });
        const context = await contextOf(headers);
        assert.equal(context.team?.id, team.id);
        assert.equal(context.customer?.id, customer.id);
        assert.deepEqual(
          context.budgets.map((budget) => [budget.owner.type, budget.limitUsd]),
          [
            ['virtual_key', 1],
            ['team', 2],
            ['customer', 3],
          ],
        );
        assert.deepEqual(
          context.rateLimits.map((limit) => limit.owner.type),
          ['virtual_key', 'customer'],
        );
      });

      it('says why a presented key is refused: malformed, unknown, revoked, inactive, expired — never echoing the secret', async () => {
        const malformed = await service.authenticate({ 'x-heimdall-vk': 'sk-not-a-virtual-key' });
        assert.equal(malformed.status === 'invalid' && malformed.reason, 'malformed');
        const tooShort = await service.authenticate({ 'x-api-key': 'hk-short' });
        assert.equal(tooShort.status === 'invalid' && tooShort.reason, 'malformed');

        const unknownSecret = `hk-${randomBytes(32).toString('base64url')}`;
        const unknown = await service.authenticate({ authorization: `Bearer ${unknownSecret}` });
        assert.equal(unknown.status, 'invalid');
        if (unknown.status === 'invalid') {
          assert.equal(unknown.reason, 'unknown');
          assert.match(unknown.message, /^Invalid Heimdall virtual key hk-.{4}…: no such key/);
          assert.ok(!unknown.message.includes(unknownSecret.slice(7)));
        }

        const revoked = await issueKey();
        await admin.revokeVirtualKey(revoked.virtualKey.id);
        const inactive = await issueKey();
        await admin.updateVirtualKey(inactive.virtualKey.id, { active: false });
        const expired = await issueKey();
        await admin.updateVirtualKey(expired.virtualKey.id, { expiresAt: now - 1 });
        for (const [issued, reason, wording] of [
          [revoked, 'revoked', /was revoked on .+Ask your Heimdall administrator for a new key\./],
          [inactive, 'inactive', /is deactivated\. Ask your Heimdall administrator to reactivate it\./],
          [expired, 'expired', /expired on .+Ask your Heimdall administrator to extend it or issue a new key\./],
        ] as const) {
          const result = await service.authenticate(issued.headers);
          assert.equal(result.status, 'invalid');
          if (result.status !== 'invalid') continue;
          assert.equal(result.reason, reason);
          assert.match(result.message, wording);
          assert.match(result.message, new RegExp(`'${issued.virtualKey.name}' \\(hk-.{4}…\\)`));
          assert.ok(!result.message.includes(issued.secret));
          await assert.rejects(service.authenticateRequest(issued.headers), (error: unknown) => error instanceof GatewayError && error.status === 401 && error.kind === 'authentication_error');
        }
      });

      it('applies enforce_auth_on_inference: off lets keyless requests through ungoverned, on refuses them; invalid keys are refused either way', async () => {
        const relaxed = service;
        const strict = makeService(connection.counters, connection.notifier, { enforceAuthOnInference: true });
        extraServices.push(strict);
        assert.equal(await relaxed.authenticateRequest({ 'x-api-key': 'sk-ant-provider-credential' }), undefined);
        await assert.rejects(strict.authenticateRequest({ 'x-api-key': 'sk-ant-provider-credential' }), (error: unknown) => {
          return error instanceof GatewayError && error.status === 401 && /requires a virtual key: send it as `x-api-key: hk-…`/.test(error.message);
        });
        const bogus = { 'x-api-key': `hk-${randomBytes(20).toString('hex')}` };
        for (const checking of [relaxed, strict]) {
          await assert.rejects(checking.authenticateRequest(bogus), (error: unknown) => error instanceof GatewayError && error.status === 401);
        }
        const { headers } = await issueKey();
        assert.ok((await strict.authenticateRequest(headers)) !== undefined);
      });

      it('drops a revoked key from the cache at once (and bounds unpublished changes by the TTL)', async () => {
        const { headers, virtualKey } = await issueKey();
        await contextOf(headers); // now cached
        await admin.revokeVirtualKey(virtualKey.id);
        const afterRevoke = await service.authenticate(headers);
        assert.equal(afterRevoke.status === 'invalid' && afterRevoke.reason, 'revoked');

        const other = await issueKey();
        await contextOf(other.headers);
        await store.virtualKeys.update(other.virtualKey.id, { active: false }); // behind the service's back: nothing published
        assert.equal((await service.authenticate(other.headers)).status, 'valid', 'cached within the TTL');
        now += 5_000;
        const stale = await service.authenticate(other.headers);
        assert.equal(stale.status === 'invalid' && stale.reason, 'inactive', 'reloaded once the TTL passed');
      });
    });

    describe('authorization', () => {
      it('refuses providers and models outside the key’s patterns with 403 naming what is allowed', async () => {
        const { virtualKey, headers } = await issueKey();
        await admin.updateVirtualKey(virtualKey.id, { allowedProviders: ['openai', 'anthropic'], allowedModels: ['openai/gpt-4o*', 'claude-*'] });
        const context = await contextOf(headers);
        service.authorize(context, 'openai', 'gpt-4o-mini');
        service.authorize(context, 'anthropic', 'claude-sonnet-4-5');
        service.authorize(undefined, 'anything', 'goes');
        assert.throws(
          () => service.authorize(context, 'groq', 'llama-3.3-70b'),
          (error: unknown) =>
            error instanceof GatewayError && error.status === 403 && error.kind === 'permission_error' && /may not use provider 'groq'; it may use: openai, anthropic\./.test(error.message),
        );
        assert.throws(
          () => service.authorize(context, 'openai', 'gpt-5'),
          (error: unknown) => error instanceof GatewayError && error.status === 403 && /may not use model 'openai\/gpt-5'; it may use: openai\/gpt-4o\*, claude-\*\./.test(error.message),
        );
        await assert.rejects(service.admit(context, { ...ONE_DOLLAR_REQUEST, model: 'gpt-5' }), (error: unknown) => error instanceof GatewayError && error.status === 403);
      });

      it('limits the provider keys a virtual key may use', async () => {
        const { virtualKey, headers } = await issueKey();
        await admin.updateVirtualKey(virtualKey.id, { allowedProviderKeys: ['openai-team-*'] });
        const context = await contextOf(headers);
        const keys = [{ id: 'openai-team-a' }, { id: 'openai-team-b' }, { id: 'openai-shared' }];
        assert.deepEqual(
          service.selectableProviderKeys(context, 'openai', keys).map((key) => key.id),
          ['openai-team-a', 'openai-team-b'],
        );
        assert.deepEqual(service.selectableProviderKeys(context, 'ollama', []), []);
        assert.deepEqual(service.selectableProviderKeys(undefined, 'openai', keys), keys);
        assert.throws(() => service.selectableProviderKeys(context, 'openai', [{ id: 'openai-shared' }]), (error: unknown) => error instanceof GatewayError && error.status === 403);
      });
    });

    describe('budgets', () => {
      it('reserves before and charges after, on every budget of the chain; refuses a spent budget with the documented 400', async () => {
        const { headers, virtualKey, team, customer } = await issueKey({ keyBudgetUsd: 10, teamBudgetUsd: 100, customerBudgetUsd: 1_000 });
        const context = await contextOf(headers);
        const ticket = await service.admit(context, ONE_DOLLAR_REQUEST);
        assert.equal(ticket.reservedMicroUsd, 1_000_000);
        const during = await service.checkBudgets(context);
        assert.deepEqual(
          during.map((status) => [status.reservedUsd, status.spentUsd]),
          [
            [1, 0],
            [1, 0],
            [1, 0],
          ],
        );
        const settlement = await service.settle(ticket, usage(2_500_000, 500_000));
        assert.equal(settlement.cost.costUsd, 3);
        assert.deepEqual(settlement.chargedBudgetIds, context.budgets.map((budget) => budget.id));
        assert.equal((await service.settle(ticket, usage(9_000_000))).cost.costUsd, 3, 'settling twice changes nothing');
        const statuses = await service.checkBudgets(context);
        assert.deepEqual(
          statuses.map((status) => [status.budget.owner.type, status.spentUsd, status.reservedUsd, status.remainingUsd]),
          [
            ['virtual_key', 3, 0, 7],
            ['team', 3, 0, 97],
            ['customer', 3, 0, 997],
          ],
        );
        const big = await service.admit(context, { ...ONE_DOLLAR_REQUEST, estimatedInputTokens: 1 });
        await service.settle(big, usage(7_000_000)); // the key's $10 is now spent
        const refusal = await service.admit(context, ONE_DOLLAR_REQUEST).then(
          () => assert.fail('admitted past a spent budget'),
          (error: unknown) => error,
        );
        assert.ok(isBudgetRefusal(refusal), String(refusal));
        assert.match((refusal as Error).message, new RegExp(`virtual key '${virtualKey.name}' has used \\$10\\.00 of its \\$10\\.00 daily budget`));
        await assert.rejects(service.checkBudgets(context), isBudgetRefusal);
        await service.flushUsage();
        const totals = await admin.usageTotals({ owner: { type: 'team', id: team.id }, fromMs: 0, toMs: now + 1 });
        assert.equal(totals.requests, 2);
        assert.equal(totals.costMicroUsd, 10_000_000);
        assert.equal((await admin.usageTotals({ owner: { type: 'customer', id: customer.id }, fromMs: 0, toMs: now + 1 })).costMicroUsd, 10_000_000);
      });

      it('200 concurrent admissions on a budget covering 50: exactly 50 admitted, each refusal the documented error, overshoot within the in-flight bound', async () => {
        const { headers } = await issueKey({ teamBudgetUsd: 50 });
        const context = await contextOf(headers);
        const results = await Promise.allSettled(Array.from({ length: 200 }, () => service.admit(context, ONE_DOLLAR_REQUEST)));
        const admitted = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        assert.equal(admitted.length, 50);
        assert.equal(refused.length, 150);
        for (const error of refused) assert.ok(isBudgetRefusal(error), String(error));
        // Each in-flight request turns out to cost 10% more than estimated.
        await Promise.all(admitted.map((ticket) => service.settle(ticket, usage(1_100_000))));
        const [status] = await service.checkBudgets(context).catch(async () => service.budgetStatuses(context.budgets));
        const inFlightBound = 50 + admitted.length * (1.1 - 1);
        assert.ok(status.spentUsd > 50 && status.spentUsd <= inFlightBound + 1e-9, `spent ${status.spentUsd} within ${inFlightBound}`);
        assert.equal(status.reservedUsd, 0);
        await assert.rejects(service.admit(context, ONE_DOLLAR_REQUEST), isBudgetRefusal);
      });

      it('charges an aborted stream for the usage it consumed, and a released request for nothing', async () => {
        const { headers } = await issueKey({ teamBudgetUsd: 100 });
        const context = await contextOf(headers);
        const aborted = await service.admit(context, ONE_DOLLAR_REQUEST);
        await service.settle(aborted, usage(1_000_000, 250_000)); // what was produced before the abort
        const failed = await service.admit(context, ONE_DOLLAR_REQUEST);
        const released = await service.release(failed);
        assert.equal(released.cost.costUsd, 0);
        const [status] = await service.checkBudgets(context);
        assert.equal(status.spentUsd, 1.25);
        assert.equal(status.reservedUsd, 0);
      });

      it('starts a new window when the period ends (injected clock)', async () => {
        const { headers } = await issueKey({ keyBudgetUsd: 2 });
        const context = await contextOf(headers);
        for (let index = 0; index < 2; index += 1) await service.settle(await service.admit(context, ONE_DOLLAR_REQUEST), usage(1_000_000));
        await assert.rejects(service.admit(context, ONE_DOLLAR_REQUEST), isBudgetRefusal);
        const [before] = await service.budgetStatuses(context.budgets);
        const saved = now;
        now = before.windowEndMs; // next UTC day
        try {
          const ticket = await service.admit(context, ONE_DOLLAR_REQUEST);
          await service.settle(ticket, usage(1_000_000));
          const [after] = await service.checkBudgets(context);
          assert.equal(after.windowStartMs, before.windowEndMs);
          assert.equal(after.spentUsd, 1);
        } finally {
          now = saved;
        }
      });

      it('resets a budget on request: spend counts from the reset', async () => {
        const { headers } = await issueKey({ keyBudgetUsd: 1 });
        const context = await contextOf(headers);
        await service.settle(await service.admit(context, ONE_DOLLAR_REQUEST), usage(1_000_000));
        await assert.rejects(service.admit(context, ONE_DOLLAR_REQUEST), isBudgetRefusal);
        now += 1_000;
        await admin.resetBudget(context.budgets[0].id);
        const fresh = await contextOf(headers);
        const status = await admin.budgetStatus(fresh.budgets[0].id);
        assert.equal(status.spentUsd, 0);
        assert.equal(status.windowStartMs, now);
        await service.release(await service.admit(fresh, ONE_DOLLAR_REQUEST));
      });

      it('keeps spend across a restart with empty counters: windows are rebuilt from the usage records', async () => {
        const { headers } = await issueKey({ teamBudgetUsd: 10 });
        const context = await contextOf(headers);
        for (let index = 0; index < 3; index += 1) await service.settle(await service.admit(context, ONE_DOLLAR_REQUEST), usage(1_000_000));
        await service.flushUsage();
        // A new process: fresh counters (memory) or a Redis that lost its keys (new prefix), same database.
        const restarted = await location.connectCounters(scratchRedisPrefix());
        const second = makeService(restarted.counters, restarted.notifier);
        extraServices.push(second, restarted);
        const secondContext = await contextOf(headers, second);
        const [status] = await second.checkBudgets(secondContext);
        assert.equal(status.spentUsd, 3);
        const admitted = await Promise.allSettled(Array.from({ length: 10 }, () => second.admit(secondContext, ONE_DOLLAR_REQUEST)));
        assert.equal(admitted.filter((result) => result.status === 'fulfilled').length, 7);
      });

      it('records unpriced and ungoverned requests without charging anything', async () => {
        const { headers } = await issueKey({ keyBudgetUsd: 1 });
        const context = await contextOf(headers);
        const unpriced = await service.admit(context, { provider: 'ollama', providerKind: 'ollama', model: 'llama3.1', estimatedInputTokens: 10_000_000, estimatedOutputTokens: 0 });
        const settlement = await service.settle(unpriced, usage(10_000_000));
        assert.equal(settlement.cost.priced, false);
        assert.deepEqual(settlement.chargedBudgetIds, []);
        const anonymous = await service.admit(undefined, ONE_DOLLAR_REQUEST);
        assert.equal(anonymous.context, undefined);
        assert.equal((await service.settle(anonymous, usage(1_000_000))).cost.costUsd, 1);
        await service.flushUsage();
        const anonymousRows = await store.database.selectFrom('usage_records').select(['cost_micro_usd', 'priced']).where('id', '=', anonymous.id).execute();
        assert.deepEqual(anonymousRows.map((row) => [Number(row.cost_micro_usd), Number(row.priced)]), [[1_000_000, 1]]);
        assert.equal((await service.checkBudgets(context))[0].spentUsd, 0);
      });
    });

    describe('rate limits', () => {
      it('100 concurrent requests on a 30-request window: exactly 30 pass, the rest get 429 with retry-after', async () => {
        const { headers, virtualKey } = await issueKey();
        await admin.createRateLimit({ owner: { type: 'virtual_key', id: virtualKey.id }, window: '1m', maxRequests: 30 });
        const context = await contextOf(headers);
        const results = await Promise.allSettled(Array.from({ length: 100 }, () => service.admit(context, ONE_DOLLAR_REQUEST)));
        const admitted = results.filter((result) => result.status === 'fulfilled');
        assert.equal(admitted.length, 30);
        const secondsLeft = Math.ceil((Math.floor(now / 60_000) * 60_000 + 60_000 - now) / 1000);
        for (const result of results) {
          if (result.status !== 'rejected') continue;
          const error = result.reason as GatewayError;
          assert.ok(error instanceof GatewayError);
          assert.equal(error.status, 429);
          assert.equal(error.kind, 'rate_limit_error');
          assert.equal(error.headers['retry-after'], String(secondsLeft));
          assert.ok(Number(error.headers['retry-after-ms']) > 0);
          assert.match(error.message, new RegExp(`virtual key '${virtualKey.name}' allows 30 requests per 1m; retry in ${secondsLeft} s\\.$`));
        }
      });

      it('scopes a limit to one provider, counts tokens by estimate then actual, and releases the budget hold of a refused request', async () => {
        const { headers, virtualKey } = await issueKey({ keyBudgetUsd: 100 });
        await admin.createRateLimit({ owner: { type: 'virtual_key', id: virtualKey.id }, provider: 'openai', window: '1h', maxTokens: 3_000_000 });
        const context = await contextOf(headers);
        const first = await service.admit(context, ONE_DOLLAR_REQUEST);
        const second = await service.admit(context, ONE_DOLLAR_REQUEST);
        await service.admit(context, { ...ONE_DOLLAR_REQUEST, provider: 'other', providerKind: 'openai' }); // not limited
        await assert.rejects(service.admit(context, { ...ONE_DOLLAR_REQUEST, estimatedInputTokens: 1_500_000 }), (error: unknown) => {
          return error instanceof GatewayError && error.status === 429 && /allows 3000000 tokens per 1h on provider 'openai'/.test(error.message);
        });
        const [held] = await service.budgetStatuses(context.budgets);
        assert.equal(held.reservedUsd, 3, 'the refused request holds nothing');
        await service.settle(first, usage(200_000));
        await service.settle(second, usage(200_000)); // 2M estimated, 0.4M used
        await service.release(await service.admit(context, { ...ONE_DOLLAR_REQUEST, estimatedInputTokens: 2_500_000 }));
      });

      it('tells routing rules how much of the tightest budget and token limit the chain used (budget_used, tokens_used)', async () => {
        const { headers, virtualKey } = await issueKey({ keyBudgetUsd: 10, teamBudgetUsd: 100 });
        await admin.createRateLimit({ owner: { type: 'virtual_key', id: virtualKey.id }, provider: 'openai', window: '1h', maxTokens: 4_000_000 });
        await admin.createRateLimit({ owner: { type: 'virtual_key', id: virtualKey.id }, provider: '*', window: '1h', maxTokens: 20_000_000 });
        const context = await contextOf(headers);
        const asked = { budgets: true, tokens: true, provider: 'openai' };
        assert.deepEqual(await service.usedPercents(context, asked), { budgetUsedPercent: 0, tokensUsedPercent: 0 });
        await service.settle(await service.admit(context, ONE_DOLLAR_REQUEST), usage(2_000_000, 500_000)); // $2.50, 2.5M tokens
        // Budgets: $2.50 of the key's $10 (25 %) beats 2.5 % of the team's $100. Tokens: 2.5M of 4M on openai.
        assert.deepEqual(await service.usedPercents(context, asked), { budgetUsedPercent: 25, tokensUsedPercent: 62.5 });
        // Another provider: only the '*' limit applies (2.5M of 20M); nothing asked, nothing read.
        assert.deepEqual(await service.usedPercents(context, { ...asked, provider: 'groq' }), { budgetUsedPercent: 25, tokensUsedPercent: 12.5 });
        assert.deepEqual(await service.usedPercents(context, { budgets: false, tokens: false, provider: 'openai' }), { budgetUsedPercent: 0, tokensUsedPercent: 0 });
      });
    });

    if (variant.name.includes('Redis')) {
      it('revocation on one replica reaches another replica’s cache through Redis pub/sub', async () => {
        const replica = await location.connectCounters();
        const other = makeService(replica.counters, replica.notifier, { authCacheTtlMs: 3_600_000 });
        extraServices.push(other, replica);
        const { headers, virtualKey } = await issueKey();
        await contextOf(headers, other); // cached for an hour on the other replica
        await admin.revokeVirtualKey(virtualKey.id);
        const deadline = Date.now() + 2_000;
        let result = await other.authenticate(headers);
        while (result.status === 'valid' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10));
          result = await other.authenticate(headers);
        }
        assert.equal(result.status === 'invalid' && result.reason, 'revoked');
      });
    }
  });
}
