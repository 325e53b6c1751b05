import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { GatewayError, ProviderCallError, errorKindForStatus, isRetryableStatus } from '../core/errors.js';
import type { ProviderInstance } from '../providers/provider.js';
import { seededRandom } from '../testing/seeded-random.js';
import { ProviderHealth } from './provider-health.js';
import { backoffDelayMs, classifyFailure, retryAfterMs, TargetUnavailableError, type RetryPolicy } from './retry-policy.js';
import { serveWithFallbacks, type Attempt, type AttemptRecord, type FallbackRun } from './serve-with-fallbacks.js';
import { sleepUnlessAborted } from './routing-runtime.js';

const providers = buildGatewaySettings(
  {
    providers: {
      openai: { keys: [{ name: 'oa-1', value: 'sk-1' }, { name: 'oa-2', value: 'sk-2' }] },
      groq: { keys: [{ name: 'groq-1', value: 'gsk' }] },
      ollama: { base_url: 'http://127.0.0.1:9' },
    },
  },
  {},
).providers;

function instance(name: string): ProviderInstance {
  const found = providers.get(name);
  assert.ok(found, name);
  return found;
}

function statusError(status: number, headers: Record<string, string> = {}): ProviderCallError {
  return new ProviderCallError({ provider: 'x', kind: errorKindForStatus(status), message: `upstream ${status}`, upstreamStatus: status, retryable: isRetryableStatus(status), headers });
}

const networkFailure = (): ProviderCallError => new ProviderCallError({ provider: 'x', kind: 'api_error', status: 502, message: 'could not reach x: ECONNRESET', retryable: true });

const policy: RetryPolicy = { maxRetries: 2, initialBackoffMs: 100, maxBackoffMs: 1_000, maxRetryAfterMs: 5_000, maxAttempts: 10 };

/** A run over `targets` whose attempts fail with `failures` in order, then succeed. */
async function runScript(targets: string[], failures: Array<Error | undefined>, options: { health?: ProviderHealth; retryPolicy?: RetryPolicy } = {}) {
  const sleeps: number[] = [];
  const attempts: AttemptRecord[] = [];
  const seen: Array<{ provider: string; key: string | undefined }> = [];
  const run: FallbackRun = {
    targets: targets.map((name) => ({ target: { instance: instance(name), model: `${name}-model` } })),
    runtime: {
      health: options.health ?? new ProviderHealth({ failureThreshold: 5, cooldownMs: 30_000 }, () => 0),
      retryPolicy: options.retryPolicy ?? policy,
      random: seededRandom(5),
      now: () => 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    signal: new AbortController().signal,
    attempts,
  };
  let index = 0;
  let outcome: unknown = 'served';
  try {
    await serveWithFallbacks(run, async (attempt: Attempt) => {
      seen.push({ provider: attempt.target.instance.name, key: attempt.key?.id });
      const failure = failures[index];
      index += 1;
      if (failure !== undefined) throw failure;
    });
  } catch (error) {
    outcome = error;
  }
  return { outcome, sleeps, attempts, seen };
}

describe('retry policy', () => {
  it('backs off exponentially with full jitter, capped', () => {
    const random = (): number => 0.999_999;
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((retry) => backoffDelayMs(policy, retry, random)), [99, 199, 399, 799, 999, 999]);
    assert.equal(backoffDelayMs(policy, 3, () => 0), 0);
  });

  it('reads retry-after as seconds, an HTTP date, or retry-after-ms', () => {
    assert.equal(retryAfterMs({ 'retry-after': '2' }, 0), 2_000);
    assert.equal(retryAfterMs({ 'retry-after-ms': '150' }, 0), 150);
    assert.equal(retryAfterMs({ 'retry-after': new Date(10_000).toUTCString() }, 4_000), 6_000);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }, 0), undefined);
    assert.equal(retryAfterMs({}, 0), undefined);
  });

  it('classifies failures', () => {
    assert.deepEqual(classifyFailure(networkFailure()), { action: 'retry', unhealthy: true });
    assert.deepEqual(classifyFailure(statusError(503)), { action: 'retry', unhealthy: true });
    assert.deepEqual(classifyFailure(statusError(429)), { action: 'rate-limited', unhealthy: true });
    assert.deepEqual(classifyFailure(statusError(401)), { action: 'next-key', unhealthy: true });
    assert.deepEqual(classifyFailure(statusError(404)), { action: 'next-target', unhealthy: false });
    assert.deepEqual(classifyFailure(statusError(400)), { action: 'give-up', unhealthy: false });
    assert.deepEqual(classifyFailure(new GatewayError('invalid_request_error', 'messages: Field required')), { action: 'give-up', unhealthy: false });
    assert.deepEqual(classifyFailure(new TargetUnavailableError(new GatewayError('invalid_request_error', 'no key allows it'))), { action: 'next-target', unhealthy: false });
  });
});

