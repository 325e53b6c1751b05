import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { deleteRedisKeys, REDIS_TEST_URL, scratchRedisPrefix, skipWithoutRedis } from '../../testing/services.js';
import type { BudgetWindow, CounterStore, RateWindow } from './counter-store.js';
import { MemoryCounterStore } from './memory-counter-store.js';
import { RedisCounterStore } from './redis-counter-store.js';

/**
 * The counter-store suite, run unchanged against the memory store and Redis (a per-run key
 * prefix, deleted after; skipped with a notice when Redis is unreachable, unless
 * HEIMDALL_REQUIRE_SERVICES=1).
 */

interface Variant {
  name: string;
  skip: false | string;
  open(): Promise<{ counters: CounterStore; cleanup(): Promise<void> }>;
}

const variants: Variant[] = [
  {
    name: 'memory',
    skip: false,
    open: async () => {
      const counters = new MemoryCounterStore();
      return { counters, cleanup: () => counters.close() };
    },
  },
  {
    name: 'Redis',
    skip: await skipWithoutRedis(),
    open: async () => {
      const prefix = scratchRedisPrefix();
      const counters = await RedisCounterStore.connect({ url: REDIS_TEST_URL, keyPrefix: prefix });
      return {
        counters,
        cleanup: async () => {
          await counters.close();
          await deleteRedisKeys(prefix);
        },
      };
    },
  },
];

const NOW = 1_700_000_000_000;

function budget(limitMicroUsd: number, windowStartMs = NOW - 1_000): BudgetWindow {
  return { budgetId: randomUUID(), windowStartMs, windowEndMs: windowStartMs + 3_600_000, limitMicroUsd };
}

function rateWindow(limits: { maxRequests?: number; maxTokens?: number }, windowStartMs = NOW - 1_000): RateWindow {
  return { rateLimitId: randomUUID(), windowStartMs, windowEndMs: windowStartMs + 60_000, ...limits };
}

