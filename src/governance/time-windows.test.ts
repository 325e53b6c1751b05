import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonthsUtc, budgetWindow, calendarWindow, rateLimitWindow, rollingWindow } from './time-windows.js';

const at = (iso: string): number => Date.parse(iso);
const window = (start: string, end: string) => ({ startMs: at(start), endMs: at(end) });

describe('calendar-aligned budget windows (UTC)', () => {
  const now = at('2026-03-18T14:37:21.500Z'); // a Wednesday

  it('align to the minute, hour and day', () => {
    assert.deepEqual(calendarWindow('1m', now), window('2026-03-18T14:37:00Z', '2026-03-18T14:38:00Z'));
    assert.deepEqual(calendarWindow('1h', now), window('2026-03-18T14:00:00Z', '2026-03-18T15:00:00Z'));
    assert.deepEqual(calendarWindow('1d', now), window('2026-03-18T00:00:00Z', '2026-03-19T00:00:00Z'));
  });

  it('align weeks to ISO weeks, Monday 00:00 to Monday 00:00', () => {
    assert.deepEqual(calendarWindow('1w', now), window('2026-03-16T00:00:00Z', '2026-03-23T00:00:00Z'));
    assert.deepEqual(calendarWindow('1w', at('2026-03-16T00:00:00Z')), window('2026-03-16T00:00:00Z', '2026-03-23T00:00:00Z'), 'Monday midnight opens the week');
    assert.deepEqual(calendarWindow('1w', at('2026-03-22T23:59:59.999Z')), window('2026-03-16T00:00:00Z', '2026-03-23T00:00:00Z'), 'Sunday night still in it');
    assert.deepEqual(calendarWindow('1w', at('1970-01-01T12:00:00Z')), window('1969-12-29T00:00:00Z', '1970-01-05T00:00:00Z'));
  });

  it('align months and years, leap February included', () => {
    assert.deepEqual(calendarWindow('1M', now), window('2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z'));
    assert.deepEqual(calendarWindow('1M', at('2028-02-29T23:00:00Z')), window('2028-02-01T00:00:00Z', '2028-03-01T00:00:00Z'));
    assert.deepEqual(calendarWindow('1M', at('2026-12-31T23:59:59Z')), window('2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z'));
    assert.deepEqual(calendarWindow('1Y', now), window('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z'));
  });

  it('start at the anchor when the budget was created or reset inside the current window', () => {
    const anchorAt = at('2026-03-10T09:00:00Z');
    assert.deepEqual(budgetWindow({ period: '1M', alignment: 'calendar', anchorAt }, now), window('2026-03-10T09:00:00Z', '2026-04-01T00:00:00Z'));
    assert.deepEqual(
      budgetWindow({ period: '1M', alignment: 'calendar', anchorAt }, at('2026-04-02T00:00:00Z')),
      window('2026-04-01T00:00:00Z', '2026-05-01T00:00:00Z'),
      'the next month is whole',
    );
    assert.deepEqual(
      budgetWindow({ period: '1d', alignment: 'calendar', anchorAt: now + 5_000 }, now),
      window('2026-03-18T00:00:00Z', '2026-03-19T00:00:00Z'),
      'an anchor in the future (clock skew between replicas) is ignored',
    );
  });
});

describe('rolling budget windows', () => {
  const anchor = at('2026-01-31T10:15:00Z');

  it('lay fixed-length periods end to end from the anchor', () => {
    assert.deepEqual(rollingWindow('1h', anchor, anchor), window('2026-01-31T10:15:00Z', '2026-01-31T11:15:00Z'));
    assert.deepEqual(rollingWindow('1h', anchor, at('2026-01-31T13:20:00Z')), window('2026-01-31T13:15:00Z', '2026-01-31T14:15:00Z'));
    assert.deepEqual(rollingWindow('1d', anchor, at('2026-02-02T10:14:59.999Z')), window('2026-02-01T10:15:00Z', '2026-02-02T10:15:00Z'));
    assert.deepEqual(rollingWindow('1w', anchor, at('2026-02-07T10:15:00Z')), window('2026-02-07T10:15:00Z', '2026-02-14T10:15:00Z'));
    assert.deepEqual(rollingWindow('1m', anchor, anchor + 90_500), { startMs: anchor + 60_000, endMs: anchor + 120_000 });
  });

  it('step months from the anchor, clamping the day to short months', () => {
    assert.deepEqual(rollingWindow('1M', anchor, at('2026-02-15T00:00:00Z')), window('2026-01-31T10:15:00Z', '2026-02-28T10:15:00Z'));
    assert.deepEqual(rollingWindow('1M', anchor, at('2026-02-28T10:15:00Z')), window('2026-02-28T10:15:00Z', '2026-03-31T10:15:00Z'));
    assert.deepEqual(rollingWindow('1M', anchor, at('2026-04-30T10:14:00Z')), window('2026-03-31T10:15:00Z', '2026-04-30T10:15:00Z'));
    assert.deepEqual(rollingWindow('1Y', at('2024-02-29T00:00:00Z'), at('2025-03-01T00:00:00Z')), window('2025-02-28T00:00:00Z', '2026-02-28T00:00:00Z'));
  });

  it('restart from a reset: the anchor moves to the reset time', () => {
    const resetAt = at('2026-02-10T08:00:00Z');
    assert.deepEqual(budgetWindow({ period: '1M', alignment: 'rolling', anchorAt: resetAt }, at('2026-02-11T00:00:00Z')), window('2026-02-10T08:00:00Z', '2026-03-10T08:00:00Z'));
  });

  it('adds months in UTC keeping the time of day', () => {
    assert.equal(addMonthsUtc(at('2026-01-31T23:30:00Z'), 1), at('2026-02-28T23:30:00Z'));
    assert.equal(addMonthsUtc(at('2026-03-31T00:00:00Z'), -1), at('2026-02-28T00:00:00Z'));
    assert.equal(addMonthsUtc(at('2026-11-15T00:00:00Z'), 14), at('2028-01-15T00:00:00Z'));
  });
});

describe('rate-limit windows', () => {
  it('are fixed windows aligned on multiples of their length since the epoch', () => {
    assert.deepEqual(rateLimitWindow(60_000, at('2026-03-18T14:37:21Z')), window('2026-03-18T14:37:00Z', '2026-03-18T14:38:00Z'));
    assert.deepEqual(rateLimitWindow(10_000, at('2026-03-18T14:37:21Z')), window('2026-03-18T14:37:20Z', '2026-03-18T14:37:30Z'));
    assert.deepEqual(rateLimitWindow(86_400_000, at('2026-03-18T14:37:21Z')), window('2026-03-18T00:00:00Z', '2026-03-19T00:00:00Z'));
  });
});
