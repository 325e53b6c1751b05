import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../core/errors.js';
import type { Usage } from '../core/gateway-response.js';
import { matchesModelPattern } from '../routing/match-model-pattern.js';
import type { BudgetWindow, CounterStore, RateWindow } from '../storage/counters/counter-store.js';
import type { ChangeNotifier, GovernanceChange } from '../storage/counters/change-notifier.js';
import type { HeimdallStore } from '../storage/heimdall-store.js';
import type { BudgetRecord, CustomerRecord, OwnerReference, RateLimitRecord, TeamRecord, VirtualKeyRecord } from '../storage/records.js';
import { systemClock, type Clock } from '../storage/repositories/repository-support.js';
import { fromMicroUsd, type CostCalculator, type CostResult, type PricingTarget } from './cost-calculator.js';
import {
  budgetExhaustedError,
  governanceUnavailableError,
  invalidVirtualKeyError,
  notAllowedError,
  rateLimitedError,
  virtualKeyRequiredError,
} from './governance-errors.js';
import { budgetWindow, rateLimitWindow } from './time-windows.js';
import { UsageRecorder } from './usage-recorder.js';
import {
  extractPresentedVirtualKey,
  hashVirtualKeySecret,
  secretHashesEqual,
  virtualKeyDisplayPrefix,
  type CredentialSource,
} from './virtual-key-secret.js';

/**
 * A virtual key that passed authentication, with everything governance needs about its chain
 * (key → team → customer). Built from the database and cached for `authCacheTtlMs`.
 */
export interface GovernanceContext {
  virtualKey: VirtualKeyRecord;
  team?: TeamRecord;
  customer?: CustomerRecord;
  /** Budgets on the chain: the key's first, then the team's, then the customer's. */
  budgets: BudgetRecord[];
  /** Rate limits on the chain, same order. */
  rateLimits: RateLimitRecord[];
  /** The header the key came in; the request path must not forward it upstream. */
  credentialSource: CredentialSource;
}

/** Why a presented virtual key was refused. */
export type InvalidKeyReason = 'malformed' | 'unknown' | 'revoked' | 'inactive' | 'expired';

/** The outcome of {@link GovernanceService.authenticate}. */
export type AuthResult =
  /** No virtual key in the request. `providerCredential`: `x-api-key` or `Authorization` holds something else (to forward upstream). */
  | { status: 'none'; providerCredential: boolean }
  | { status: 'valid'; context: GovernanceContext }
  /** A virtual key was presented and refused; `message` says why and what to do (names the key's prefix, never the secret). */
  | { status: 'invalid'; reason: InvalidKeyReason; message: string };

/** Governance settings (the config's `governance` section). */
export interface GovernanceSettings {
  /**
   * On: every inference request needs a valid virtual key. Off (default): requests without one
   * pass ungoverned; requests with an invalid one are still refused.
   */
  enforceAuthOnInference: boolean;
  /** How long a key's looked-up chain is reused, ms; bounds how stale a cache entry can be. Default 5000. */
  authCacheTtlMs: number;
  /** How long a budget reservation holds without settlement, ms (a crashed replica's holds lapse after it). Default 15 min. */
  reservationTtlMs: number;
}

export const DEFAULT_GOVERNANCE_SETTINGS: GovernanceSettings = {
  enforceAuthOnInference: false,
  authCacheTtlMs: 5_000,
  reservationTtlMs: 15 * 60_000,
};

/** What {@link GovernanceService.admit} needs to know about a request. */
export interface AdmissionRequest {
  /** Provider instance name (the `provider/` prefix). */
  provider: string;
  /** Provider kind in the registry (`openai`, `anthropic`, …), for pricing. */
  providerKind: string;
  /** Model name as the upstream knows it. */
  model: string;
  /** Estimated input tokens (e.g. the `count_tokens` estimate). */
  estimatedInputTokens: number;
  /**
   * Expected output tokens. `max_tokens` is the safe upper bound; a smaller typical value lets more
   * requests run side by side near a budget's end at the price of a larger possible overshoot.
   */
  estimatedOutputTokens: number;
}

