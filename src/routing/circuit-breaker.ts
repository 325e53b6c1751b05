/**
 * A circuit breaker for one provider key (or one keyless provider): `closed` while it works; after
 * `failureThreshold` consecutive failures `open` (taken out of rotation) for `cooldownMs`; then
 * `half-open`, where exactly one request probes it — success closes it, failure opens it again for
 * another cool-down. No timers: the state moves when it is asked, with an injectable clock.
 *
 * @see https://martinfowler.com/bliki/CircuitBreaker.html
 * @see ../../docs/architecture.md#health-aware-selection
 */

/** Circuit breaker settings. */
export interface CircuitBreakerSettings {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long an open circuit stays out of rotation before one probe, ms. */
  cooldownMs: number;
}

/** Defaults: open after 5 consecutive failures, probe after 30 s. */
export const DEFAULT_CIRCUIT_BREAKER_SETTINGS: Readonly<CircuitBreakerSettings> = { failureThreshold: 5, cooldownMs: 30_000 };

export type CircuitState = 'closed' | 'open' | 'half-open';

/** A breaker's state for dashboards and logs. */
export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** When the circuit opened (ms since the epoch), while open or half-open. */
  openedAtMs?: number;
}

export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openedAtMs = 0;
  private probeInFlight = false;

  /** @param now the clock, ms (injectable for tests) */
  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Whether a request may go through now, without reserving anything: true when closed, or when
   * open and the cool-down is over with no probe running (the probe is reserved by {@link acquire}).
   */
  isAvailable(): boolean {
    switch (this.state) {
      case 'closed':
        return true;
      case 'open':
        return this.now() - this.openedAtMs >= this.settings.cooldownMs;
      case 'half-open':
        return !this.probeInFlight;
      default: {
        const unreachable: never = this.state;
        throw new Error(`unknown circuit state ${String(unreachable)}`);
      }
    }
  }

  /**
   * Takes a slot for one request: always in `closed`; in `open` after the cool-down it becomes
   * `half-open` and this request is the probe; otherwise refused.
   * @returns whether the request may go
   */
  acquire(): boolean {
    if (this.state === 'closed') return true;
    if (!this.isAvailable()) return false;
    this.state = 'half-open';
    this.probeInFlight = true;
    return true;
  }

  /** The request succeeded: the circuit closes and the failure count resets. */
  recordSuccess(): void {
    this.state = 'closed';
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
  }

  /** The request failed in a way that says the key/provider is unhealthy (network, 5xx, 429, 401/403). */
  recordFailure(): void {
    this.consecutiveFailures += 1;
    this.probeInFlight = false;
    if (this.state === 'half-open' || this.consecutiveFailures >= this.settings.failureThreshold) {
      this.state = 'open';
      this.openedAtMs = this.now();
    }
  }

  /** The request ended without telling anything (client went away, a 400): a running probe is released. */
  release(): void {
    this.probeInFlight = false;
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.state === 'open' && this.isAvailable() ? 'half-open' : this.state,
      consecutiveFailures: this.consecutiveFailures,
      ...(this.state === 'closed' ? {} : { openedAtMs: this.openedAtMs }),
    };
  }
}
