import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings, providerConfigsFromEnvironment } from '../../config/gateway-settings.js';
import { providerRegistry } from '../registry.js';

describe('gemini and vertex provider kinds', () => {
  it('are registered', () => {
    assert.equal(providerRegistry.get('gemini')?.defaultBaseUrl, 'https://generativelanguage.googleapis.com/v1beta');
    assert.equal(providerRegistry.get('vertex')?.requiresKey, false);
  });

  it('start from GEMINI_API_KEY, or else GOOGLE_API_KEY, without a config file', () => {
    assert.deepEqual(providerConfigsFromEnvironment({ GOOGLE_API_KEY: 'g' }).gemini, { keys: [{ value: 'env.GOOGLE_API_KEY' }] });
    assert.deepEqual(providerConfigsFromEnvironment({ GOOGLE_API_KEY: 'g', GEMINI_API_KEY: 'k' }).gemini, { keys: [{ value: 'env.GEMINI_API_KEY' }] });
    assert.equal(providerConfigsFromEnvironment({}).gemini, undefined);
  });

  it('read the Vertex project, location and credentials from the config', () => {
    const settings = buildGatewaySettings(
      { providers: { vertex: { region: 'us-east5', google_cloud: { project: 'p', credentials: 'env.SA_JSON' } } } },
      { SA_JSON: '{"type":"service_account"}' },
    );
    const vertex = settings.providers.get('vertex');
    assert.equal(vertex?.region, 'us-east5');
    assert.deepEqual(vertex?.googleCloud, { project: 'p', credentialsFile: undefined, credentialsJson: '{"type":"service_account"}' });
    assert.equal(vertex?.baseUrl, 'https://aiplatform.googleapis.com');
  });
});