describe('serveWithFallbacks', () => {
  it('retries the same target with backoff on 5xx and network errors, then serves', async () => {
    const { outcome, sleeps, seen } = await runScript(['groq'], [statusError(500), networkFailure()]);
    assert.equal(outcome, 'served');
    assert.equal(seen.length, 3);
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps[0] < 100 && sleeps[1] < 200, `backoff within the jitter ceilings: ${sleeps.join(', ')}`);
  });

  it('moves to the fallback when the retries are used up', async () => {
    const { outcome, seen, attempts } = await runScript(['groq', 'openai'], [statusError(500), statusError(502), statusError(503)]);
    assert.equal(outcome, 'served');
    assert.deepEqual(seen.map((entry) => entry.provider), ['groq', 'groq', 'groq', 'openai']);
    assert.deepEqual(attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.status]), [
      ['groq', 'failed', 500],
      ['groq', 'failed', 502],
      ['groq', 'failed', 503],
      ['openai', 'served', undefined],
    ]);
  });

  it('on 401/403 tries the next key of the provider, then the fallback', async () => {
    const { outcome, seen, sleeps } = await runScript(['openai', 'groq'], [statusError(401), statusError(403)]);
    assert.equal(outcome, 'served');
    assert.deepEqual(seen.map((entry) => entry.provider), ['openai', 'openai', 'groq']);
    assert.deepEqual(new Set(seen.slice(0, 2).map((entry) => entry.key)), new Set(['oa-1', 'oa-2']), 'both keys were tried');
    assert.deepEqual(sleeps, [], 'a key change does not wait');
  });

  it('on 429 switches keys at once; with no key left it honours retry-after (capped) or moves on', async () => {
    const switched = await runScript(['openai'], [statusError(429, { 'retry-after': '3' })]);
    assert.equal(switched.outcome, 'served');
    assert.notEqual(switched.seen[0].key, switched.seen[1].key);
    assert.deepEqual(switched.sleeps, []);

    const waited = await runScript(['groq'], [statusError(429, { 'retry-after': '3' })]);
    assert.equal(waited.outcome, 'served');
    assert.deepEqual(waited.sleeps, [3_000], 'retry-after is honoured');

    const tooLong = await runScript(['groq', 'openai'], [statusError(429, { 'retry-after': '60' })]);
    assert.equal(tooLong.outcome, 'served');
    assert.deepEqual(tooLong.seen.map((entry) => entry.provider), ['groq', 'openai'], 'a retry-after above the cap moves to the fallback');
    assert.deepEqual(tooLong.sleeps, []);
  });

  it('gives the caller a 400 at once, and the last error when everything failed', async () => {
    const badRequest = statusError(400);
    const refused = await runScript(['groq', 'openai'], [badRequest]);
    assert.equal(refused.outcome, badRequest);
    assert.equal(refused.seen.length, 1);
    const last = statusError(503);
    const exhausted = await runScript(['groq'], [statusError(500), statusError(500), last]);
    assert.equal(exhausted.outcome, last);
  });

  it('stops at maxAttempts', async () => {
    const { outcome, seen } = await runScript(['groq', 'openai'], Array.from({ length: 20 }, () => statusError(500)), { retryPolicy: { ...policy, maxAttempts: 4 } });
    assert.ok(outcome instanceof ProviderCallError);
    assert.equal(seen.length, 4);
  });

  it('skips a target whose keys are all out of rotation, and fails open when every target is', async () => {
    const health = new ProviderHealth({ failureThreshold: 1, cooldownMs: 60_000 }, () => 0);
    health.breakerFor(instance('groq'), instance('groq').keys[0]).recordFailure();
    const skipped = await runScript(['groq', 'openai'], [], { health });
    assert.deepEqual(skipped.seen.map((entry) => entry.provider), ['openai']);
    assert.equal(skipped.attempts[0].outcome, 'unavailable');
    const onlyGroq = await runScript(['groq'], [], { health });
    assert.equal(onlyGroq.outcome, 'served', 'trying the only target beats refusing');
  });

  it('counts only network errors and 5xx against a keyless provider (401/429 speak about the caller)', async () => {
    const health = new ProviderHealth({ failureThreshold: 1, cooldownMs: 60_000 }, () => 0);
    await runScript(['ollama'], [statusError(401)], { health });
    assert.equal(health.isAvailable(instance('ollama'), 'm'), true);
    await runScript(['ollama'], [networkFailure(), networkFailure(), networkFailure()], { health });
    assert.equal(health.isAvailable(instance('ollama'), 'm'), false);
  });

  it('never uses a key excluded for the request (governance)', async () => {
    const used: Array<string | undefined> = [];
    for (let request = 0; request < 20; request += 1) {
      await serveWithFallbacks(
        {
          targets: [{ target: { instance: instance('openai'), model: 'm' }, excludedKeyIds: new Set(['oa-1']) }],
          runtime: { health: new ProviderHealth({ failureThreshold: 5, cooldownMs: 1 }), retryPolicy: policy, random: seededRandom(request), now: () => 0, sleep: async () => undefined },
          signal: new AbortController().signal,
          attempts: [],
        },
        async (attempt) => {
          used.push(attempt.key?.id);
        },
      );
    }
    assert.deepEqual(new Set(used), new Set(['oa-2']));
  });

  it('tells an attempt whether an error status would be followed by another attempt', async () => {
    const answers: boolean[] = [];
    await serveWithFallbacks(
      {
        targets: [{ target: { instance: instance('groq'), model: 'm' } }],
        runtime: { health: new ProviderHealth({ failureThreshold: 5, cooldownMs: 1 }), retryPolicy: policy, random: () => 0, now: () => 0, sleep: async () => undefined },
        signal: new AbortController().signal,
        attempts: [],
      },
      async (attempt) => {
        answers.push(attempt.continuesAfter(500, {}), attempt.continuesAfter(400, {}), attempt.continuesAfter(429, { 'retry-after': '600' }), attempt.continuesAfter(401, {}));
      },
    );
    assert.deepEqual(answers, [true, false, false, false]);
  });

  it('ends with the failure that caused the retry when the caller leaves during the backoff (no internal AbortError)', async () => {
    const controller = new AbortController();
    const failure = statusError(503);
    let tries = 0;
    const started = Date.now();
    const outcome = await serveWithFallbacks(
      {
        targets: [{ target: { instance: instance('groq'), model: 'm' } }],
        runtime: { health: new ProviderHealth({ failureThreshold: 5, cooldownMs: 1 }), retryPolicy: { ...policy, initialBackoffMs: 10_000, maxBackoffMs: 10_000 }, random: () => 0.99, now: Date.now, sleep: sleepUnlessAborted },
        signal: controller.signal,
        attempts: [],
      },
      async () => {
        tries += 1;
        // the caller goes away while the gateway waits to retry
        setTimeout(() => controller.abort(), 20);
        throw failure;
      },
    ).then(
      () => 'served',
      (error: unknown) => error,
    );
    assert.equal(outcome, failure, 'the upstream failure, not an AbortError');
    assert.equal(tries, 1, 'no attempt after the caller left');
    assert.ok(Date.now() - started < 5_000, 'the backoff ended with the abort');
  });
});
