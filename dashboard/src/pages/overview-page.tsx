import { logsApi } from '../api/admin-api.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import { formatCount, formatMs, formatPercent, formatUsd } from '../format.js';

/** Totals of the last 24 hours from `/api/logs/stats`. */
export function OverviewPage() {
  const stats = useApi(() => logsApi.stats({ from: '24h' }));
  const data = stats.data;
  return (
    <section>
      <header className="page-header">
        <h1>Overview</h1>
        <span className="muted">last 24 hours</span>
      </header>
      <ErrorBanner message={stats.error} />
      {data !== undefined && (
        <div className="tiles">
          <Tile label="Requests" value={formatCount(data.requests)} />
          <Tile label="Errors" value={`${formatCount(data.errors)} (${formatPercent(data.errorRate)})`} />
          <Tile label="Tokens in / out" value={`${formatCount(data.inputTokens)} / ${formatCount(data.outputTokens)}`} />
          <Tile label="Cost" value={formatUsd(data.costUsd)} />
          <Tile label="Latency p50 / p99" value={`${formatMs(data.latencyMs.p50)} / ${formatMs(data.latencyMs.p99)}`} />
        </div>
      )}
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
