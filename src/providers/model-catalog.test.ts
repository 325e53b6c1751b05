import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DroppedFieldLog } from '../core/dropped-fields.js';
import type { GatewayRequest } from '../core/gateway-request.js';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { clampOutputTokens, modelOutputTokenLimit } from './model-catalog.js';

const providers = buildGatewaySettings(
  { providers: { openai: { keys: [{ value: 'k' }] }, capped: { type: 'openai', keys: [{ value: 'k' }], max_output_tokens: 1000 } } },
  {},
).providers;

function request(model: string, maxOutputTokens: number): GatewayRequest {
  return { model, system: [], messages: [], tools: [], maxOutputTokens, stream: true };
}

it('knows output limits of catalogued models and nothing of unknown ones', () => {
  assert.equal(modelOutputTokenLimit('openai', 'gpt-4.1'), 32768);
  assert.equal(modelOutputTokenLimit('openai', 'no-such-model'), undefined);
  assert.equal(modelOutputTokenLimit('ollama', 'llama3'), undefined);
});

it("lowers Claude Code's 64,000 max_tokens to the model's limit and records it", () => {
  const dropped = new DroppedFieldLog();
  const gpt41 = request('gpt-4.1', 64000);
  const openai = providers.get('openai');
  assert.ok(openai);
  clampOutputTokens(gpt41, openai, dropped);
  assert.equal(gpt41.maxOutputTokens, 32768);
  assert.deepEqual(
    dropped.entries.map((entry) => entry.field),
    ['max_tokens'],
  );
  const small = request('gpt-4.1', 500);
  clampOutputTokens(small, openai, dropped);
  assert.equal(small.maxOutputTokens, 500);
});

it('applies the instance cap to models the catalog does not know', () => {
  const capped = providers.get('capped');
  assert.ok(capped);
  const unknown = request('custom-model', 64000);
  clampOutputTokens(unknown, capped, new DroppedFieldLog());
  assert.equal(unknown.maxOutputTokens, 1000);
});