/** A request admitted by {@link GovernanceService.admit}: hand it to `settle` or `release` exactly once. */
export interface AdmissionTicket {
  readonly id: string;
  /** Undefined for an ungoverned request (no virtual key, enforcement off). */
  readonly context?: GovernanceContext;
  readonly target: PricingTarget;
  readonly admittedAtMs: number;
  /** The reservation held on every budget of the chain, micro-USD. */
  readonly reservedMicroUsd: number;
  /** Tokens counted against rate limits at admission (input + output estimate). */
  readonly estimatedTokens: number;
  /** The budgets reserved on (the chain's, at admission). */
  readonly budgets: readonly BudgetRecord[];
  /** The rate-limit windows counted. */
  readonly rateWindows: readonly RateWindow[];
}

/** The outcome of {@link GovernanceService.settle}. */
export interface Settlement {
  cost: CostResult;
  /** Budgets charged (none for an ungoverned request or an unpriced model). */
  chargedBudgetIds: string[];
}

/** A budget's state in its current window. Money in USD. */
export interface BudgetStatus {
  budget: BudgetRecord;
  windowStartMs: number;
  windowEndMs: number;
  limitUsd: number;
  spentUsd: number;
  /** Held by requests in progress. */
  reservedUsd: number;
  /** `limit - spent - reserved`, at least 0. */
  remainingUsd: number;
}

/** What {@link GovernanceService} is built from. */
export interface GovernanceServiceOptions {
  store: HeimdallStore;
  counters: CounterStore;
  notifier: ChangeNotifier;
  costs: CostCalculator;
  settings?: Partial<GovernanceSettings>;
  clock?: Clock;
  /** Receives operational warnings (never secrets). Default `console.warn`. */
  log?: (line: string) => void;
  /** Usage records are written to the database this often, ms. Default 1000. */
  usageFlushIntervalMs?: number;
}

/** A cached database lookup of one secret hash. */
type KeyLookup =
  | { kind: 'unknown' }
  | { kind: 'found'; virtualKey: VirtualKeyRecord; team?: TeamRecord; customer?: CustomerRecord; budgets: BudgetRecord[]; rateLimits: RateLimitRecord[] };

/** Largest number of cached lookups (the oldest are dropped beyond it). */
const MAX_CACHED_KEYS = 10_000;
/** Attempts at a counter operation that finds uninitialized windows (each attempt initializes them). */
const MAX_INITIALIZATION_ATTEMPTS = 4;

const OWNER_ORDER: Record<OwnerReference['type'], number> = { virtual_key: 0, team: 1, customer: 2 };

function describeOwner(owner: OwnerReference, context: Pick<GovernanceContext, 'virtualKey' | 'team' | 'customer'>): string {
  switch (owner.type) {
    case 'virtual_key':
      return `virtual key '${context.virtualKey.name}'`;
    case 'team':
      return `team '${context.team?.name ?? owner.id}'`;
    case 'customer':
      return `customer '${context.customer?.name ?? owner.id}'`;
    default: {
      const unreachable: never = owner.type;
      throw new Error(`unknown owner type ${String(unreachable)}`);
    }
  }
}

/** Tokens a usage counts against token rate limits: input, cache writes and output (cache reads excluded, as Anthropic's limits do). */
export function rateLimitedTokens(usage: Usage): number {
  return Math.max(0, usage.inputTokens) + Math.max(0, usage.cacheWriteTokens) + Math.max(0, usage.outputTokens);
}

/**
 * Governance on the request path: who is calling (virtual keys), what they may use, and what they
 * may spend (budgets, rate limits). The request path calls, in order:
 *
 * 1. `authenticateRequest(headers)` → a context, or undefined for an ungoverned request (401 thrown
 *    per `enforce_auth_on_inference`);
 * 2. `authorize(context, provider, model)` and `selectableProviderKeys(…)` → 403 when not allowed;
 * 3. `admit(context, request)` → a ticket (rate limits counted, budget reserved), or 400/429;
 * 4. after the upstream finished (or the stream ended or was aborted): `settle(ticket, usage)` with
 *    the usage consumed; when nothing reached the upstream: `release(ticket)`.
 *
 * Key lookups are cached in memory for `authCacheTtlMs`; changes published through the notifier
 * (revocation, edits) drop cache entries at once, on every replica when the notifier is Redis.
 */
