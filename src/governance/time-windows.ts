import type { BudgetAlignment, BudgetPeriod } from '../storage/records.js';

/**
 * Budget and rate-limit windows as pure functions of the clock, so that every replica computes the
 * same bounds without coordination. All times are ms since the Unix epoch, UTC.
 */

/** A half-open time interval `[startMs, endMs)`. */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

/** Length of the fixed-length periods, ms (months and years vary). */
const FIXED_PERIOD_MS: Partial<Record<BudgetPeriod, number>> = { '1m': MINUTE_MS, '1h': HOUR_MS, '1d': DAY_MS, '1w': WEEK_MS };

function daysInMonthUtc(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * `timeMs` moved by `months` calendar months in UTC, keeping the time of day; the day of month is
 * clamped to the target month's length (Jan 31 + 1 month = Feb 28, or 29).
 */
export function addMonthsUtc(timeMs: number, months: number): number {
  const date = new Date(timeMs);
  const monthIndex = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(monthIndex / 12);
  const month = monthIndex - year * 12;
  const day = Math.min(date.getUTCDate(), daysInMonthUtc(year, month));
  return Date.UTC(year, month, day, date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds());
}

/**
 * The calendar window holding `nowMs`: the UTC minute, hour, day, ISO week (Monday 00:00 to Monday
 * 00:00), month or year.
 */
export function calendarWindow(period: BudgetPeriod, nowMs: number): TimeWindow {
  switch (period) {
    case '1m':
    case '1h':
    case '1d': {
      const length = FIXED_PERIOD_MS[period] as number;
      const startMs = Math.floor(nowMs / length) * length;
      return { startMs, endMs: startMs + length };
    }
    case '1w': {
      const dayIndex = Math.floor(nowMs / DAY_MS);
      // 1970-01-01 was a Thursday: day index 0 is weekday 3 counting from Monday = 0.
      const weekday = (((dayIndex + 3) % 7) + 7) % 7;
      const startMs = (dayIndex - weekday) * DAY_MS;
      return { startMs, endMs: startMs + WEEK_MS };
    }
    case '1M': {
      const date = new Date(nowMs);
      return { startMs: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1), endMs: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) };
    }
    case '1Y': {
      const year = new Date(nowMs).getUTCFullYear();
      return { startMs: Date.UTC(year, 0, 1), endMs: Date.UTC(year + 1, 0, 1) };
    }
    default: {
      const unreachable: never = period;
      throw new Error(`unknown budget period ${String(unreachable)}`);
    }
  }
}

/**
 * The rolling window holding `nowMs`: windows of the period's length laid end to end from
 * `anchorMs` (months and years by calendar arithmetic from the anchor, day clamped).
 */
export function rollingWindow(period: BudgetPeriod, anchorMs: number, nowMs: number): TimeWindow {
  const fixed = FIXED_PERIOD_MS[period];
  if (fixed !== undefined) {
    const index = Math.floor((nowMs - anchorMs) / fixed);
    const startMs = anchorMs + index * fixed;
    return { startMs, endMs: startMs + fixed };
  }
  const stepMonths = period === '1Y' ? 12 : 1;
  const anchor = new Date(anchorMs);
  const now = new Date(nowMs);
  const monthsBetween = (now.getUTCFullYear() - anchor.getUTCFullYear()) * 12 + (now.getUTCMonth() - anchor.getUTCMonth());
  let index = Math.floor(monthsBetween / stepMonths);
  while (addMonthsUtc(anchorMs, index * stepMonths) > nowMs) index -= 1;
  while (addMonthsUtc(anchorMs, (index + 1) * stepMonths) <= nowMs) index += 1;
  return { startMs: addMonthsUtc(anchorMs, index * stepMonths), endMs: addMonthsUtc(anchorMs, (index + 1) * stepMonths) };
}

/**
 * A budget's current window. Rolling: from the anchor (creation or last reset). Calendar: the
 * calendar window, starting at the anchor instead when the budget was created or reset inside it
 * (a reset mid-month counts from the reset until the month ends).
 */
export function budgetWindow(budget: { period: BudgetPeriod; alignment: BudgetAlignment; anchorAt: number }, nowMs: number): TimeWindow {
  switch (budget.alignment) {
    case 'rolling':
      return rollingWindow(budget.period, budget.anchorAt, nowMs);
    case 'calendar': {
      const window = calendarWindow(budget.period, nowMs);
      if (budget.anchorAt > window.startMs && budget.anchorAt <= nowMs) return { startMs: budget.anchorAt, endMs: window.endMs };
      return window;
    }
    default: {
      const unreachable: never = budget.alignment;
      throw new Error(`unknown budget alignment ${String(unreachable)}`);
    }
  }
}

/**
 * A rate limit's current fixed window: `windowMs`-long windows aligned on multiples of `windowMs`
 * since the epoch (a `1m` window runs from one whole UTC minute to the next).
 */
export function rateLimitWindow(windowMs: number, nowMs: number): TimeWindow {
  const startMs = Math.floor(nowMs / windowMs) * windowMs;
  return { startMs, endMs: startMs + windowMs };
}

/** The period as an adjective, for messages: `daily`, `monthly`, … */
export function describeBudgetPeriod(period: BudgetPeriod): string {
  switch (period) {
    case '1m':
      return 'per-minute';
    case '1h':
      return 'hourly';
    case '1d':
      return 'daily';
    case '1w':
      return 'weekly';
    case '1M':
      return 'monthly';
    case '1Y':
      return 'yearly';
    default: {
      const unreachable: never = period;
      throw new Error(`unknown budget period ${String(unreachable)}`);
    }
  }
}
