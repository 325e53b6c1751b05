import { useMemo, useState, type ReactElement } from 'react';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { budgetsApi, logsApi, virtualKeysApi } from '../api/admin-api.js';
import type { Budget, LogBucket, LogDimension, LogGroup, VirtualKey } from '../api/api-types.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import { formatCompact, formatCount, formatMs, formatPercent, formatUsd } from '../format.js';

/** The time ranges the overview offers, each with the bucket length of its charts. */
const RANGES = [
  { id: '1h', label: 'Last hour', bucket: '1m', bucketMs: 60_000, rangeMs: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', bucket: '1h', bucketMs: 3_600_000, rangeMs: 86_400_000 },
  { id: '7d', label: 'Last 7 days', bucket: '6h', bucketMs: 21_600_000, rangeMs: 604_800_000 },
  { id: '30d', label: 'Last 30 days', bucket: '1d', bucketMs: 86_400_000, rangeMs: 2_592_000_000 },
] as const;
type RangeId = (typeof RANGES)[number]['id'];

const DIMENSIONS: { dimension: LogDimension; title: string; logFilter: string }[] = [
  { dimension: 'provider', title: 'By provider', logFilter: 'provider' },
  { dimension: 'model', title: 'By model', logFilter: 'model' },
  { dimension: 'request_kind', title: 'By request kind', logFilter: 'request_kind' },
  { dimension: 'virtual_key', title: 'Top spenders (virtual keys)', logFilter: 'virtual_key' },
];

const COLORS = { requests: '#1f5fbf', errors: '#b42318', input: '#5b8def', output: '#f2a93b', cost: '#137333', latency: '#7c4dff' };

/** Every bucket of the range, zero where nothing happened, so the charts show quiet periods. */
function filledSeries(series: readonly LogBucket[], bucketMs: number, rangeMs: number, now: number): LogBucket[] {
  const byStart = new Map(series.map((bucket) => [bucket.start, bucket]));
  const first = Math.floor((now - rangeMs) / bucketMs) * bucketMs;
  const filled: LogBucket[] = [];
  for (let start = first + bucketMs; start <= now; start += bucketMs) {
    filled.push(byStart.get(start) ?? { start, requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, averageLatencyMs: null });
  }
  return filled;
}

function tickFormatter(bucketMs: number): (start: number) => string {
  return (start) => {
    const date = new Date(start);
    return bucketMs >= 86_400_000 ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : bucketMs >= 21_600_000 ? date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit' }) : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  };
}

/**
 * Requests, errors, tokens, cost and latency over time and by provider, model, request kind and
 * virtual key (`/api/logs/stats` with `bucket` and `group_by`), and budget use per virtual key
 * (`/api/budgets` with their current spend).
 */
export function OverviewPage() {
  const [rangeId, setRangeId] = useState<RangeId>('24h');
  const range = RANGES.find((candidate) => candidate.id === rangeId) ?? RANGES[1];
  const [loadedAt, setLoadedAt] = useState(() => Date.now());
  const stats = useApi(() => logsApi.stats({ from: range.id }, { bucket: range.bucket, group_by: DIMENSIONS.map((entry) => entry.dimension), group_limit: 8 }), [range.id, loadedAt]);
  const budgets = useApi(() => Promise.all([budgetsApi.list(), virtualKeysApi.list()]), [loadedAt]);
  const data = stats.data;
  const series = useMemo(() => (data?.series === undefined ? [] : filledSeries(data.series, range.bucketMs, range.rangeMs, loadedAt)), [data, range, loadedAt]);
  const formatTick = tickFormatter(range.bucketMs);
  const tooltipLabel = (label: unknown) => (typeof label === 'number' ? new Date(label).toLocaleString() : String(label));

  return (
    <section>
      <header className="page-header">
        <h1>Overview</h1>
        <div className="actions">
          <select aria-label="Time range" value={rangeId} onChange={(event) => setRangeId(event.target.value as RangeId)}>
            {RANGES.map((candidate) => (
              <option key={candidate.id} value={candidate.id}>
                {candidate.label}
              </option>
            ))}
          </select>
          <button type="button" className="secondary" onClick={() => setLoadedAt(Date.now())}>
            Refresh
          </button>
        </div>
      </header>
      <ErrorBanner message={stats.error} />
      {data !== undefined && (
        <>
          <div className="tiles" data-testid="overview-tiles">
            <Tile label="Requests" value={formatCount(data.requests)} />
            <Tile label="Errors" value={`${formatCount(data.errors)} (${formatPercent(data.errorRate)})`} />
            <Tile label="Input tokens" value={formatCompact(data.inputTokens)} />
            <Tile label="Output tokens" value={formatCompact(data.outputTokens)} />
            <Tile label="Cost" value={formatUsd(data.costUsd)} />
            <Tile label="Latency p50 / p99" value={`${formatMs(data.latencyMs.p50)} / ${formatMs(data.latencyMs.p99)}`} />
            <Tile label="First token p50" value={formatMs(data.timeToFirstTokenMs.p50)} />
          </div>
          {data.dropped > 0 && <div className="notice">{formatCount(data.dropped)} log records were dropped under load (not in these figures).</div>}
          <div className="grid-2">
            <ChartCard title="Requests and errors">
              <BarChart data={series}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="start" tickFormatter={formatTick} minTickGap={24} />
                <YAxis allowDecimals={false} width={40} />
                <Tooltip labelFormatter={tooltipLabel} />
                <Legend />
                <Bar dataKey="requests" name="requests" fill={COLORS.requests} isAnimationActive={false} />
                <Bar dataKey="errors" name="errors" fill={COLORS.errors} isAnimationActive={false} />
              </BarChart>
            </ChartCard>
            <ChartCard title="Tokens">
              <BarChart data={series}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="start" tickFormatter={formatTick} minTickGap={24} />
                <YAxis tickFormatter={(value: number) => formatCompact(value)} width={48} />
                <Tooltip labelFormatter={tooltipLabel} formatter={(value) => formatCount(Number(value))} />
                <Legend />
                <Bar dataKey="inputTokens" name="input" stackId="tokens" fill={COLORS.input} isAnimationActive={false} />
                <Bar dataKey="outputTokens" name="output" stackId="tokens" fill={COLORS.output} isAnimationActive={false} />
              </BarChart>
            </ChartCard>
            <ChartCard title="Cost (USD)">
              <BarChart data={series}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="start" tickFormatter={formatTick} minTickGap={24} />
                <YAxis tickFormatter={(value: number) => `$${value}`} width={56} />
                <Tooltip labelFormatter={tooltipLabel} formatter={(value) => formatUsd(Number(value))} />
                <Bar dataKey="costUsd" name="cost" fill={COLORS.cost} isAnimationActive={false} />
              </BarChart>
            </ChartCard>
            <ChartCard title="Mean latency">
              <LineChart data={series}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="start" tickFormatter={formatTick} minTickGap={24} />
                <YAxis tickFormatter={(value: number) => formatMs(value)} width={56} />
                <Tooltip labelFormatter={tooltipLabel} formatter={(value) => formatMs(Number(value))} />
                <Line type="monotone" dataKey="averageLatencyMs" name="latency" stroke={COLORS.latency} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
              </LineChart>
            </ChartCard>
          </div>
          <div className="grid-2" style={{ marginTop: 16 }}>
            {DIMENSIONS.map((entry) => (
              <BreakdownTable key={entry.dimension} title={entry.title} groups={data.groups?.[entry.dimension] ?? []} logFilter={entry.logFilter} since={range.id} />
            ))}
          </div>
        </>
      )}
      <h2>Budget use per virtual key</h2>
      <ErrorBanner message={budgets.error} />
      {budgets.data !== undefined && <BudgetUse budgets={budgets.data[0]} keys={budgets.data[1]} />}
    </section>
  );
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div className="tile">
      <div className="tile-label">{label}</div>
      <div className="tile-value">{value}</div>
    </div>
  );
}

function ChartCard({ title, children }: { title: string; children: ReactElement }) {
  return (
    <div className="card chart-card">
      <h3 style={{ marginTop: 0 }}>{title}</h3>
      <div style={{ width: '100%', height: 220 }}>
        <ResponsiveContainer width="100%" height="100%">
          {children}
        </ResponsiveContainer>
      </div>
    </div>
  );
}

function BreakdownTable({ title, groups, logFilter, since }: { title: string; groups: readonly LogGroup[]; logFilter: string; since: string }) {
  const maxCost = Math.max(0, ...groups.map((group) => group.costUsd));
  return (
    <div className="card" style={{ marginTop: 0 }}>
      <h3 style={{ marginTop: 0 }}>{title}</h3>
      <table aria-label={title}>
        <thead>
          <tr>
            <th>Name</th>
            <th className="number">Requests</th>
            <th className="number">Errors</th>
            <th className="number">Tokens</th>
            <th className="number">Cost</th>
            <th style={{ width: '22%' }} />
          </tr>
        </thead>
        <tbody>
          {groups.map((group) => (
            <tr key={group.key ?? '(none)'}>
              <td>{group.key === null ? <span className="muted">(none)</span> : <Link to={`/logs?${new URLSearchParams({ [logFilter]: group.key, from: since }).toString()}`}>{group.label ?? group.key}</Link>}</td>
              <td className="number">{formatCount(group.requests)}</td>
              <td className="number">{formatCount(group.errors)}</td>
              <td className="number">{formatCompact(group.inputTokens + group.outputTokens)}</td>
              <td className="number">{formatUsd(group.costUsd)}</td>
              <td>
                <div className="meter">
                  <div style={{ width: `${maxCost === 0 ? 0 : (group.costUsd / maxCost) * 100}%` }} />
                </div>
              </td>
            </tr>
          ))}
          {groups.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No requests in this range.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

const PERIOD_NAMES: Record<string, string> = { '1m': 'minute', '1h': 'hour', '1d': 'day', '1w': 'week', '1M': 'month', '1Y': 'year' };

function BudgetUse({ budgets, keys }: { budgets: readonly Budget[]; keys: readonly VirtualKey[] }) {
  const names = new Map(keys.map((key) => [key.id, key.name]));
  const keyBudgets = budgets.filter((budget) => budget.owner_type === 'virtual_key');
  if (keyBudgets.length === 0) {
    return (
      <p className="muted">
        No virtual key has a budget. Set one on the <Link to="/keys">Virtual keys</Link> page.
      </p>
    );
  }
  const sorted = [...keyBudgets].sort((left, right) => (right.current?.spent_usd ?? 0) / right.limit_usd - (left.current?.spent_usd ?? 0) / left.limit_usd);
  return (
    <div className="table-wrap">
      <table aria-label="Budget use per virtual key">
        <thead>
          <tr>
            <th>Virtual key</th>
            <th>Period</th>
            <th className="number">Spent</th>
            <th className="number">Limit</th>
            <th style={{ width: '30%' }}>Use</th>
            <th>Window ends</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((budget) => {
            const spent = budget.current?.spent_usd ?? 0;
            const fraction = budget.limit_usd === 0 ? 1 : spent / budget.limit_usd;
            return (
              <tr key={budget.id}>
                <td>{names.get(budget.owner_id) ?? budget.owner_id}</td>
                <td>
                  per {PERIOD_NAMES[budget.period] ?? budget.period} ({budget.alignment})
                </td>
                <td className="number">{formatUsd(spent)}</td>
                <td className="number">{formatUsd(budget.limit_usd)}</td>
                <td>
                  <div className={`meter${fraction >= 1 ? ' over' : ''}`} title={formatPercent(fraction)}>
                    <div style={{ width: `${Math.min(100, fraction * 100)}%` }} />
                  </div>
                  <span className="muted">{formatPercent(fraction)}</span>
                </td>
                <td>{budget.current?.window_end === null || budget.current === undefined ? '–' : new Date(budget.current.window_end).toLocaleString()}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