export class GovernanceService {
  readonly settings: GovernanceSettings;
  readonly #store: HeimdallStore;
  readonly #counters: CounterStore;
  readonly #notifier: ChangeNotifier;
  readonly #costs: CostCalculator;
  readonly #clock: Clock;
  readonly #log: (line: string) => void;
  readonly #recorder: UsageRecorder;
  readonly #cache = new Map<string, { lookup: KeyLookup; expiresAtMs: number }>();
  readonly #loading = new Map<string, Promise<KeyLookup>>();
  readonly #settlements = new WeakMap<AdmissionTicket, Promise<Settlement>>();
  readonly #unsubscribe: () => void;
  /** Bumped by every invalidation, so a lookup that started before it is not cached after it. */
  #cacheGeneration = 0;

  constructor(options: GovernanceServiceOptions) {
    this.settings = { ...DEFAULT_GOVERNANCE_SETTINGS, ...options.settings };
    this.#store = options.store;
    this.#counters = options.counters;
    this.#notifier = options.notifier;
    this.#costs = options.costs;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? ((line) => console.warn(line));
    this.#recorder = new UsageRecorder(this.#store.usage, { flushIntervalMs: options.usageFlushIntervalMs, log: this.#log });
    this.#unsubscribe = this.#notifier.subscribe((change) => this.invalidate(change));
  }

  /**
   * Finds and checks the virtual key of a request (see `extractPresentedVirtualKey` for the
   * headers). Never throws for a bad key: the result says why.
   * @throws GatewayError 500 `api_error` when the database cannot be read
   */
  async authenticate(headers: IncomingHttpHeaders): Promise<AuthResult> {
    const presented = extractPresentedVirtualKey(headers);
    switch (presented.kind) {
      case 'none':
        return { status: 'none', providerCredential: presented.providerCredential };
      case 'malformed':
        return {
          status: 'invalid',
          reason: 'malformed',
          message: `The ${presented.source} header does not hold a well-formed Heimdall virtual key (hk- followed by at least 16 letters, digits, - or _). Check the key you were given.`,
        };
      case 'virtual-key':
        break;
      default: {
        const unreachable: never = presented;
        throw new Error(`unknown credential ${String(unreachable)}`);
      }
    }
    const secretHash = hashVirtualKeySecret(presented.secret);
    const shown = `${virtualKeyDisplayPrefix(presented.secret)}…`;
    const lookup = await this.#lookup(secretHash);
    if (lookup.kind === 'unknown' || !secretHashesEqual(secretHash, lookup.virtualKey.secretHash)) {
      return {
        status: 'invalid',
        reason: 'unknown',
        message: `Invalid Heimdall virtual key ${shown}: no such key. Check the key, or ask your Heimdall administrator for one.`,
      };
    }
    const key = lookup.virtualKey;
    const named = `Heimdall virtual key '${key.name}' (${key.keyPrefix}…)`;
    if (key.revokedAt !== undefined) {
      return {
        status: 'invalid',
        reason: 'revoked',
        message: `${named} was revoked on ${new Date(key.revokedAt).toISOString()}. Ask your Heimdall administrator for a new key.`,
      };
    }
    if (!key.active) {
      return { status: 'invalid', reason: 'inactive', message: `${named} is deactivated. Ask your Heimdall administrator to reactivate it.` };
    }
    if (key.expiresAt !== undefined && key.expiresAt <= this.#clock()) {
      return {
        status: 'invalid',
        reason: 'expired',
        message: `${named} expired on ${new Date(key.expiresAt).toISOString()}. Ask your Heimdall administrator to extend it or issue a new key.`,
      };
    }
    return {
      status: 'valid',
      context: {
        virtualKey: key,
        team: lookup.team,
        customer: lookup.customer,
        budgets: lookup.budgets,
        rateLimits: lookup.rateLimits,
        credentialSource: presented.source,
      },
    };
  }

