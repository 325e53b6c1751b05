import { GatewayError, ProviderCallError } from '../core/errors.js';
import type { ProviderKey } from '../providers/provider.js';
import type { ModelTarget } from './resolve-model.js';
import { backoffDelayMs, classifyFailure, retryAfterMs, statusFailureAction, type FailureAction } from './retry-policy.js';
import { DEFAULT_CIRCUIT_BREAKER_SETTINGS } from './circuit-breaker.js';
import { ProviderHealth } from './provider-health.js';
import { sleepUnlessAborted, type RoutingRuntime } from './routing-runtime.js';

/**
 * The attempt loop behind every served request: the planned targets in order (the routed target,
 * then its fallbacks), for each the provider's keys chosen health-aware and by weight, with
 * retries and backoff as `retry-policy.ts` says, until one attempt delivers the answer.
 *
 * An attempt either delivers (resolves) or fails before anything of it reached the client
 * (rejects), so failing over is always safe; once an answer started, its own failures are the
 * attempt's business (an SSE `error` event) and the attempt resolves.
 *
 * @see ../../docs/architecture.md#fallbacks-retries-and-load-balancing
 */

/** One place to try, in plan order. */
export interface PlannedTarget {
  target: ModelTarget;
  /** The provider key a routing rule pinned for the first attempt. */
  pinnedKeyId?: string;
  /** Keys never to use for this request (governance: keys the virtual key may not use). */
  excludedKeyIds?: ReadonlySet<string>;
}

/** One upstream attempt as the request log stores it. */
export interface AttemptRecord {
  provider: string;
  model: string;
  /** The key's name; absent for a keyless provider. */
  key?: string;
  /**
   * `served`: this attempt answered the client; `failed`: it failed before anything reached the
   * client; `unavailable`: the target was skipped (every key out of rotation or already tried, or no
   * key allows the model).
   */
  outcome: 'served' | 'failed' | 'unavailable';
  /** The upstream's HTTP status, when it answered one. */
  status?: number;
  error?: string;
  /** The wait before this attempt (backoff or retry-after), ms. */
  delayMs?: number;
  /** The target's position in the plan: 0 = the routed target, 1 = the first fallback, … */
  step: number;
}

/** What an attempt gets. */
export interface Attempt {
  target: ModelTarget;
  /** The provider key to use (undefined for a keyless provider). */
  key: ProviderKey | undefined;
  /** 0 for the first attempt of the request. */
  number: number;
  /**
   * Whether an upstream error status (with its headers) would be followed by another attempt.
   * When false, an Anthropic-format upstream's error response is relayed to the client as it is.
   */
  continuesAfter(status: number, headers: Readonly<Record<string, string | string[] | undefined>>): boolean;
}

/** One request's run through its plan. */
export interface FallbackRun {
  targets: readonly PlannedTarget[];
  runtime: Pick<RoutingRuntime, 'health' | 'retryPolicy' | 'random' | 'now' | 'sleep'>;
  /** Aborted when the client goes away: the loop stops. */
  signal: AbortSignal;
  /** Every attempt, appended as it happens (the request log keeps them). */
  attempts: AttemptRecord[];
}

/** What comes after a failure. */
type NextStep =
  | { kind: 'same-target'; delayMs: number; retry: boolean; preferredKeyId?: string; excludeKeyId?: string }
  | { kind: 'next-target' } | { kind: 'stop' };

