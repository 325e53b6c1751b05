/**
 * Counters shared between replicas: budget spend and reservations, rate-limit windows. One
 * interface, two implementations: Redis (`redis-counter-store.ts`, Lua scripts, shared by every
 * replica) and memory (`memory-counter-store.ts`, one process). Every operation is atomic over
 * all the counters it touches: no read-modify-write happens outside the store, so concurrent
 * callers (in one process or many) cannot both take the last unit of room.
 *
 * Money is integer micro-USD (1e-6 USD) so that sums are exact; tokens are tokens; times are ms
 * since the epoch, taken from the caller's clock (every replica computes the same window bounds).
 */

/** One budget's current window, as the caller computed it from the budget and the clock. */
export interface BudgetWindow {
  budgetId: string;
  /** Window start, ms (part of the counter's identity: a new window starts at zero). */
  windowStartMs: number;
  /** Window end, ms (the counter is kept a while past it, then dropped). */
  windowEndMs: number;
  /** The budget's limit, micro-USD. */
  limitMicroUsd: number;
}

/** Counters of one budget. */
export interface BudgetCounterState {
  budgetId: string;
  /** Spent in the current window, micro-USD; undefined when the window is not initialized. */
  spentMicroUsd?: number;
  /** Held by live reservations, micro-USD. */
  reservedMicroUsd: number;
}

/** Result of {@link CounterStore.reserveBudgets}. */
export type BudgetReservationOutcome =
  | { status: 'reserved' }
  /** The budget at `budgetIndex` (in the order given) has no room; nothing was reserved. */
  | { status: 'refused'; budgetIndex: number; spentMicroUsd: number; reservedMicroUsd: number }
  /**
   * These windows (indices in the order given) have no spend value yet: the caller loads their spend
   * from the database, calls {@link CounterStore.initializeBudgetWindow}, and tries again. Nothing
   * was reserved.
   */
  | { status: 'uninitialized'; budgetIndices: number[] };

/** Result of {@link CounterStore.settleBudgets}. */
export type BudgetSettlementOutcome =
  | { status: 'settled' }
  /** As for reservations: initialize these windows and call again (the release already happened; it is idempotent). */
  | { status: 'uninitialized'; budgetIndices: number[] };

/** One rate limit's current fixed window. */
export interface RateWindow {
  rateLimitId: string;
  windowStartMs: number;
  windowEndMs: number;
  /** Requests allowed in the window; undefined = not limited. */
  maxRequests?: number;
  /** Tokens allowed in the window; undefined = not limited. */
  maxTokens?: number;
}

/** Result of {@link CounterStore.admitRate}. */
export type RateAdmissionOutcome =
  | { status: 'admitted' }
  /** The limit at `windowIndex` is full (`requests` or `tokens`); nothing was counted. */
  | { status: 'refused'; windowIndex: number; exhausted: 'requests' | 'tokens'; requestsUsed: number; tokensUsed: number };

/** Counters of one rate-limit window. */
export interface RateCounterState {
  rateLimitId: string;
  requests: number;
  tokens: number;
}

/** Shared counters for budgets and rate limits. */
export interface CounterStore {
  /** `memory` or `redis`. */
  readonly kind: 'memory' | 'redis';

  /**
   * Atomically: drops expired reservations; then, unless some window is uninitialized or some budget
   * would go over (`spent + reserved + amount > limit`, or `spent + reserved >= limit`), holds
   * `amountMicroUsd` on every budget under `reservationId` until `expiresAtMs`. All or nothing.
   * @throws Error when the store is unreachable
   */
  reserveBudgets(input: {
    reservationId: string;
    windows: readonly BudgetWindow[];
    amountMicroUsd: number;
    nowMs: number;
    expiresAtMs: number;
  }): Promise<BudgetReservationOutcome>;

  /**
   * Atomically: releases `reservationId` on every budget (idempotent), then adds `chargeMicroUsd` to
   * every window's spend, unless a window is uninitialized (then nothing is charged). A charge of 0
   * needs no initialized window.
   * @throws Error when the store is unreachable
   */
  settleBudgets(input: {
    reservationId: string;
    windows: readonly BudgetWindow[];
    chargeMicroUsd: number;
    nowMs: number;
  }): Promise<BudgetSettlementOutcome>;

  /**
   * Sets a window's spend to `spentMicroUsd` (as loaded from the database) unless it already has a
   * value: when several replicas race, the first wins and the others keep its value.
   */
  initializeBudgetWindow(window: BudgetWindow, spentMicroUsd: number, nowMs: number): Promise<void>;

  /** Current spend and reservations of each budget (drops expired reservations first). */
  readBudgets(windows: readonly BudgetWindow[], nowMs: number): Promise<BudgetCounterState[]>;

  /**
   * Atomically: unless some window would go over (`requests + 1 > maxRequests` or
   * `tokens + tokens > maxTokens`), counts one request and `tokens` tokens in every window. All or
   * nothing.
   */
  admitRate(input: { windows: readonly RateWindow[]; tokens: number; nowMs: number }): Promise<RateAdmissionOutcome>;

  /** Adds `deltaTokens` (may be negative) to windows that still exist (actual minus estimated tokens at settlement). */
  adjustRateTokens(windows: readonly RateWindow[], deltaTokens: number, nowMs: number): Promise<void>;

  /** Current counts of each rate window. */
  readRates(windows: readonly RateWindow[], nowMs: number): Promise<RateCounterState[]>;

  close(): Promise<void>;
}

/** How long a window's counters outlive the window, ms (settlements of requests admitted just before the end still land). */
export const WINDOW_RETENTION_MS = 60 * 60 * 1000;