  /**
   * {@link authenticate} with `enforce_auth_on_inference` applied: the context of a valid key;
   * undefined for a request without a key when enforcement is off (it passes ungoverned).
   * @throws GatewayError 401 `authentication_error` for an invalid key, or a missing one under enforcement
   * @throws GatewayError 500 `api_error` when the database cannot be read
   */
  async authenticateRequest(headers: IncomingHttpHeaders): Promise<GovernanceContext | undefined> {
    const result = await this.authenticate(headers);
    switch (result.status) {
      case 'valid':
        return result.context;
      case 'invalid':
        throw invalidVirtualKeyError(result.message);
      case 'none':
        if (this.settings.enforceAuthOnInference) throw virtualKeyRequiredError();
        return undefined;
      default: {
        const unreachable: never = result;
        throw new Error(`unknown auth result ${String(unreachable)}`);
      }
    }
  }

  /**
   * Checks that the key may use `provider` (instance name) and `model` (as the upstream knows it).
   * Provider patterns match the instance name; model patterns match either `provider/model` or the
   * bare model name. An empty list allows nothing. Does nothing for an ungoverned request.
   * @throws GatewayError 403 `permission_error` naming what the key may use
   */
  authorize(context: GovernanceContext | undefined, provider: string, model: string): void {
    if (context === undefined) return;
    const key = context.virtualKey;
    if (!key.allowedProviders.some((pattern) => matchesModelPattern(pattern, provider))) {
      throw notAllowedError(
        `Heimdall virtual key '${key.name}' may not use provider '${provider}'; it may use: ${describePatterns(key.allowedProviders)}.`,
      );
    }
    const qualified = `${provider}/${model}`;
    if (!key.allowedModels.some((pattern) => matchesModelPattern(pattern, qualified) || matchesModelPattern(pattern, model))) {
      throw notAllowedError(`Heimdall virtual key '${key.name}' may not use model '${qualified}'; it may use: ${describePatterns(key.allowedModels)}.`);
    }
  }

  /**
   * The provider keys (by `id`, their configured name) this virtual key may use, among `keys`.
   * Patterns match the key name or `provider/name`. Returns `keys` unchanged for an ungoverned
   * request or a provider without keys.
   * @throws GatewayError 403 `permission_error` when the provider has keys but none is allowed
   */
  selectableProviderKeys<T extends { id: string }>(context: GovernanceContext | undefined, provider: string, keys: readonly T[]): T[] {
    if (context === undefined || keys.length === 0) return [...keys];
    const patterns = context.virtualKey.allowedProviderKeys;
    const allowed = keys.filter((key) => patterns.some((pattern) => matchesModelPattern(pattern, key.id) || matchesModelPattern(pattern, `${provider}/${key.id}`)));
    if (allowed.length === 0) {
      throw notAllowedError(
        `Heimdall virtual key '${context.virtualKey.name}' may not use any key of provider '${provider}'; it may use provider keys: ${describePatterns(patterns)}.`,
      );
    }
    return allowed;
  }

  /**
   * The state of every budget on the chain; refuses when one has no room left (spent + held by
   * requests in progress >= limit). A read, not a reservation: use `admit` to reserve.
   * @throws GatewayError 400 (see `budgetExhaustedError`) when a budget has no room
   * @throws GatewayError 500 `api_error` when the counters cannot be read
   */
  async checkBudgets(context: GovernanceContext | undefined): Promise<BudgetStatus[]> {
    if (context === undefined || context.budgets.length === 0) return [];
    const statuses = await this.budgetStatuses(context.budgets);
    for (const status of statuses) {
      if (status.spentUsd + status.reservedUsd >= status.limitUsd) {
        throw budgetExhaustedError({
          ownerDescription: describeOwner(status.budget.owner, context),
          period: status.budget.period,
          limitUsd: status.limitUsd,
          spentUsd: status.spentUsd,
          reservedUsd: status.reservedUsd,
          estimateUsd: 0,
          resetsAtMs: status.windowEndMs,
        });
      }
    }
    return statuses;
  }

