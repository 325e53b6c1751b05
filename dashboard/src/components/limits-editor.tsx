import { useState, type FormEvent } from 'react';
import { budgetsApi, logsApi, rateLimitsApi } from '../api/admin-api.js';
import type { Budget, BudgetPeriod, OwnerType, RateLimit } from '../api/api-types.js';
import { formatCount, formatPercent, formatUsd } from '../format.js';
import { ErrorBanner } from './error-banner.js';
import { useApi } from './use-api.js';

/** Budget periods, as the admin API names them. */
export const BUDGET_PERIODS: { value: BudgetPeriod; label: string }[] = [
  { value: '1d', label: 'day' },
  { value: '1w', label: 'week' },
  { value: '1M', label: 'month' },
  { value: '1h', label: 'hour' },
  { value: '1Y', label: 'year' },
];

const PERIOD_LABELS = new Map(BUDGET_PERIODS.map((period) => [period.value as string, period.label]));

/** A budget's spend in its current window, as a meter. */
export function BudgetMeter({ budget }: { budget: Budget }) {
  const spent = budget.current?.spent_usd ?? 0;
  const fraction = budget.limit_usd === 0 ? 1 : spent / budget.limit_usd;
  return (
    <div className="budget-meter" data-testid="budget-meter">
      <div>
        {formatUsd(spent)} of {formatUsd(budget.limit_usd)} per {PERIOD_LABELS.get(budget.period) ?? budget.period} <span className="muted">({formatPercent(fraction)})</span>
      </div>
      <div className={`meter${fraction >= 1 ? ' over' : ''}`}>
        <div style={{ width: `${Math.min(100, fraction * 100)}%` }} />
      </div>
    </div>
  );
}

/** A rate limit in words. */
export function describeRateLimit(limit: RateLimit): string {
  const parts = [limit.requests === null ? undefined : `${formatCount(limit.requests)} requests`, limit.tokens === null ? undefined : `${formatCount(limit.tokens)} tokens`].filter((part) => part !== undefined);
  return `${parts.join(' and ')} per ${limit.window}${limit.provider === '*' || limit.provider === '' ? '' : ` on ${limit.provider}`}`;
}

/**
 * The budgets and rate limits of one owner (customer, team or virtual key): each with its current
 * use — a budget's spend from the budget itself, a rate limit's requests and tokens in the last
 * window from the request log (`/api/logs/stats`; for virtual keys) — and forms to add and remove them.
 */
export function LimitsEditor({ ownerType, ownerId, budgets, rateLimits, onChange }: { ownerType: OwnerType; ownerId: string; budgets: readonly Budget[]; rateLimits: readonly RateLimit[]; onChange: () => Promise<void> }) {
  const [error, setError] = useState<string | undefined>();
  const [limitUsd, setLimitUsd] = useState('');
  const [period, setPeriod] = useState<BudgetPeriod>('1M');
  const [requests, setRequests] = useState('');
  const [tokens, setTokens] = useState('');
  const [window, setWindow] = useState('1m');

  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(undefined);
      await onChange();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  const addBudget = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await budgetsApi.create(ownerType, ownerId, { limit_usd: Number(limitUsd), period });
      setLimitUsd('');
    });
  };
  const addRateLimit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await rateLimitsApi.create(ownerType, ownerId, { window, ...(requests === '' ? {} : { requests: Number(requests) }), ...(tokens === '' ? {} : { tokens: Number(tokens) }) });
      setRequests('');
      setTokens('');
    });
  };

  return (
    <div className="limits">
      <ErrorBanner message={error} />
      <h3>Budgets</h3>
      {budgets.length === 0 && <p className="muted">No budget.</p>}
      {budgets.map((budget) => (
        <div key={budget.id} className="limit-row">
          <BudgetMeter budget={budget} />
          <button type="button" className="secondary" onClick={() => void run(() => budgetsApi.reset(budget.id))}>
            Reset
          </button>
          <button type="button" className="danger" onClick={() => void run(() => budgetsApi.remove(budget.id))}>
            Remove
          </button>
        </div>
      ))}
      <form className="form-row" onSubmit={addBudget} aria-label="Add a budget">
        <label>
          Budget limit (USD)
          <input type="number" min="0" step="0.01" value={limitUsd} onChange={(event) => setLimitUsd(event.target.value)} required />
        </label>
        <label>
          Per
          <select value={period} onChange={(event) => setPeriod(event.target.value as BudgetPeriod)}>
            {BUDGET_PERIODS.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="secondary">
          Add budget
        </button>
      </form>
      <h3>Rate limits</h3>
      {rateLimits.length === 0 && <p className="muted">No rate limit.</p>}
      {rateLimits.map((limit) => (
        <div key={limit.id} className="limit-row">
          <div>
            {describeRateLimit(limit)}
            {ownerType === 'virtual_key' && <RateLimitUse virtualKeyId={ownerId} window={limit.window} />}
          </div>
          <button type="button" className="danger" onClick={() => void run(() => rateLimitsApi.remove(limit.id))}>
            Remove
          </button>
        </div>
      ))}
      <form className="form-row" onSubmit={addRateLimit} aria-label="Add a rate limit">
        <label>
          Requests
          <input type="number" min="1" step="1" value={requests} onChange={(event) => setRequests(event.target.value)} />
        </label>
        <label>
          Tokens
          <input type="number" min="1" step="1" value={tokens} onChange={(event) => setTokens(event.target.value)} />
        </label>
        <label>
          Per window
          <input value={window} onChange={(event) => setWindow(event.target.value)} pattern="[1-9][0-9]{0,5}(s|m|h|d)" title="10s, 1m, 1h, 1d, …" required />
        </label>
        <button type="submit" className="secondary">
          Add rate limit
        </button>
      </form>
    </div>
  );
}

/** Requests and tokens of a virtual key in the last `window`, from the request log. */
function RateLimitUse({ virtualKeyId, window }: { virtualKeyId: string; window: string }) {
  const use = useApi(() => logsApi.stats({ virtual_key: virtualKeyId, from: window }), [virtualKeyId, window]);
  if (use.data === undefined) return null;
  return (
    <div className="muted">
      last {window}: {formatCount(use.data.requests)} requests, {formatCount(use.data.inputTokens + use.data.outputTokens + use.data.cacheWriteTokens)} tokens
    </div>
  );
}
