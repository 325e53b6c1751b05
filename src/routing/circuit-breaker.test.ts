import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { seededRandom } from '../testing/seeded-random.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { ProviderHealth } from './provider-health.js';
import { TargetUnavailableError } from './retry-policy.js';

/** A clock the test moves by hand, ms. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, lets one probe through after the cool-down, and closes on success', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 10_000 }, clock.now);
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    assert.equal(breaker.snapshot().state, 'closed', 'a success in between resets the count');
    breaker.recordFailure();
    assert.equal(breaker.snapshot().state, 'open');
    assert.equal(breaker.acquire(), false);
    clock.advance(9_999);
    assert.equal(breaker.acquire(), false, 'still cooling down');
    clock.advance(1);
    assert.equal(breaker.acquire(), true, 'the probe');
    assert.equal(breaker.snapshot().state, 'half-open');
    assert.equal(breaker.acquire(), false, 'only one probe at a time');
    breaker.recordSuccess();
    assert.equal(breaker.snapshot().state, 'closed');
    assert.equal(breaker.acquire(), true);
  });

  it('a failed probe opens the circuit for another cool-down; a released probe lets the next request probe', () => {
    const clock = manualClock();
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 1_000 }, clock.now);
    breaker.recordFailure();
    clock.advance(1_000);
    assert.equal(breaker.acquire(), true);
    breaker.recordFailure();
    assert.equal(breaker.snapshot().state, 'open');
    assert.equal(breaker.acquire(), false);
    clock.advance(1_000);
    assert.equal(breaker.acquire(), true);
    breaker.release();
    assert.equal(breaker.acquire(), true, 'the released probe slot is free again');
  });
});

describe('ProviderHealth', () => {
  const openai = buildGatewaySettings(
    { providers: { openai: { keys: [{ name: 'a', value: 'sk-a', weight: 1 }, { name: 'b', value: 'sk-b', weight: 1 }, { name: 'mini', value: 'sk-m', models: ['gpt-5-mini'] }] } } },
    {},
  ).providers.get('openai');
  assert.ok(openai);

  it('skips a failing key after N failures, keeps the weighted split among the rest, and probes it back in', () => {
    const clock = manualClock();
    const health = new ProviderHealth({ failureThreshold: 2, cooldownMs: 5_000 }, clock.now);
    const random = seededRandom(9);
    const keyA = openai.keys[0];
    health.breakerFor(openai, keyA).recordFailure();
    health.breakerFor(openai, keyA).recordFailure();
    const chosen = new Set<string>();
    for (let draw = 0; draw < 200; draw += 1) {
      const selection = health.selectKey(openai, 'gpt-5', { random });
      assert.equal(selection.kind, 'selected');
      if (selection.kind === 'selected') chosen.add(selection.key?.id ?? '');
    }
    assert.deepEqual([...chosen], ['b'], 'the open key is out of rotation; the mini key does not allow gpt-5');
    clock.advance(5_000);
    const probe = health.selectKey(openai, 'gpt-5', { pinnedKeyId: 'a', random });
    assert.deepEqual(probe.kind === 'selected' ? probe.key?.id : undefined, 'a', 'after the cool-down key a is probed');
    health.breakerFor(openai, keyA).recordSuccess();
    const counts = new Map<string, number>();
    for (let draw = 0; draw < 4_000; draw += 1) {
      const selection = health.selectKey(openai, 'gpt-5', { random });
      if (selection.kind === 'selected') counts.set(selection.key?.id ?? '', (counts.get(selection.key?.id ?? '') ?? 0) + 1);
    }
    const share = (counts.get('a') ?? 0) / 4_000;
    assert.ok(Math.abs(share - 0.5) < 0.03, `key a is back in the weighted rotation (share ${share})`);
  });

  it('reports a target with every key out of rotation, and refuses a model no key allows', () => {
    const health = new ProviderHealth({ failureThreshold: 1, cooldownMs: 60_000 }, manualClock().now);
    for (const key of openai.keys) health.breakerFor(openai, key).recordFailure();
    assert.equal(health.isAvailable(openai, 'gpt-5'), false);
    assert.deepEqual(health.selectKey(openai, 'gpt-5'), { kind: 'unavailable' });
    assert.equal(health.selectKey(openai, 'gpt-5', { ignoreHealth: true }).kind, 'selected', 'fail-open when asked');
    const restricted = buildGatewaySettings({ providers: { groq: { keys: [{ value: 'k', models: ['llama-*'] }] } } }, {}).providers.get('groq');
    assert.ok(restricted);
    assert.throws(() => new ProviderHealth({ failureThreshold: 1, cooldownMs: 1 }).selectKey(restricted, 'gpt-5'), TargetUnavailableError);
    assert.deepEqual(
      health.snapshot().map((entry) => [entry.key, entry.state]),
      [
        ['a', 'open'],
        ['b', 'open'],
        ['mini', 'open'],
      ],
    );
  });
});
