import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createScratchPostgresDatabase, skipWithoutPostgres } from '../testing/services.js';
import { openHeimdallStore, type HeimdallStore } from './heimdall-store.js';
import { staticMigrationProvider } from './migration-provider.js';
import { migrateToLatest } from './open-database.js';
import type { UsageRecord } from './records.js';
import { ConflictStorageError, InvalidValueStorageError, NotFoundStorageError } from './storage-errors.js';

/**
 * The repository and migration suite. It runs unchanged against SQLite (a temporary file) and
 * PostgreSQL (a scratch database, dropped after; skipped with a notice when the server is
 * unreachable, unless HEIMDALL_REQUIRE_SERVICES=1).
 */

interface Backend {
  name: string;
  skip: false | string;
  /** Where to open stores: `url` (undefined = SQLite in `appDirectory`). */
  prepare(): Promise<{ url?: string; appDirectory: string; cleanup(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    skip: false,
    prepare: async () => {
      const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-store-'));
      return { appDirectory, cleanup: async () => rmSync(appDirectory, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: await skipWithoutPostgres(),
    prepare: async () => {
      const scratch = await createScratchPostgresDatabase();
      const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-store-'));
      return {
        url: scratch.url,
        appDirectory,
        cleanup: async () => {
          await scratch.drop();
          rmSync(appDirectory, { recursive: true, force: true });
        },
      };
    },
  },
];

function usageRecord(overrides: Partial<UsageRecord>): UsageRecord {
  return {
    id: randomUUID(),
    createdAt: 1_000,
    provider: 'openai',
    model: 'gpt-test',
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costMicroUsd: 100,
    priced: true,
    ...overrides,
  };
}

for (const backend of backends) {
  describe(`store on ${backend.name}`, { skip: backend.skip }, () => {
    const encryptionKey = randomBytes(32);
    let time = 1_700_000_000_000;
    const clock = (): number => time;
    let location: { url?: string; appDirectory: string; cleanup(): Promise<void> };
    let store: HeimdallStore;

    before(async () => {
      location = await backend.prepare();
      store = await openHeimdallStore({ url: location.url, appDirectory: location.appDirectory, encryptionKey, clock });
    });
    after(async () => {
      await store?.close();
      await location?.cleanup();
    });

    it('runs the migrations once: again at start is a no-op, and concurrent starts agree', async () => {
      assert.equal(store.backend, backend.name === 'SQLite' ? 'sqlite' : 'postgres');
      await migrateToLatest(store.database);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.database);
      assert.deepEqual(
        applied.rows.map((row) => row.name),
        Object.keys(await staticMigrationProvider.getMigrations()).sort(),
      );
      const others = await Promise.all([1, 2, 3].map(() => openHeimdallStore({ url: location.url, appDirectory: location.appDirectory, encryptionKey, clock })));
      for (const other of others) await other.close();
      const again = await sql<{ count: number }>`select count(*) as count from kysely_migration`.execute(store.database);
      assert.equal(Number(again.rows[0].count), applied.rows.length);
    });

    it('rolls a transaction back as a whole', async () => {
      await assert.rejects(
        store.transaction(async (repositories) => {
          await repositories.customers.create({ name: 'rolled-back' });
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.equal(await store.customers.findByName('rolled-back'), undefined);
    });

    it('keeps customers and teams, with unique names and guarded deletes', async () => {
      const acme = await store.customers.create({ name: 'acme' });
      assert.equal((await store.customers.get(acme.id))?.name, 'acme');
      await assert.rejects(store.customers.create({ name: 'acme' }), ConflictStorageError);
      const platform = await store.teams.create({ name: 'platform', customerId: acme.id });
      assert.equal(platform.customerId, acme.id);
      assert.deepEqual(
        (await store.teams.list({ customerId: acme.id })).map((team) => team.name),
        ['platform'],
      );
      await assert.rejects(store.teams.create({ name: 'orphan', customerId: randomUUID() }), ConflictStorageError);
      await assert.rejects(store.customers.delete(acme.id), (error: unknown) => error instanceof ConflictStorageError && /1 team/.test(error.message));
      time += 1_000;
      const renamed = await store.teams.update(platform.id, { name: 'platform-team', customerId: null });
      assert.equal(renamed.name, 'platform-team');
      assert.equal(renamed.customerId, undefined);
      assert.equal(renamed.updatedAt, time);
      await store.customers.delete(acme.id);
      await assert.rejects(store.customers.delete(acme.id), NotFoundStorageError);
      await store.teams.delete(platform.id);
      assert.deepEqual(await store.teams.list(), []);
    });

    it('keeps virtual keys by secret hash, with one owner at most, revocation and rotation', async () => {
      const customer = await store.customers.create({ name: 'vk-customer' });
      const team = await store.teams.create({ name: 'vk-team', customerId: customer.id });
      const hash = 'a'.repeat(64);
      const key = await store.virtualKeys.create({
        name: 'ci',
        secretHash: hash,
        keyPrefix: 'hk-abcd',
        teamId: team.id,
        allowedModels: ['openai/gpt-*'],
        expiresAt: time + 60_000,
        mcpTools: ['search'],
      });
      assert.equal(key.active, true);
      assert.deepEqual(key.allowedProviders, ['*']);
      assert.deepEqual(key.allowedModels, ['openai/gpt-*']);
      assert.deepEqual(key.mcpTools, ['search']);
      assert.equal((await store.virtualKeys.findBySecretHash(hash))?.id, key.id);
      assert.equal(await store.virtualKeys.findBySecretHash('b'.repeat(64)), undefined);
      await assert.rejects(store.virtualKeys.create({ name: 'ci', secretHash: 'c'.repeat(64), keyPrefix: 'hk-cccc' }), ConflictStorageError);
      await assert.rejects(store.virtualKeys.create({ name: 'dup-secret', secretHash: hash, keyPrefix: 'hk-abcd' }), ConflictStorageError);
      await assert.rejects(
        store.virtualKeys.create({ name: 'both', secretHash: 'd'.repeat(64), keyPrefix: 'hk-dddd', teamId: team.id, customerId: customer.id }),
        InvalidValueStorageError,
      );
      await assert.rejects(store.virtualKeys.update(key.id, { customerId: customer.id }), InvalidValueStorageError);
      const moved = await store.virtualKeys.update(key.id, { teamId: null, customerId: customer.id, logContent: true, expiresAt: null, mcpTools: null });
      assert.equal(moved.teamId, undefined);
      assert.equal(moved.customerId, customer.id);
      assert.equal(moved.logContent, true);
      assert.equal(moved.expiresAt, undefined);
      assert.equal(moved.mcpTools, undefined);

      const revokedAt = time;
      const revoked = await store.virtualKeys.revoke(key.id);
      assert.equal(revoked.revokedAt, revokedAt);
      assert.equal(revoked.active, false);
      time += 5_000;
      assert.equal((await store.virtualKeys.revoke(key.id)).revokedAt, revokedAt, 'revoking again keeps the first time');

      const rotated = await store.virtualKeys.replaceSecret(key.id, 'e'.repeat(64), 'hk-eeee');
      assert.equal(rotated.keyPrefix, 'hk-eeee');
      assert.equal(await store.virtualKeys.findBySecretHash(hash), undefined);

      await store.budgets.create({ owner: { type: 'virtual_key', id: key.id }, limitUsd: 1, period: '1d' });
      await store.virtualKeys.delete(key.id);
      assert.deepEqual(await store.budgets.listForOwners([{ type: 'virtual_key', id: key.id }]), []);
      await assert.rejects(store.virtualKeys.delete(key.id), NotFoundStorageError);
    });

    it('keeps providers and their keys with secrets encrypted, options included', async () => {
      const provider = await store.providers.create({
        name: 'azure-east',
        type: 'azure',
        baseUrl: 'https://example.openai.azure.com',
        headers: { 'Api-Key': 'header-secret-value-123456' },
        models: ['gpt-4o'],
        maxOutputTokens: 4096,
        timeouts: { connectMs: 5_000 },
        options: { api_version: '2024-10-21', entra: { tenant_id: 't', client_id: 'c', client_secret: 'entra-secret' } },
      });
      const key = await store.providers.addKey(provider.id, {
        name: 'primary',
        value: 'sk-azure-primary-0123456789',
        weight: 3,
        models: ['gpt-*'],
        deployments: { 'gpt-4o': 'prod-gpt4o' },
        options: { session_token: 'token' },
      });
      await store.providers.addKey(provider.id, { name: 'secondary', value: 'sk-azure-secondary-0123456789' });
      await assert.rejects(store.providers.addKey(provider.id, { name: 'primary', value: 'x' }), ConflictStorageError);
      await assert.rejects(store.providers.addKey(provider.id, { name: 'zero', value: 'x', weight: 0 }), InvalidValueStorageError);
      await assert.rejects(store.providers.create({ name: 'azure-east', type: 'azure' }), ConflictStorageError);

      const read = await store.providers.findByName('azure-east');
      assert.ok(read !== undefined);
      assert.equal(read.baseUrl, 'https://example.openai.azure.com');
      assert.equal(read.headers['api-key'].reveal(), 'header-secret-value-123456');
      assert.deepEqual(read.options, { api_version: '2024-10-21', entra: { tenant_id: 't', client_id: 'c', client_secret: 'entra-secret' } });
      assert.equal(read.timeouts.connectMs, 5_000);
      assert.equal(read.timeouts.idleMs, undefined);
      assert.deepEqual(
        read.keys.map((item) => [item.name, item.value.reveal(), item.weight]),
        [
          ['primary', 'sk-azure-primary-0123456789', 3],
          ['secondary', 'sk-azure-secondary-0123456789', 1],
        ],
      );
      assert.deepEqual(read.keys[0].deployments, { 'gpt-4o': 'prod-gpt4o' });
      assert.deepEqual(read.keys[0].options, { session_token: 'token' });

      const stored = await store.database.selectFrom('provider_keys').select('encrypted_value').where('id', '=', key.id).executeTakeFirstOrThrow();
      assert.match(stored.encrypted_value, /^v1:/);
      assert.ok(!stored.encrypted_value.includes('sk-azure'));

      const updated = await store.providers.updateKey(key.id, { value: 'sk-azure-rotated-0123456789', weight: 1 });
      assert.equal(updated.value.reveal(), 'sk-azure-rotated-0123456789');
      const changed = await store.providers.update(provider.id, { baseUrl: null, maxOutputTokens: null, headers: {} });
      assert.equal(changed.baseUrl, undefined);
      assert.equal(changed.maxOutputTokens, undefined);
      assert.deepEqual(changed.headers, {});
      assert.equal((await store.providers.list()).length, 1);
      await store.providers.delete(provider.id);
      assert.equal(await store.providers.getKey(key.id), undefined, 'keys go with their provider');
    });

    it('keeps budgets, one per owner and period, checking owner, period and limit', async () => {
      const customer = await store.customers.create({ name: 'budget-customer' });
      const owner = { type: 'customer' as const, id: customer.id };
      const budget = await store.budgets.create({ owner, limitUsd: 50, period: '1M' });
      assert.equal(budget.alignment, 'calendar');
      assert.equal(budget.anchorAt, time);
      await assert.rejects(store.budgets.create({ owner, limitUsd: 10, period: '1M', alignment: 'rolling' }), ConflictStorageError);
      await assert.rejects(store.budgets.create({ owner: { type: 'team', id: randomUUID() }, limitUsd: 1, period: '1d' }), NotFoundStorageError);
      await assert.rejects(store.budgets.create({ owner, limitUsd: -1, period: '1d' }), InvalidValueStorageError);
      await assert.rejects(store.budgets.create({ owner, limitUsd: 1, period: '2d' as '1d' }), InvalidValueStorageError);
      const daily = await store.budgets.create({ owner, limitUsd: 5, period: '1d', alignment: 'rolling' });
      assert.deepEqual((await store.budgets.listForOwners([owner])).map((item) => item.period).sort(), ['1M', '1d']);
      assert.equal((await store.budgets.update(budget.id, { limitUsd: 75 })).limitUsd, 75);
      time += 10_000;
      assert.equal((await store.budgets.reset(daily.id)).anchorAt, time);
      await store.budgets.delete(daily.id);
      await assert.rejects(store.budgets.delete(daily.id), NotFoundStorageError);
    });

    it('keeps rate limits, one per owner, provider scope and window', async () => {
      const team = await store.teams.create({ name: 'rate-team' });
      const owner = { type: 'team' as const, id: team.id };
      const limit = await store.rateLimits.create({ owner, window: '1m', maxRequests: 60, maxTokens: 100_000 });
      assert.equal(limit.provider, '*');
      assert.equal(limit.windowMs, 60_000);
      const scoped = await store.rateLimits.create({ owner, provider: 'openai', window: '1m', maxRequests: 10 });
      assert.equal(scoped.maxTokens, undefined);
      await assert.rejects(store.rateLimits.create({ owner, window: '1m', maxRequests: 1 }), ConflictStorageError);
      await assert.rejects(store.rateLimits.create({ owner, window: '1 minute', maxRequests: 1 }), InvalidValueStorageError);
      await assert.rejects(store.rateLimits.create({ owner, window: '1h' }), InvalidValueStorageError);
      await assert.rejects(store.rateLimits.create({ owner, window: '1h', maxRequests: 0.5 }), InvalidValueStorageError);
      const updated = await store.rateLimits.update(limit.id, { maxTokens: null, maxRequests: 30 });
      assert.equal(updated.maxTokens, undefined);
      assert.equal(updated.maxRequests, 30);
      await assert.rejects(store.rateLimits.update(scoped.id, { maxRequests: null }), InvalidValueStorageError);
      assert.equal((await store.rateLimits.listForOwners([owner])).length, 2);
    });

    it('records usage in batches and sums cost by owner and time window exactly', async () => {
      const keyId = randomUUID();
      const teamId = randomUUID();
      const records = Array.from({ length: 1_200 }, (_, index) =>
        usageRecord({ createdAt: 10_000 + index, virtualKeyId: keyId, teamId: index % 2 === 0 ? teamId : undefined, costMicroUsd: 1_000_001 }),
      );
      await store.usage.insertMany(records);
      assert.equal(await store.usage.sumCostMicroUsd({ type: 'virtual_key', id: keyId }, 0, Number.MAX_SAFE_INTEGER), 1_200 * 1_000_001);
      assert.equal(await store.usage.sumCostMicroUsd({ type: 'team', id: teamId }, 10_000, 10_100), 50 * 1_000_001);
      assert.equal(await store.usage.sumCostMicroUsd({ type: 'customer', id: randomUUID() }, 0, Number.MAX_SAFE_INTEGER), 0);
      const totals = await store.usage.totals({ owner: { type: 'virtual_key', id: keyId }, fromMs: 10_000, toMs: 10_010 });
      assert.deepEqual(totals, { requests: 10, inputTokens: 100, outputTokens: 50, cacheReadTokens: 0, cacheWriteTokens: 0, costMicroUsd: 10 * 1_000_001 });
    });

    it('keeps seed hashes and settings', async () => {
      assert.equal(await store.seedState.getHash('customer', 'x'), undefined);
      await store.seedState.setHash('customer', 'x', 'h1', 1);
      await store.seedState.setHash('customer', 'x', 'h2', 2);
      assert.equal(await store.seedState.getHash('customer', 'x'), 'h2');
      assert.equal(await store.settings.setIfAbsent('example', 'first'), 'first');
      assert.equal(await store.settings.setIfAbsent('example', 'second'), 'first');
    });
  });
}
