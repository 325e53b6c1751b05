import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.js';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { resolveModel } from './resolve-model.js';

const providers = buildGatewaySettings(
  {
    providers: {
      anthropic: { keys: [{ value: 'sk-ant' }], models: ['claude-sonnet-4-6'] },
      'local-llama': { type: 'anthropic', base_url: 'http://127.0.0.1:9', models: ['llama-local'] },
    },
  },
  {},
).providers;

function assertRefused(model: string, fragment: string): void {
  assert.throws(
    () => resolveModel(model, providers),
    (error: unknown) => error instanceof GatewayError && error.status === 400 && error.message.includes(fragment),
  );
}

describe('resolveModel', () => {
  it('selects the provider named by the prefix and keeps slashes in the model', () => {
    assert.deepEqual(
      (({ instance, model }) => [instance.name, model])(resolveModel('local-llama/org/model-7b', providers)),
      ['local-llama', 'org/model-7b'],
    );
  });

  it('sends bare claude-* names to Anthropic', () => {
    const target = resolveModel('claude-opus-4-8', providers);
    assert.equal(target.instance.name, 'anthropic');
    assert.equal(target.model, 'claude-opus-4-8');
  });

  it('finds bare names in configured model lists', () => {
    assert.equal(resolveModel('llama-local', providers).instance.name, 'local-llama');
  });

  it('refuses unknown providers and models, naming what is configured', () => {
    assertRefused('openai/gpt-5', "provider 'openai' is not configured; configured providers: anthropic (claude-sonnet-4-6), local-llama (llama-local)");
    assertRefused('gpt-5', "unknown model 'gpt-5'");
    assertRefused('anthropic/', 'names no model');
  });
});
