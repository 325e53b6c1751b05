/**
 * Slows password guessing on `POST /api/auth/login`: after `maxFailures` failed logins for one
 * user name, or from one client address, within `windowMs`, further attempts are refused (429 with
 * `retry-after`) until the oldest failure leaves the window. A success clears the user name's
 * failures. Per process (each replica counts its own): scrypt already makes every guess cost
 * ~50–100 ms of CPU and 32 MiB, this bounds the rate on top.
 */

export interface LoginThrottleSettings {
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = { maxFailures: 10, windowMs: 15 * 60_000 };

/** Most distinct keys remembered; the oldest are dropped beyond it (bounded memory under a spray). */
const MAX_TRACKED_KEYS = 10_000;

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();

  constructor(
    private readonly settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * How long the caller must wait before trying again, ms; 0 when it may try now.
   * @param keys the user name and the client address
   */
  retryAfterMs(keys: readonly string[]): number {
    const now = this.clock();
    let wait = 0;
    for (const key of keys) {
      const recent = this.#recent(key, now);
      if (recent.length >= this.settings.maxFailures) wait = Math.max(wait, recent[recent.length - this.settings.maxFailures] + this.settings.windowMs - now);
    }
    return wait;
  }

  /** Records a failed attempt under each key. */
  recordFailure(keys: readonly string[]): void {
    const now = this.clock();
    for (const key of keys) {
      const recent = this.#recent(key, now);
      recent.push(now);
      this.#failures.delete(key);
      this.#failures.set(key, recent);
    }
    while (this.#failures.size > MAX_TRACKED_KEYS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** Forgets the failures of a key (a successful login for that user name). */
  clear(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string, now: number): number[] {
    const recent = (this.#failures.get(key) ?? []).filter((time) => now - time < this.settings.windowMs);
    if (recent.length === 0) this.#failures.delete(key);
    return recent;
  }
}
