import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HeimdallConfig } from '../config/config-schema.js';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { ConfigError, validateConfigObject } from '../config/load-config.js';
import { openHeimdallStore, type HeimdallStore } from '../storage/heimdall-store.js';
import { createScratchPostgresDatabase, skipWithoutPostgres } from '../testing/services.js';
import { seedStoreFromConfig, type SeedAction } from './seed-from-config.js';
import { startGovernance } from './start-governance.js';

const CI_KEY = `hk-${'c'.repeat(40)}`;
const ADMIN_KEY = `hk-${'a'.repeat(40)}`;

function baseConfig(): HeimdallConfig {
  return validateConfigObject(
    {
      providers: {
        openai: {
          keys: [
            { name: 'openai-main', value: 'env.TEST_OPENAI_KEY', weight: 2, models: ['gpt-*'] },
            { value: 'sk-inline-second-key-0123456789' },
          ],
          headers: { 'OpenAI-Organization': 'org-123' },
          timeouts: { connect_ms: 2_000 },
        },
      },
      governance: {
        customers: { acme: { budgets: [{ limit_usd: 1_000, period: '1M' }] } },
        teams: {
          platform: { customer: 'acme', budgets: [{ limit_usd: 100, period: '1w', alignment: 'rolling' }], rate_limits: [{ requests: 600, window: '1m' }] },
        },
        virtual_keys: {
          ci: {
            value: 'env.TEST_CI_KEY',
            team: 'platform',
            allowed_models: ['openai/gpt-4o*'],
            allowed_provider_keys: ['openai-main'],
            fallbacks: ['openai/gpt-4o-mini'],
            expires_at: '2030-01-01T00:00:00Z',
            budgets: [{ limit_usd: 5, period: '1d' }],
            rate_limits: [{ requests: 60, tokens: 100_000, window: '1m', provider: 'openai' }],
          },
          admin: { value: ADMIN_KEY, customer: 'acme', log_content: true },
        },
      },
    },
    'test config',
  );
}

const environment = { TEST_OPENAI_KEY: 'sk-from-environment-0123456789', TEST_CI_KEY: CI_KEY };

function byEntity(actions: SeedAction[]): Record<string, string> {
  return Object.fromEntries(actions.map((action) => [`${action.entity}:${action.name}`, action.action]));
}

const backends = [
  { name: 'SQLite', skip: false as false | string },
  { name: 'PostgreSQL', skip: await skipWithoutPostgres() },
];

