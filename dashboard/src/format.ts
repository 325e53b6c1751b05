/** Display formats shared by the pages. */

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });
const count = new Intl.NumberFormat('en-US');
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** USD, with up to 4 decimals (requests often cost fractions of a cent). */
export function formatUsd(value: number): string {
  return usd.format(value);
}

/** A count with thousands separators. */
export function formatCount(value: number): string {
  return count.format(value);
}

/** A count in short form (12.3K). */
export function formatCompact(value: number): string {
  return compact.format(value);
}

/** A duration in ms as `850 ms` or `2.4 s`; a dash for none. */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
}

/** A time (ms since the epoch or ISO text) in the browser's locale; a dash for none. */
export function formatTime(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toLocaleString();
}

/** A fraction as a percentage. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

/** A time for a list row: the time of day (with seconds) today, otherwise a short date and time. */
export function formatShortTime(value: number): string {
  const date = new Date(value);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return date.toLocaleTimeString();
  return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}
