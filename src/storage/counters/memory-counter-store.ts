import {
  WINDOW_RETENTION_MS,
  type BudgetCounterState,
  type BudgetReservationOutcome,
  type BudgetSettlementOutcome,
  type BudgetWindow,
  type CounterStore,
  type RateAdmissionOutcome,
  type RateCounterState,
  type RateWindow,
} from './counter-store.js';

interface Reservation {
  amountMicroUsd: number;
  expiresAtMs: number;
}

/** How often expired windows are swept, ms of the caller's clock. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Counters in this process's memory. Each operation runs synchronously from start to end (no
 * `await` inside), so on Node's single thread it is atomic without locks. Counters are lost on
 * restart: budget windows are then rebuilt from the usage records in the database, rate-limit
 * windows start over. Use Redis to share counters between replicas.
 */
export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory';
  /** `budgetId:windowStartMs` → spend, micro-USD. */
  readonly #spent = new Map<string, { spentMicroUsd: number; dropAtMs: number }>();
  /** budgetId → reservationId → reservation. */
  readonly #reservations = new Map<string, Map<string, Reservation>>();
  /** `rateLimitId:windowStartMs` → counts. */
  readonly #rates = new Map<string, { requests: number; tokens: number; dropAtMs: number }>();
  #lastSweepMs = 0;

  async reserveBudgets(input: {
    reservationId: string;
    windows: readonly BudgetWindow[];
    amountMicroUsd: number;
    nowMs: number;
    expiresAtMs: number;
  }): Promise<BudgetReservationOutcome> {
    this.#sweep(input.nowMs);
    const uninitialized: number[] = [];
    input.windows.forEach((window, index) => {
      this.#dropExpiredReservations(window.budgetId, input.nowMs);
      if (!this.#spent.has(spentKey(window))) uninitialized.push(index);
    });
    if (uninitialized.length > 0) return { status: 'uninitialized', budgetIndices: uninitialized };
    for (let index = 0; index < input.windows.length; index += 1) {
      const window = input.windows[index];
      const spent = this.#spent.get(spentKey(window))?.spentMicroUsd ?? 0;
      const reserved = this.#reservedTotal(window.budgetId);
      if (spent + reserved + input.amountMicroUsd > window.limitMicroUsd || spent + reserved >= window.limitMicroUsd) {
        return { status: 'refused', budgetIndex: index, spentMicroUsd: spent, reservedMicroUsd: reserved };
      }
    }
    for (const window of input.windows) {
      let reservations = this.#reservations.get(window.budgetId);
      if (reservations === undefined) {
        reservations = new Map();
        this.#reservations.set(window.budgetId, reservations);
      }
      reservations.set(input.reservationId, { amountMicroUsd: input.amountMicroUsd, expiresAtMs: input.expiresAtMs });
    }
    return { status: 'reserved' };
  }

  async settleBudgets(input: {
    reservationId: string;
    windows: readonly BudgetWindow[];
    chargeMicroUsd: number;
    nowMs: number;
  }): Promise<BudgetSettlementOutcome> {
    for (const window of input.windows) this.#reservations.get(window.budgetId)?.delete(input.reservationId);
    if (input.chargeMicroUsd === 0) return { status: 'settled' };
    const uninitialized: number[] = [];
    input.windows.forEach((window, index) => {
      if (!this.#spent.has(spentKey(window))) uninitialized.push(index);
    });
    if (uninitialized.length > 0) return { status: 'uninitialized', budgetIndices: uninitialized };
    for (const window of input.windows) {
      const entry = this.#spent.get(spentKey(window));
      if (entry !== undefined) entry.spentMicroUsd += input.chargeMicroUsd;
    }
    return { status: 'settled' };
  }

  async initializeBudgetWindow(window: BudgetWindow, spentMicroUsd: number): Promise<void> {
    const key = spentKey(window);
    if (!this.#spent.has(key)) this.#spent.set(key, { spentMicroUsd, dropAtMs: window.windowEndMs + WINDOW_RETENTION_MS });
  }

  async readBudgets(windows: readonly BudgetWindow[], nowMs: number): Promise<BudgetCounterState[]> {
    return windows.map((window) => {
      this.#dropExpiredReservations(window.budgetId, nowMs);
      return {
        budgetId: window.budgetId,
        spentMicroUsd: this.#spent.get(spentKey(window))?.spentMicroUsd,
        reservedMicroUsd: this.#reservedTotal(window.budgetId),
      };
    });
  }

  async admitRate(input: { windows: readonly RateWindow[]; tokens: number; nowMs: number }): Promise<RateAdmissionOutcome> {
    this.#sweep(input.nowMs);
    for (let index = 0; index < input.windows.length; index += 1) {
      const window = input.windows[index];
      const counts = this.#rates.get(rateKey(window)) ?? { requests: 0, tokens: 0 };
      if (window.maxRequests !== undefined && counts.requests + 1 > window.maxRequests) {
        return { status: 'refused', windowIndex: index, exhausted: 'requests', requestsUsed: counts.requests, tokensUsed: counts.tokens };
      }
      if (window.maxTokens !== undefined && counts.tokens + input.tokens > window.maxTokens) {
        return { status: 'refused', windowIndex: index, exhausted: 'tokens', requestsUsed: counts.requests, tokensUsed: counts.tokens };
      }
    }
    for (const window of input.windows) {
      const key = rateKey(window);
      const counts = this.#rates.get(key);
      if (counts === undefined) this.#rates.set(key, { requests: 1, tokens: input.tokens, dropAtMs: window.windowEndMs + WINDOW_RETENTION_MS });
      else {
        counts.requests += 1;
        counts.tokens += input.tokens;
      }
    }
    return { status: 'admitted' };
  }

  async adjustRateTokens(windows: readonly RateWindow[], deltaTokens: number): Promise<void> {
    for (const window of windows) {
      const counts = this.#rates.get(rateKey(window));
      if (counts !== undefined) counts.tokens = Math.max(0, counts.tokens + deltaTokens);
    }
  }

  async readRates(windows: readonly RateWindow[]): Promise<RateCounterState[]> {
    return windows.map((window) => {
      const counts = this.#rates.get(rateKey(window));
      return { rateLimitId: window.rateLimitId, requests: counts?.requests ?? 0, tokens: counts?.tokens ?? 0 };
    });
  }

  async close(): Promise<void> {
    this.#spent.clear();
    this.#reservations.clear();
    this.#rates.clear();
  }

  #reservedTotal(budgetId: string): number {
    let total = 0;
    for (const reservation of this.#reservations.get(budgetId)?.values() ?? []) total += reservation.amountMicroUsd;
    return total;
  }

  #dropExpiredReservations(budgetId: string, nowMs: number): void {
    const reservations = this.#reservations.get(budgetId);
    if (reservations === undefined) return;
    for (const [id, reservation] of reservations) if (reservation.expiresAtMs <= nowMs) reservations.delete(id);
    if (reservations.size === 0) this.#reservations.delete(budgetId);
  }

  #sweep(nowMs: number): void {
    if (nowMs - this.#lastSweepMs < SWEEP_INTERVAL_MS) return;
    this.#lastSweepMs = nowMs;
    for (const [key, entry] of this.#spent) if (entry.dropAtMs <= nowMs) this.#spent.delete(key);
    for (const [key, entry] of this.#rates) if (entry.dropAtMs <= nowMs) this.#rates.delete(key);
    for (const budgetId of [...this.#reservations.keys()]) this.#dropExpiredReservations(budgetId, nowMs);
  }
}

function spentKey(window: BudgetWindow): string {
  return `${window.budgetId}:${window.windowStartMs}`;
}

function rateKey(window: RateWindow): string {
  return `${window.rateLimitId}:${window.windowStartMs}`;
}