for (const variant of variants) {
  describe(`counters in ${variant.name}`, { skip: variant.skip }, () => {
    let counters: CounterStore;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ counters, cleanup } = await variant.open());
    });
    after(async () => {
      await cleanup?.();
    });

    const reserve = (windows: BudgetWindow[], amountMicroUsd: number, reservationId = randomUUID(), nowMs = NOW, ttlMs = 60_000) =>
      counters.reserveBudgets({ reservationId, windows, amountMicroUsd, nowMs, expiresAtMs: nowMs + ttlMs });

    it('asks for uninitialized windows to be loaded first, and initializes each only once', async () => {
      const first = budget(1_000);
      const second = budget(1_000);
      assert.deepEqual(await reserve([first, second], 10), { status: 'uninitialized', budgetIndices: [0, 1] });
      assert.deepEqual(await counters.readBudgets([first], NOW), [{ budgetId: first.budgetId, spentMicroUsd: undefined, reservedMicroUsd: 0 }]);
      await counters.initializeBudgetWindow(first, 300, NOW);
      await counters.initializeBudgetWindow(first, 999, NOW);
      assert.deepEqual(await reserve([first, second], 10), { status: 'uninitialized', budgetIndices: [1] });
      await counters.initializeBudgetWindow(second, 0, NOW);
      assert.deepEqual(await reserve([first, second], 10), { status: 'reserved' });
      const states = await counters.readBudgets([first, second], NOW);
      assert.deepEqual(
        states.map((state) => [state.spentMicroUsd, state.reservedMicroUsd]),
        [
          [300, 10],
          [0, 10],
        ],
      );
    });

    it('reserves on all budgets or none, refusing when spent + reserved + amount > limit', async () => {
      const roomy = budget(1_000);
      const tight = budget(100);
      await counters.initializeBudgetWindow(roomy, 0, NOW);
      await counters.initializeBudgetWindow(tight, 60, NOW);
      assert.deepEqual(await reserve([roomy, tight], 50), { status: 'refused', budgetIndex: 1, spentMicroUsd: 60, reservedMicroUsd: 0 });
      assert.equal((await counters.readBudgets([roomy], NOW))[0].reservedMicroUsd, 0, 'nothing was held on the budget with room');
      assert.deepEqual(await reserve([roomy, tight], 40), { status: 'reserved' });
      assert.deepEqual(await reserve([tight], 0), { status: 'refused', budgetIndex: 0, spentMicroUsd: 60, reservedMicroUsd: 40 }, 'no room left at all');
    });

    it('settles: releases the reservation (once) and charges every budget', async () => {
      const key = budget(1_000);
      const team = budget(5_000);
      await counters.initializeBudgetWindow(key, 0, NOW);
      await counters.initializeBudgetWindow(team, 100, NOW);
      const id = randomUUID();
      await reserve([key, team], 200, id);
      assert.deepEqual(await counters.settleBudgets({ reservationId: id, windows: [key, team], chargeMicroUsd: 250, nowMs: NOW }), { status: 'settled' });
      assert.deepEqual(await counters.settleBudgets({ reservationId: id, windows: [key, team], chargeMicroUsd: 0, nowMs: NOW }), { status: 'settled' });
      assert.deepEqual(
        (await counters.readBudgets([key, team], NOW)).map((state) => [state.spentMicroUsd, state.reservedMicroUsd]),
        [
          [250, 0],
          [350, 0],
        ],
      );
    });

    it('settles into a window that began after admission once it is initialized', async () => {
      const old = budget(1_000);
      await counters.initializeBudgetWindow(old, 0, NOW);
      const id = randomUUID();
      await reserve([old], 100, id);
      const next = { ...old, windowStartMs: old.windowEndMs, windowEndMs: old.windowEndMs + 3_600_000 };
      const later = old.windowEndMs + 1;
      assert.deepEqual(await counters.settleBudgets({ reservationId: id, windows: [next], chargeMicroUsd: 70, nowMs: later }), {
        status: 'uninitialized',
        budgetIndices: [0],
      });
      assert.equal((await counters.readBudgets([next], later))[0].reservedMicroUsd, 0, 'the release already happened');
      await counters.initializeBudgetWindow(next, 0, later);
      assert.deepEqual(await counters.settleBudgets({ reservationId: id, windows: [next], chargeMicroUsd: 70, nowMs: later }), { status: 'settled' });
      assert.equal((await counters.readBudgets([next], later))[0].spentMicroUsd, 70);
    });

    it('drops reservations that were never settled once they expire', async () => {
      const window = budget(100);
      await counters.initializeBudgetWindow(window, 0, NOW);
      await reserve([window], 80, randomUUID(), NOW, 1_000);
      assert.equal((await reserve([window], 80)).status, 'refused');
      assert.equal((await counters.readBudgets([window], NOW + 999))[0].reservedMicroUsd, 80);
      assert.equal((await counters.readBudgets([window], NOW + 1_000))[0].reservedMicroUsd, 0);
      assert.equal((await reserve([window], 80, randomUUID(), NOW + 1_000)).status, 'reserved');
    });

    it('200 concurrent reservations on a budget that covers 50: exactly 50 succeed', async () => {
      const window = budget(50 * 1_000_000);
      await counters.initializeBudgetWindow(window, 0, NOW);
      const outcomes = await Promise.all(Array.from({ length: 200 }, () => reserve([window], 1_000_000)));
      assert.equal(outcomes.filter((outcome) => outcome.status === 'reserved').length, 50);
      assert.equal(outcomes.filter((outcome) => outcome.status === 'refused').length, 150);
      assert.equal((await counters.readBudgets([window], NOW))[0].reservedMicroUsd, 50 * 1_000_000);
    });

    it('100 concurrent admissions on a 30-request window: exactly 30 pass', async () => {
      const window = rateWindow({ maxRequests: 30 });
      const outcomes = await Promise.all(Array.from({ length: 100 }, () => counters.admitRate({ windows: [window], tokens: 1, nowMs: NOW })));
      assert.equal(outcomes.filter((outcome) => outcome.status === 'admitted').length, 30);
      const refused = outcomes.find((outcome) => outcome.status === 'refused');
      assert.deepEqual(refused, { status: 'refused', windowIndex: 0, exhausted: 'requests', requestsUsed: 30, tokensUsed: 30 });
      assert.deepEqual(await counters.readRates([window], NOW), [{ rateLimitId: window.rateLimitId, requests: 30, tokens: 30 }]);
      const next = { ...window, windowStartMs: window.windowEndMs, windowEndMs: window.windowEndMs + 60_000 };
      assert.equal((await counters.admitRate({ windows: [next], tokens: 1, nowMs: window.windowEndMs })).status, 'admitted', 'a new window starts empty');
    });

    it('counts tokens exactly and all-or-nothing across windows', async () => {
      const perKey = rateWindow({ maxTokens: 1_000 });
      const perProvider = rateWindow({ maxRequests: 100 });
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => counters.admitRate({ windows: [perProvider, perKey], tokens: 100, nowMs: NOW })));
      assert.equal(outcomes.filter((outcome) => outcome.status === 'admitted').length, 10);
      const refused = outcomes.find((outcome) => outcome.status === 'refused');
      assert.equal(refused?.status === 'refused' && refused.exhausted, 'tokens');
      assert.deepEqual(
        (await counters.readRates([perProvider, perKey], NOW)).map((state) => [state.requests, state.tokens]),
        [
          [10, 1_000],
          [10, 1_000],
        ],
        'refused admissions counted nowhere',
      );
      await counters.adjustRateTokens([perKey], -400, NOW);
      assert.equal((await counters.admitRate({ windows: [perKey], tokens: 400, nowMs: NOW })).status, 'admitted');
      await counters.adjustRateTokens([perKey], -5_000, NOW);
      assert.equal((await counters.readRates([perKey], NOW))[0].tokens, 0, 'never below zero');
      const absent = rateWindow({ maxTokens: 10 });
      await counters.adjustRateTokens([absent], 50, NOW);
      assert.deepEqual(await counters.readRates([absent], NOW), [{ rateLimitId: absent.rateLimitId, requests: 0, tokens: 0 }], 'no window is created by an adjustment');
    });
  });
}
