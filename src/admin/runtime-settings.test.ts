import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { DEFAULT_GOVERNANCE_SETTINGS, type GovernanceSettings } from '../governance/governance-service.js';
import { LocalChangeNotifier } from '../storage/counters/change-notifier.js';
import { InvalidRuntimeSettingError, RuntimeSettings } from './runtime-settings.js';

/** The `gateway_settings` table as a map (what two replicas share). */
function sharedRepository(initial: Record<string, unknown> = {}) {
  const rows = new Map<string, unknown>(Object.entries(initial));
  return {
    rows,
    list: async () => Object.fromEntries(rows),
    apply: async (changes: Readonly<Record<string, unknown>>) => {
      for (const [name, value] of Object.entries(changes)) {
        if (value === null) rows.delete(name);
        else if (value !== undefined) rows.set(name, value);
      }
    },
  };
}

function replica(repository: ReturnType<typeof sharedRepository>, notifier: LocalChangeNotifier, log: string[] = []) {
  const gateway = buildGatewaySettings({ providers: {}, server: { cors: { allowed_origins: ['https://a.example'], allowed_headers: ['X-One'] } }, logging: { retention_days: 14 } }, {});
  const governance: GovernanceSettings = { ...DEFAULT_GOVERNANCE_SETTINGS };
  const settings = new RuntimeSettings({ targets: { gateway, governance }, repository, notifier, log: (line) => log.push(line) });
  return { gateway, governance, settings };
}

describe('RuntimeSettings', () => {
  it("reads the config's values from the running objects and shows them as such", async () => {
    const { settings } = replica(sharedRepository(), new LocalChangeNotifier());
    await settings.load();
    const view = settings.view();
    assert.deepEqual(view.settings, {
      cors_allowed_origins: ['https://a.example'],
      cors_allowed_headers: ['x-one'],
      enforce_auth_on_inference: false,
      request_logging: true,
      log_content: true,
      log_retention_days: 14,
    });
    assert.ok(Object.values(view.sources).every((source) => source === 'config'));
    assert.ok(view.default_cors_headers.includes('x-api-key'));
  });

  it('applies a change to the running objects, and on another replica after the change notification', async () => {
    const repository = sharedRepository();
    const notifier = new LocalChangeNotifier();
    const first = replica(repository, notifier);
    const second = replica(repository, notifier);
    await first.settings.load();
    await second.settings.load();
    second.settings.watch();

    const view = await first.settings.update({ enforce_auth_on_inference: true, cors_allowed_headers: ['X-Team', 'x-team'], request_logging: false });
    assert.equal(view.sources.enforce_auth_on_inference, 'api');
    assert.equal(first.governance.enforceAuthOnInference, true);
    assert.deepEqual(first.gateway.cors.allowedHeaders, ['content-type', 'authorization', 'x-requested-with', 'x-stainless-timeout', 'x-api-key', 'x-team']);
    assert.equal(first.gateway.observability?.logging.enabled, false);
    assert.deepEqual(repository.rows.get('cors_allowed_headers'), ['x-team']);

    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(second.governance.enforceAuthOnInference, true);
    assert.equal(second.gateway.observability?.logging.enabled, false);

    await first.settings.update({ enforce_auth_on_inference: null, request_logging: null });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(first.governance.enforceAuthOnInference, false);
    assert.equal(second.governance.enforceAuthOnInference, false);
    assert.equal(second.gateway.observability?.logging.enabled, true);
    second.settings.close();
  });

  it('refuses a bad value naming the setting and saves nothing; ignores a bad stored value with a warning', async () => {
    const repository = sharedRepository({ log_retention_days: 'forever', enforce_auth_on_inference: true, retired_setting: 1 });
    const log: string[] = [];
    const { settings, governance, gateway } = replica(repository, new LocalChangeNotifier(), log);
    await settings.load();
    assert.equal(governance.enforceAuthOnInference, true);
    assert.equal(gateway.observability?.logging.retentionDays, 14);
    assert.equal(log.length, 2);
    assert.match(log.join('\n'), /log_retention_days' is ignored/);

    await assert.rejects(settings.update({ cors_allowed_origins: ['https://ok.example', 'not an origin'], log_retention_days: 3 }), (error: unknown) => error instanceof InvalidRuntimeSettingError && error.setting === 'cors_allowed_origins');
    assert.equal(repository.rows.has('cors_allowed_origins'), false);
    assert.equal(repository.rows.get('log_retention_days'), 'forever');
  });

  it('runs the purge at once when the retention gets shorter', async () => {
    const { settings } = replica(sharedRepository(), new LocalChangeNotifier());
    await settings.load();
    let purges = 0;
    settings.purgeLog = async () => {
      purges += 1;
    };
    await settings.update({ log_retention_days: 30 });
    assert.equal(purges, 0);
    await settings.update({ log_retention_days: 7 });
    assert.equal(purges, 1);
  });
});