  /**
   * The current window's spend of each budget (for the request path's check and the admin API).
   * @throws GatewayError 500 `api_error` when the counters or the database cannot be read
   */
  async budgetStatuses(budgets: readonly BudgetRecord[]): Promise<BudgetStatus[]> {
    const now = this.#clock();
    const windows = budgets.map((budget) => this.#budgetWindow(budget, now));
    try {
      let states = await this.#counters.readBudgets(windows, now);
      const missing = states.flatMap((state, index) => (state.spentMicroUsd === undefined ? [index] : []));
      if (missing.length > 0) {
        await this.#initializeWindows(budgets, windows, missing, now);
        states = await this.#counters.readBudgets(windows, now);
      }
      return budgets.map((budget, index) => {
        const spentUsd = fromMicroUsd(states[index].spentMicroUsd ?? 0);
        const reservedUsd = fromMicroUsd(states[index].reservedMicroUsd);
        return {
          budget,
          windowStartMs: windows[index].windowStartMs,
          windowEndMs: windows[index].windowEndMs,
          limitUsd: budget.limitUsd,
          spentUsd,
          reservedUsd,
          remainingUsd: Math.max(0, budget.limitUsd - spentUsd - reservedUsd),
        };
      });
    } catch (error) {
      throw asUnavailable(error, 'budget counters');
    }
  }

  /**
   * How much of its limits a key's chain has used, for routing rules (`budget_used`,
   * `tokens_used`): the largest share, in percent, over the chain's budgets (spent in the current
   * window ÷ limit) and over its token rate limits that apply to `provider` (tokens counted in the
   * current window ÷ `max_tokens`); 0 where none applies. Reservations of requests in progress are
   * not counted. Only what is asked for is read.
   * @throws GatewayError 500 `api_error` when the counters cannot be read
   */
  async usedPercents(context: Pick<GovernanceContext, 'budgets' | 'rateLimits'>, input: { budgets: boolean; tokens: boolean; provider: string }): Promise<{ budgetUsedPercent: number; tokensUsedPercent: number }> {
    let budgetUsedPercent = 0;
    let tokensUsedPercent = 0;
    if (input.budgets && context.budgets.length > 0) {
      for (const status of await this.budgetStatuses(context.budgets)) {
        // A zero limit is used up from the start.
        const percent = status.limitUsd > 0 ? (status.spentUsd / status.limitUsd) * 100 : 100;
        budgetUsedPercent = Math.max(budgetUsedPercent, percent);
      }
    }
    const tokenLimits = input.tokens
      ? context.rateLimits.filter((limit) => limit.maxTokens !== undefined && (limit.provider === '*' || limit.provider === input.provider))
      : [];
    if (tokenLimits.length > 0) {
      const now = this.#clock();
      const windows: RateWindow[] = tokenLimits.map((limit) => {
        const window = rateLimitWindow(limit.windowMs, now);
        return { rateLimitId: limit.id, windowStartMs: window.startMs, windowEndMs: window.endMs, maxRequests: limit.maxRequests, maxTokens: limit.maxTokens };
      });
      let states;
      try {
        states = await this.#counters.readRates(windows, now);
      } catch (error) {
        throw asUnavailable(error, 'rate-limit counters');
      }
      states.forEach((state, index) => {
        const maxTokens = tokenLimits[index].maxTokens ?? 0;
        tokensUsedPercent = Math.max(tokensUsedPercent, maxTokens > 0 ? (state.tokens / maxTokens) * 100 : 0);
      });
    }
    return { budgetUsedPercent, tokensUsedPercent };
  }

  /**
   * Admits a request: checks the key may use the provider and model, reserves the estimated cost
   * on every budget of the chain (atomically, all or none: refused when `spent + reserved +
   * estimate > limit`), then counts one request and the estimated tokens on every rate limit that
   * applies (all or none). An ungoverned request (no context) gets a ticket that only records usage.
   *
   * @throws GatewayError 403 `permission_error` when the provider or model is not allowed
   * @throws GatewayError 400 `invalid_request_error` (`x-should-retry: false`) when a budget has no room
   * @throws GatewayError 429 `rate_limit_error` with `retry-after` when a rate limit is full
   * @throws GatewayError 500 `api_error` when the counters or the database cannot be reached
   */
  async admit(context: GovernanceContext | undefined, request: AdmissionRequest): Promise<AdmissionTicket> {
    const now = this.#clock();
    const target: PricingTarget = { provider: request.provider, providerKind: request.providerKind, model: request.model };
    const estimatedTokens = Math.max(0, Math.ceil(request.estimatedInputTokens)) + Math.max(0, Math.ceil(request.estimatedOutputTokens));
    if (context === undefined) {
      return { id: randomUUID(), target, admittedAtMs: now, reservedMicroUsd: 0, estimatedTokens, budgets: [], rateWindows: [] };
    }
    this.authorize(context, request.provider, request.model);
    const estimate = this.#costs.estimate(target, { inputTokens: request.estimatedInputTokens, outputTokens: request.estimatedOutputTokens });
    const id = randomUUID();
    const budgets = context.budgets;
    const windows = budgets.map((budget) => this.#budgetWindow(budget, now));

    if (windows.length > 0) {
      const outcome = await this.#withInitialization(budgets, windows, now, 'budget counters', () =>
        this.#counters.reserveBudgets({
          reservationId: id,
          windows,
          amountMicroUsd: estimate.costMicroUsd,
          nowMs: now,
          expiresAtMs: now + this.settings.reservationTtlMs,
        }),
      );
      if (outcome.status === 'refused') {
        const budget = budgets[outcome.budgetIndex];
        throw budgetExhaustedError({
          ownerDescription: describeOwner(budget.owner, context),
          period: budget.period,
          limitUsd: budget.limitUsd,
          spentUsd: fromMicroUsd(outcome.spentMicroUsd),
          reservedUsd: fromMicroUsd(outcome.reservedMicroUsd),
          estimateUsd: estimate.costUsd,
          resetsAtMs: windows[outcome.budgetIndex].windowEndMs,
        });
      }
    }