/** Per-target loop state. */
interface TargetState {
  position: number;
  tried: Set<string>;
  retries: number;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs attempts until one delivers: resolves when an attempt resolved; rejects with the last
 * failure when every target, key and retry is used up (or the failure is the caller's, a 400).
 */
export async function serveWithFallbacks(run: FallbackRun, tryOnce: (attempt: Attempt) => Promise<void>): Promise<void> {
  const { targets, runtime, signal } = run;
  const policy = runtime.retryPolicy;
  const health = runtime.health;
  let attemptCount = 0;
  let lastError: unknown;

  const laterTargetAvailable = (position: number): boolean =>
    targets.slice(position + 1).some((planned) => health.isAvailable(planned.target.instance, planned.target.model));

  const otherKeyAvailable = (planned: PlannedTarget, state: TargetState, currentKeyId: string | undefined): boolean => {
    if (planned.target.instance.keys.length === 0 || currentKeyId === undefined) return false;
    const exclude = new Set(state.tried);
    exclude.add(currentKeyId);
    return health.isAvailable(planned.target.instance, planned.target.model, exclude);
  };

  const nextStep = (action: FailureAction, waitMs: number | undefined, planned: PlannedTarget, state: TargetState, keyId: string | undefined): NextStep => {
    switch (action) {
      case 'give-up':
        return { kind: 'stop' };
      case 'next-target':
        return { kind: 'next-target' };
      case 'next-key':
        return otherKeyAvailable(planned, state, keyId) ? { kind: 'same-target', delayMs: 0, retry: false, excludeKeyId: keyId } : { kind: 'next-target' };
      case 'rate-limited':
        if (otherKeyAvailable(planned, state, keyId)) return { kind: 'same-target', delayMs: 0, retry: false, excludeKeyId: keyId };
        if (state.retries < policy.maxRetries && (waitMs === undefined || waitMs <= policy.maxRetryAfterMs)) {
          return { kind: 'same-target', delayMs: waitMs ?? backoffDelayMs(policy, state.retries, runtime.random), retry: true, preferredKeyId: keyId };
        }
        return { kind: 'next-target' };
      case 'retry':
        return state.retries < policy.maxRetries
          ? { kind: 'same-target', delayMs: backoffDelayMs(policy, state.retries, runtime.random), retry: true }
          : { kind: 'next-target' };
      default: {
        const unreachable: never = action;
        throw new Error(`unknown failure action ${String(unreachable)}`);
      }
    }
  };

  for (let position = 0; position < targets.length; position += 1) {
    const planned = targets[position];
    const { instance, model } = planned.target;
    const state: TargetState = { position, tried: new Set(planned.excludedKeyIds), retries: 0 };
    let preferredKeyId = planned.pinnedKeyId;
    let delayMs = 0;
    for (;;) {
      if (signal.aborted) throw lastError ?? new GatewayError('api_error', 'the client went away');
      if (attemptCount >= policy.maxAttempts) throw lastError ?? new GatewayError('api_error', 'no attempt left');
      if (delayMs > 0) {
        await runtime.sleep(delayMs, signal);
        // the caller may have gone away during the wait: no attempt for nobody
        if (signal.aborted) throw lastError ?? new GatewayError('api_error', 'the client went away');
      }
      let key: ProviderKey | undefined;
      try {
        const options = { exclude: state.tried, pinnedKeyId: preferredKeyId, random: runtime.random };
        let selection = health.selectKey(instance, model, options);
        // When every target is out of rotation, trying the first one beats refusing the request.
        if (selection.kind === 'unavailable' && attemptCount === 0 && !targets.some((other) => health.isAvailable(other.target.instance, other.target.model))) {
          selection = health.selectKey(instance, model, { ...options, ignoreHealth: true });
        }
        if (selection.kind === 'unavailable') {
          run.attempts.push({ provider: instance.name, model, outcome: 'unavailable', error: 'every key is out of rotation or was tried', step: position });
          break;
        }
        key = selection.key;
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error;
        run.attempts.push({ provider: instance.name, model, outcome: 'unavailable', error: error.message, step: position });
        lastError = error;
        break;
      }
      const breaker = health.breakerFor(instance, key);
      const record: AttemptRecord = { provider: instance.name, model, ...(key === undefined ? {} : { key: key.id }), outcome: 'failed', ...(delayMs > 0 ? { delayMs } : {}), step: position };
      run.attempts.push(record);
      attemptCount += 1;
      const attemptsLeft = attemptCount < policy.maxAttempts;
      try {
        await tryOnce({
          target: planned.target,
          key,
          number: attemptCount - 1,
          continuesAfter: (status, headers) => {
            if (!attemptsLeft) return false;
            const step = nextStep(statusFailureAction(status), retryAfterMs(headers, runtime.now()), planned, state, key?.id);
            return step.kind === 'same-target' || (step.kind === 'next-target' && laterTargetAvailable(position));
          },
        });
        breaker.recordSuccess();
        record.outcome = 'served';
        return;
      } catch (error) {
        if (signal.aborted) {
          breaker.release();
          throw error;
        }
        const { action, unhealthy } = classifyFailure(error);
        // Without a configured key (a local server, or the caller's own credential forwarded),
        // 401/403/429 speak about the caller, not the provider: only network errors and 5xx count.
        if (unhealthy && (key !== undefined || action === 'retry')) breaker.recordFailure();
        else breaker.release();
        record.error = describeError(error);
        if (error instanceof ProviderCallError && error.upstreamStatus !== undefined) record.status = error.upstreamStatus;
        lastError = error;
        const waitMs = error instanceof GatewayError ? retryAfterMs(error.headers, runtime.now()) : undefined;
        const step = nextStep(action, waitMs, planned, state, key?.id);
        if (step.kind === 'stop') throw error;
        if (step.kind === 'next-target') break;
        if (step.excludeKeyId !== undefined) state.tried.add(step.excludeKeyId);
        if (step.retry) state.retries += 1;
        preferredKeyId = step.preferredKeyId;
        delayMs = step.delayMs;
      }
    }
  }
  throw lastError ?? new GatewayError('api_error', 'no provider could take the request');
}

/** The policy of a request served without routing: one attempt, no retries. */
const SINGLE_ATTEMPT_POLICY = { maxRetries: 0, initialBackoffMs: 0, maxBackoffMs: 0, maxRetryAfterMs: 0, maxAttempts: 1 } as const;

/**
 * The runtime for a request served without routing (one target, one attempt, a key picked by
 * weight): the behaviour of the surfaces that do not route (yet).
 */
export function singleAttemptRuntime(): FallbackRun['runtime'] {
  return {
    health: new ProviderHealth(DEFAULT_CIRCUIT_BREAKER_SETTINGS),
    retryPolicy: SINGLE_ATTEMPT_POLICY,
    random: Math.random,
    now: Date.now,
    sleep: sleepUnlessAborted,
  };
}