for (const backend of backends) {
  describe(`seeding the store from the config on ${backend.name}`, { skip: backend.skip }, () => {
    let store: HeimdallStore;
    let cleanup: () => Promise<void>;
    const key = randomBytes(32);
    let url: string | undefined;
    let appDirectory: string;

    before(async () => {
      appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-seed-'));
      let drop = async (): Promise<void> => {};
      if (backend.name === 'PostgreSQL') {
        const scratch = await createScratchPostgresDatabase();
        url = scratch.url;
        drop = scratch.drop;
      }
      store = await openHeimdallStore({ url, appDirectory, encryptionKey: key });
      cleanup = async () => {
        await store.close();
        await drop();
        rmSync(appDirectory, { recursive: true, force: true });
      };
    });
    after(async () => cleanup?.());

    it('creates every entry on first start, resolving env.NAME secrets', async () => {
      const actions = await seedStoreFromConfig(store, baseConfig(), environment);
      assert.deepEqual(byEntity(actions), {
        'provider:openai': 'created',
        'customer:acme': 'created',
        'team:platform': 'created',
        'virtual_key:ci': 'created',
        'virtual_key:admin': 'created',
      });
      const openai = await store.providers.findByName('openai');
      assert.deepEqual(
        openai?.keys.map((item) => [item.name, item.value.reveal(), item.weight, item.models]),
        [
          ['openai-key-2', 'sk-inline-second-key-0123456789', 1, ['*']],
          ['openai-main', 'sk-from-environment-0123456789', 2, ['gpt-*']],
        ],
      );
      assert.equal(openai?.headers['openai-organization'].reveal(), 'org-123');
      assert.equal(openai?.timeouts.connectMs, 2_000);
      const team = await store.teams.findByName('platform');
      const ci = await store.virtualKeys.findByName('ci');
      assert.equal(ci?.teamId, team?.id);
      assert.equal(ci?.keyPrefix, 'hk-cccc');
      assert.equal(ci?.expiresAt, Date.parse('2030-01-01T00:00:00Z'));
      assert.deepEqual(ci?.allowedProviderKeys, ['openai-main']);
      assert.deepEqual(ci?.fallbacks, ['openai/gpt-4o-mini']);
      assert.deepEqual((await store.virtualKeys.findByName('admin'))?.fallbacks, [], 'no chain unless the config gives one');
      const ciLimits = await store.rateLimits.listForOwners([{ type: 'virtual_key', id: ci?.id ?? '' }]);
      assert.deepEqual(
        ciLimits.map((limit) => [limit.provider, limit.window, limit.maxRequests, limit.maxTokens]),
        [['openai', '1m', 60, 100_000]],
      );
      const admin = await store.virtualKeys.findByName('admin');
      assert.equal(admin?.customerId, (await store.customers.findByName('acme'))?.id);
      assert.equal(admin?.logContent, true);
    });

    it('leaves unchanged entries alone, so edits made in the store survive a restart', async () => {
      const team = await store.teams.findByName('platform');
      const [teamBudget] = await store.budgets.listForOwners([{ type: 'team', id: team?.id ?? '' }]);
      await store.budgets.update(teamBudget.id, { limitUsd: 250 }); // the admin API raised it
      const actions = await seedStoreFromConfig(store, baseConfig(), environment);
      assert.ok(actions.every((action) => action.action === 'unchanged'), JSON.stringify(actions));
      assert.equal((await store.budgets.get(teamBudget.id))?.limitUsd, 250);
    });

    it('upserts an entry changed in the file: the file wins for it, by name, keeping ids', async () => {
      const config = baseConfig();
      const governance = config.governance ?? {};
      const teams = governance.teams ?? {};
      teams.platform = { customer: 'acme', budgets: [{ limit_usd: 120, period: '1w', alignment: 'rolling' }, { limit_usd: 10, period: '1d' }] };
      const teamBefore = await store.teams.findByName('platform');
      const actions = await seedStoreFromConfig(store, config, environment);
      assert.equal(byEntity(actions)['team:platform'], 'updated');
      assert.equal(byEntity(actions)['customer:acme'], 'unchanged');
      const teamAfter = await store.teams.findByName('platform');
      assert.equal(teamAfter?.id, teamBefore?.id);
      const budgets = await store.budgets.listForOwners([{ type: 'team', id: teamAfter?.id ?? '' }]);
      assert.deepEqual(budgets.map((budget) => [budget.period, budget.limitUsd]).sort(), [
        ['1d', 10],
        ['1w', 120],
      ]);
      assert.deepEqual(await store.rateLimits.listForOwners([{ type: 'team', id: teamAfter?.id ?? '' }]), [], 'limits removed from the file are removed');

      const keys = config.governance?.virtual_keys ?? {};
      keys.ci = { ...keys.ci, value: keys.ci?.value ?? '', fallbacks: ['openai/gpt-4o', 'openai/gpt-4o-mini'] };
      assert.equal(byEntity(await seedStoreFromConfig(store, config, environment))['virtual_key:ci'], 'updated');
      assert.deepEqual((await store.virtualKeys.findByName('ci'))?.fallbacks, ['openai/gpt-4o', 'openai/gpt-4o-mini'], 'a chain changed in the file is seeded again');
    });

    it('treats a changed environment variable as a change, and rotates a key whose value changed', async () => {
      const providerBefore = await store.providers.findByName('openai');
      const rotatedKey = `hk-${'r'.repeat(40)}`;
      const actions = await seedStoreFromConfig(store, baseConfig(), { TEST_OPENAI_KEY: 'sk-rotated-in-environment-0123', TEST_CI_KEY: rotatedKey });
      assert.equal(byEntity(actions)['provider:openai'], 'updated');
      assert.equal(byEntity(actions)['virtual_key:ci'], 'updated');
      const providerAfter = await store.providers.findByName('openai');
      assert.equal(providerAfter?.id, providerBefore?.id);
      const main = providerAfter?.keys.find((item) => item.name === 'openai-main');
      assert.equal(main?.value.reveal(), 'sk-rotated-in-environment-0123');
      assert.equal(main?.id, providerBefore?.keys.find((item) => item.name === 'openai-main')?.id);
      assert.equal((await store.virtualKeys.findByName('ci'))?.keyPrefix, 'hk-rrrr');
    });

    it('refuses bad entries with a ConfigError naming the field, writing nothing and never echoing a secret', async () => {
      const unknownTeam = baseConfig();
      (unknownTeam.governance?.virtual_keys ?? {}).ci.team = 'nope';
      (unknownTeam.governance?.customers ?? {}).acme = { budgets: [{ limit_usd: 2_000, period: '1M' }] };
      await assert.rejects(seedStoreFromConfig(store, unknownTeam, environment), (error: unknown) => {
        return error instanceof ConfigError && error.message === "governance.virtual_keys.ci.team: no team named 'nope'";
      });
      const acme = await store.customers.findByName('acme');
      assert.equal((await store.budgets.listForOwners([{ type: 'customer', id: acme?.id ?? '' }]))[0].limitUsd, 1_000, 'rolled back');

      const malformed = baseConfig();
      (malformed.governance?.virtual_keys ?? {}).admin.value = 'not-a-virtual-key-secret-value';
      await assert.rejects(seedStoreFromConfig(store, malformed, environment), (error: unknown) => {
        return error instanceof ConfigError && error.message.startsWith('governance.virtual_keys.admin.value:') && !error.message.includes('not-a-virtual-key-secret');
      });
      await assert.rejects(seedStoreFromConfig(store, baseConfig(), { TEST_CI_KEY: CI_KEY }), /providers\.openai\.keys\.0\.value: environment variable TEST_OPENAI_KEY is not set/);
      const duplicate = baseConfig();
      (duplicate.governance?.customers ?? {}).acme = {
        budgets: [
          { limit_usd: 1, period: '1d' },
          { limit_usd: 2, period: '1d' },
        ],
      };
      await assert.rejects(seedStoreFromConfig(store, duplicate, environment), /governance\.customers\.acme\.budgets: two budgets with period 1d/);
    });

    if (backend.name === 'PostgreSQL') {
      it('seeds once when replicas start together (advisory lock)', async () => {
        const replicas = await Promise.all([1, 2, 3].map(() => openHeimdallStore({ url, appDirectory, encryptionKey: key })));
        try {
          const config = baseConfig();
          const customers = config.governance?.customers ?? {};
          customers['together-co'] = { budgets: [{ limit_usd: 1, period: '1d' }] };
          const results = await Promise.all(replicas.map((replica) => seedStoreFromConfig(replica, config, environment)));
          const created = results.flat().filter((action) => action.name === 'together-co' && action.action === 'created');
          assert.equal(created.length, 1);
          assert.equal((await store.customers.list()).filter((customer) => customer.name === 'together-co').length, 1);
        } finally {
          for (const replica of replicas) await replica.close();
        }
      });
    }
  });
}