    const limits = context.rateLimits.filter((limit) => limit.provider === '*' || limit.provider === request.provider);
    const rateWindows: RateWindow[] = limits.map((limit) => {
      const window = rateLimitWindow(limit.windowMs, now);
      return { rateLimitId: limit.id, windowStartMs: window.startMs, windowEndMs: window.endMs, maxRequests: limit.maxRequests, maxTokens: limit.maxTokens };
    });
    if (rateWindows.length > 0) {
      let outcome;
      try {
        outcome = await this.#counters.admitRate({ windows: rateWindows, tokens: estimatedTokens, nowMs: now });
      } catch (error) {
        await this.#releaseReservation(id, windows, now);
        throw asUnavailable(error, 'rate-limit counters');
      }
      if (outcome.status === 'refused') {
        await this.#releaseReservation(id, windows, now);
        const limit = limits[outcome.windowIndex];
        throw rateLimitedError({
          ownerDescription: describeOwner(limit.owner, context),
          exhausted: outcome.exhausted,
          limit: (outcome.exhausted === 'requests' ? limit.maxRequests : limit.maxTokens) ?? 0,
          window: limit.window,
          provider: limit.provider,
          retryAfterMs: rateWindows[outcome.windowIndex].windowEndMs - now,
        });
      }
    }
    return { id, context, target, admittedAtMs: now, reservedMicroUsd: estimate.costMicroUsd, estimatedTokens, budgets, rateWindows };
  }

  /**
   * Settles an admitted request with the usage it consumed (a complete response, a finished
   * stream, or the part of an aborted stream that was produced): releases the reservation, charges
   * the actual cost on every budget of the chain, corrects the rate-limit token count to the actual
   * tokens, and records the usage in the database (in the background, batched). Settling a ticket
   * twice returns the first settlement.
   *
   * Call it after the response went out: its failure does not concern the caller; log it.
   * @throws GatewayError 500 `api_error` when the counters cannot be reached (the reservation then
   *   lapses after `reservationTtlMs`)
   */
  settle(ticket: AdmissionTicket, usage: Usage): Promise<Settlement> {
    const existing = this.#settlements.get(ticket);
    if (existing !== undefined) return existing;
    const settlement = this.#settle(ticket, usage, true);
    this.#settlements.set(ticket, settlement);
    return settlement;
  }

  /**
   * Releases an admitted request that consumed nothing (refused or failed before the upstream
   * produced any output): the reservation is dropped, its estimated tokens are taken back, no cost
   * is charged or recorded. The request still counts against request-rate limits.
   */
  release(ticket: AdmissionTicket): Promise<Settlement> {
    const existing = this.#settlements.get(ticket);
    if (existing !== undefined) return existing;
    const settlement = this.#settle(ticket, { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, false);
    this.#settlements.set(ticket, settlement);
    return settlement;
  }

  /** Drops cached key lookups: one key's, or all. Called for every published change. */
  invalidate(change: GovernanceChange): void {
    switch (change.kind) {
      case 'providers':
      case 'routing':
      case 'settings':
      case 'mcp-upstreams':
        return;
      case 'all':
        this.#cacheGeneration += 1;
        this.#cache.clear();
        this.#loading.clear();
        return;
      case 'virtual-key':
        this.#cacheGeneration += 1;
        for (const [hash, entry] of this.#cache) {
          if (entry.lookup.kind === 'found' && entry.lookup.virtualKey.id === change.virtualKeyId) this.#cache.delete(hash);
        }
        return;
      default: {
        const unreachable: never = change;
        throw new Error(`unknown change ${String(unreachable)}`);
      }
    }
  }

  /** Writes buffered usage records now. */
  async flushUsage(): Promise<void> {
    await this.#recorder.flush();
  }

  /** Writes buffered usage records and stops listening for changes (the store, counters and notifier stay open: their owner closes them). */
  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#recorder.close();
  }

  async #settle(ticket: AdmissionTicket, usage: Usage, record: boolean): Promise<Settlement> {
    const cost = record ? this.#costs.cost(ticket.target, usage) : { costUsd: 0, costMicroUsd: 0, priced: false, source: 'unpriced' as const };
    const now = this.#clock();
    const context = ticket.context;
    let chargedBudgetIds: string[] = [];
    if (context !== undefined) {
      const windows = ticket.budgets.map((budget) => this.#budgetWindow(budget, now));
      if (windows.length > 0) {
        await this.#withInitialization(ticket.budgets, windows, now, 'budget counters', () =>
          this.#counters.settleBudgets({ reservationId: ticket.id, windows, chargeMicroUsd: cost.costMicroUsd, nowMs: now }),
        );
        if (cost.costMicroUsd > 0) chargedBudgetIds = ticket.budgets.map((budget) => budget.id);
      }
      const deltaTokens = rateLimitedTokens(usage) - ticket.estimatedTokens;
      if (ticket.rateWindows.length > 0 && deltaTokens !== 0) {
        try {
          await this.#counters.adjustRateTokens(ticket.rateWindows, deltaTokens, now);
        } catch (error) {
          throw asUnavailable(error, 'rate-limit counters');
        }
      }
    }
    if (record) {
      this.#recorder.record({
        id: ticket.id,
        createdAt: now,
        virtualKeyId: context?.virtualKey.id,
        teamId: context?.team?.id,
        customerId: context?.customer?.id,
        provider: ticket.target.provider,
        model: ticket.target.model,
        inputTokens: Math.max(0, usage.inputTokens),
        outputTokens: Math.max(0, usage.outputTokens),
        cacheReadTokens: Math.max(0, usage.cacheReadTokens),
        cacheWriteTokens: Math.max(0, usage.cacheWriteTokens),
        costMicroUsd: cost.costMicroUsd,
        priced: cost.priced,
      });
    }
    return { cost, chargedBudgetIds };
  }

  async #releaseReservation(reservationId: string, windows: BudgetWindow[], now: number): Promise<void> {
    if (windows.length === 0) return;
    try {
      await this.#counters.settleBudgets({ reservationId, windows, chargeMicroUsd: 0, nowMs: now });
    } catch (error) {
      this.#log(`heimdall: could not release a budget reservation (it lapses on its own): ${(error as Error).message}`);
    }
  }

  #budgetWindow(budget: BudgetRecord, now: number): BudgetWindow {
    const window = budgetWindow(budget, now);
    return { budgetId: budget.id, windowStartMs: window.startMs, windowEndMs: window.endMs, limitMicroUsd: Math.round(budget.limitUsd * 1_000_000) };
  }

  /**
   * Runs a counter operation; when it reports uninitialized windows, loads their spend from the
   * usage records (after writing this process's buffered records) and tries again.
   */
  async #withInitialization<T extends { status: string }>(
    budgets: readonly BudgetRecord[],
    windows: readonly BudgetWindow[],
    now: number,
    what: string,
    operation: () => Promise<T>,
  ): Promise<Exclude<T, { status: 'uninitialized' }>> {
    try {
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await operation();
        if (!isUninitialized(outcome)) return outcome as Exclude<T, { status: 'uninitialized' }>;
        if (attempt >= MAX_INITIALIZATION_ATTEMPTS) throw new Error(`budget windows stayed uninitialized after ${attempt} attempts`);
        await this.#initializeWindows(budgets, windows, outcome.budgetIndices, now);
      }
    } catch (error) {
      throw asUnavailable(error, what);
    }
  }

  async #initializeWindows(budgets: readonly BudgetRecord[], windows: readonly BudgetWindow[], indices: readonly number[], now: number): Promise<void> {
    await this.#recorder.flush();
    for (const index of indices) {
      const window = windows[index];
      const spent = await this.#store.usage.sumCostMicroUsd(budgets[index].owner, window.windowStartMs, window.windowEndMs);
      await this.#counters.initializeBudgetWindow(window, spent, now);
    }
  }

  async #lookup(secretHash: string): Promise<KeyLookup> {
    const now = this.#clock();
    const cached = this.#cache.get(secretHash);
    if (cached !== undefined && cached.expiresAtMs > now) return cached.lookup;
    const loading = this.#loading.get(secretHash);
    if (loading !== undefined) return loading;
    const generation = this.#cacheGeneration;
    const promise = this.#load(secretHash).finally(() => {
      if (this.#loading.get(secretHash) === promise) this.#loading.delete(secretHash);
    });
    this.#loading.set(secretHash, promise);
    const lookup = await promise;
    if (generation === this.#cacheGeneration && this.settings.authCacheTtlMs > 0) {
      this.#cache.delete(secretHash);
      this.#cache.set(secretHash, { lookup, expiresAtMs: this.#clock() + this.settings.authCacheTtlMs });
      if (this.#cache.size > MAX_CACHED_KEYS) {
        const oldest = this.#cache.keys().next();
        if (oldest.done !== true) this.#cache.delete(oldest.value);
      }
    }
    return lookup;
  }

  async #load(secretHash: string): Promise<KeyLookup> {
    try {
      const virtualKey = await this.#store.virtualKeys.findBySecretHash(secretHash);
      if (virtualKey === undefined) return { kind: 'unknown' };
      const team = virtualKey.teamId === undefined ? undefined : await this.#store.teams.get(virtualKey.teamId);
      const customerId = virtualKey.customerId ?? team?.customerId;
      const customer = customerId === undefined ? undefined : await this.#store.customers.get(customerId);
      const owners: OwnerReference[] = [{ type: 'virtual_key', id: virtualKey.id }];
      if (team !== undefined) owners.push({ type: 'team', id: team.id });
      if (customer !== undefined) owners.push({ type: 'customer', id: customer.id });
      const byChain = <T extends { owner: OwnerReference; createdAt: number }>(left: T, right: T): number =>
        OWNER_ORDER[left.owner.type] - OWNER_ORDER[right.owner.type] || left.createdAt - right.createdAt;
      const budgets = (await this.#store.budgets.listForOwners(owners)).sort(byChain);
      const rateLimits = (await this.#store.rateLimits.listForOwners(owners)).sort(byChain);
      return { kind: 'found', virtualKey, team, customer, budgets, rateLimits };
    } catch (error) {
      throw asUnavailable(error, 'database');
    }
  }
}

function isUninitialized(outcome: { status: string }): outcome is { status: 'uninitialized'; budgetIndices: number[] } {
  return outcome.status === 'uninitialized';
}

function describePatterns(patterns: readonly string[]): string {
  return patterns.length === 0 ? '(nothing)' : patterns.join(', ');
}

/** Leaves `GatewayError`s alone; wraps anything else as a 500 naming `what` (the cause's text stays in `cause`, out of the message). */
function asUnavailable(error: unknown, what: string): GatewayError {
  return error instanceof GatewayError ? error : governanceUnavailableError(what, error);
}
