import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../core/errors.js';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { matchesModelPattern } from './match-model-pattern.js';
import { selectProviderKey } from './select-provider-key.js';

/** A deterministic [0,1) generator (mulberry32) so weighted draws are reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let value = Math.imul(state ^ (state >>> 15), 1 | state);
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value;
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

const settings = buildGatewaySettings(
  {
    providers: {
      openai: {
        keys: [
          { name: 'heavy', value: 'sk-1', weight: 3 },
          { name: 'light', value: 'sk-2', weight: 1 },
          { name: 'mini-only', value: 'sk-3', weight: 10, models: ['gpt-5-mini', 'gpt-4*-nano'] },
        ],
      },
    },
  },
  {},
);

describe('matchesModelPattern', () => {
  it('matches exact names, * and globs', () => {
    assert.ok(matchesModelPattern('*', 'anything'));
    assert.ok(matchesModelPattern('gpt-5', 'gpt-5'));
    assert.ok(!matchesModelPattern('gpt-5', 'gpt-5-mini'));
    assert.ok(matchesModelPattern('gpt-5*', 'gpt-5-mini'));
    assert.ok(matchesModelPattern('*-mini', 'gpt-5-mini'));
    assert.ok(matchesModelPattern('claude-*-4-6', 'claude-sonnet-4-6'));
    assert.ok(!matchesModelPattern('claude-*-4-6', 'claude-sonnet-4-5'));
    assert.ok(!matchesModelPattern('a*a', 'a'));
  });
});

describe('selectProviderKey', () => {
  const openai = settings.providers.get('openai');
  assert.ok(openai);

  it('splits traffic by weight among keys allowing the model (seeded, 20,000 draws)', () => {
    const random = seededRandom(42);
    const counts = new Map<string, number>();
    const draws = 20_000;
    for (let index = 0; index < draws; index += 1) {
      const key = selectProviderKey(openai, 'gpt-5', random);
      assert.ok(key);
      counts.set(key.id, (counts.get(key.id) ?? 0) + 1);
    }
    assert.equal(counts.get('mini-only'), undefined, 'a key that does not allow the model is never chosen');
    const heavyShare = (counts.get('heavy') ?? 0) / draws;
    assert.ok(Math.abs(heavyShare - 0.75) < 0.02, `heavy share ${heavyShare} should be 0.75 ± 0.02`);
  });

  it('includes restricted keys for the models they allow', () => {
    const random = seededRandom(7);
    const ids = new Set<string>();
    for (let index = 0; index < 1000; index += 1) ids.add(selectProviderKey(openai, 'gpt-5-mini', random)?.id ?? '');
    assert.deepEqual([...ids].sort(), ['heavy', 'light', 'mini-only']);
  });

  it('refuses a model no key allows, naming what the keys allow', () => {
    const restricted = buildGatewaySettings({ providers: { groq: { keys: [{ value: 'k', models: ['llama-*'] }] } } }, {}).providers.get('groq');
    assert.ok(restricted);
    assert.throws(
      () => selectProviderKey(restricted, 'mixtral'),
      (error: unknown) => error instanceof GatewayError && error.status === 400 && error.message.includes("allow llama-*"),
    );
  });
});