describe('startGovernance', () => {
  it('starts on SQLite in the app directory with zero setup, seeds, authenticates a configured key, and hands providers back as config', async () => {
    const appDirectory = mkdtempSync(join(tmpdir(), 'heimdall-start-'));
    try {
      const config = baseConfig();
      config.pricing = { 'openai/gpt-test': { input_per_mtok: 1, output_per_mtok: 2 } };
      const governance = await startGovernance({ config, appDirectory, environment, log: () => undefined });
      try {
        assert.equal(governance.store.backend, 'sqlite');
        assert.equal(governance.store.location, join(appDirectory, 'heimdall.db'));
        assert.equal(governance.encryptionKeySource, 'generated');
        assert.equal(governance.counters.kind, 'memory');
        assert.match(governance.description, /^sqlite .+heimdall\.db; counters in memory/);
        const context = await governance.service.authenticateRequest({ authorization: `Bearer ${CI_KEY}` });
        assert.equal(context?.virtualKey.name, 'ci');
        assert.equal(context?.team?.name, 'platform');
        assert.equal(context?.customer?.name, 'acme');
        const cost = governance.costs.cost({ provider: 'openai', providerKind: 'openai', model: 'gpt-test' }, { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 0, cacheWriteTokens: 0 });
        assert.equal(cost.costUsd, 3);

        const providers = await governance.storedProviderConfigs();
        assert.equal(providers.openai.keys?.find((item) => item.name === 'openai-main')?.value, 'sk-from-environment-0123456789');
        const settings = buildGatewaySettings({ providers }, {});
        assert.deepEqual(
          settings.providers.get('openai')?.keys.map((item) => item.id).sort(),
          ['openai-key-2', 'openai-main'],
        );
      } finally {
        await governance.close();
      }
      const again = await startGovernance({ config, appDirectory, environment, log: () => undefined });
      try {
        assert.equal(again.encryptionKeySource, 'file');
        assert.ok(again.seedActions.every((action) => action.action === 'unchanged'));
      } finally {
        await again.close();
      }
    } finally {
      rmSync(appDirectory, { recursive: true, force: true });
    }
  });
});
