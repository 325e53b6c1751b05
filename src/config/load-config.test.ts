import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildGatewaySettings, providerConfigsFromEnvironment } from './gateway-settings.js';
import { ConfigError, loadConfigFile, validateConfigObject } from './load-config.js';

function writeConfig(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'heimdall-config-')), 'config.json');
  writeFileSync(path, content);
  return path;
}

function assertConfigError(action: () => unknown, fragment: string): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.ok(error.message.includes(fragment), `"${error.message}" should include "${fragment}"`);
    return true;
  });
}

describe('config loading', () => {
  it('loads a valid file and resolves env.NAME secrets', () => {
    const path = writeConfig(
      JSON.stringify({
        server: { port: 9000, cors: { allowed_headers: ['X-Custom'] } },
        providers: {
          anthropic: { keys: [{ value: 'env.TEST_ANTHROPIC_KEY', weight: 2 }], headers: { 'X-Extra': 'env.TEST_HEADER' } },
        },
      }),
    );
    const settings = buildGatewaySettings(loadConfigFile(path), { TEST_ANTHROPIC_KEY: 'sk-secret', TEST_HEADER: 'h' });
    assert.equal(settings.port, 9000);
    const anthropic = settings.providers.get('anthropic');
    assert.equal(anthropic?.keys[0].value, 'sk-secret');
    assert.equal(anthropic?.keys[0].weight, 2);
    assert.deepEqual(anthropic?.keys[0].models, ['*']);
    assert.equal(anthropic?.headers['x-extra'], 'h');
    assert.equal(anthropic?.baseUrl, 'https://api.anthropic.com');
    const allowedHeaders = settings.cors.allowedHeaders;
    assert.ok(allowedHeaders !== '*');
    assert.ok(allowedHeaders.includes('x-custom'));
    assert.ok(allowedHeaders.includes('x-stainless-timeout'));
  });

  it('names the bad field', () => {
    assertConfigError(() => validateConfigObject({ providers: { openai: { keys: [{ value: 'k', weight: 0 }] } } }, 'test'), 'providers.openai.keys.0.weight');
    assertConfigError(() => validateConfigObject({ providers: { openai: { kyes: [] } } }, 'test'), 'providers.openai.kyes: unknown field');
    assertConfigError(() => validateConfigObject({ server: { port: 'x' } }, 'test'), 'server.port: must be integer');
    assertConfigError(() => loadConfigFile(writeConfig('{ not json')), 'is not valid JSON');
    assertConfigError(() => buildGatewaySettings({ providers: { openai: { type: 'nope', keys: [] } } }, {}), "providers.openai.type: unknown provider kind 'nope'");
    assertConfigError(
      () => buildGatewaySettings({ providers: { anthropic: { keys: [{ value: 'env.MISSING_KEY_VAR' }] } } }, {}),
      'providers.anthropic.keys.0.value: environment variable MISSING_KEY_VAR is not set',
    );
  });

  it('sets providers up from the standard environment variables when there is no config', () => {
    const configs = providerConfigsFromEnvironment({ ANTHROPIC_API_KEY: 'sk-ant' });
    assert.deepEqual(configs.anthropic, { keys: [{ value: 'env.ANTHROPIC_API_KEY' }] });
    const settings = buildGatewaySettings({}, { ANTHROPIC_API_KEY: 'sk-ant' });
    assert.equal(settings.providers.get('anthropic')?.keys[0].value, 'sk-ant');
    assert.equal(settings.port, 8080);
    assert.equal(settings.host, '127.0.0.1');
  });

  it('always offers Anthropic, forwarding the caller credential when no key is set', () => {
    const settings = buildGatewaySettings({}, {});
    assert.deepEqual(settings.providers.get('anthropic')?.keys, []);
  });
});
