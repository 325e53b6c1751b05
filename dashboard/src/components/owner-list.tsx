import { useState, type FormEvent, type ReactNode } from 'react';
import { budgetsApi, rateLimitsApi, usageApi } from '../api/admin-api.js';
import type { Budget, OwnerType, RateLimit } from '../api/api-types.js';
import { formatCount, formatTime, formatUsd } from '../format.js';
import { ErrorBanner } from './error-banner.js';
import { BudgetMeter, describeRateLimit, LimitsEditor } from './limits-editor.js';
import { useApi } from './use-api.js';

/** An owner of budgets and rate limits as the list shows it. */
export interface OwnerEntry {
  id: string;
  name: string;
  created_at: string | null;
  /** Extra cells after the name (a team's customer). */
  details?: ReactNode;
}

/**
 * The shared body of the Teams and Customers pages: a create form, and a table of owners with
 * their budgets (spend in the current window), rate limits and usage of the last 30 days
 * (`/api/usage`), each editable, each deletable.
 */
export function OwnerList({
  ownerType,
  noun,
  owners,
  detailsHeader,
  createFields,
  onCreate,
  onDelete,
  reload,
}: {
  ownerType: OwnerType;
  noun: string;
  owners: readonly OwnerEntry[] | undefined;
  detailsHeader?: string;
  createFields?: ReactNode;
  onCreate: (name: string) => Promise<unknown>;
  onDelete: (id: string) => Promise<unknown>;
  reload: () => Promise<void>;
}) {
  // Reloaded when the set of owners changes (not on every new array of the same owners).
  const ownerIds = owners?.map((owner) => owner.id).join('\n');
  const limits = useApi(() => Promise.all([budgetsApi.list(), rateLimitsApi.list()]), [ownerIds]);
  const [name, setName] = useState('');
  const [editing, setEditing] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(undefined);
      await reload();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  const create = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => {
      await onCreate(name.trim());
      setName('');
    });
  };
  const budgetsOf = (id: string): Budget[] => limits.data?.[0].filter((budget) => budget.owner_type === ownerType && budget.owner_id === id) ?? [];
  const rateLimitsOf = (id: string): RateLimit[] => limits.data?.[1].filter((limit) => limit.owner_type === ownerType && limit.owner_id === id) ?? [];
  const columns = detailsHeader === undefined ? 6 : 7;

  return (
    <>
      <form className="card form-row" style={{ marginBottom: 16 }} onSubmit={create} aria-label={`Create a ${noun}`}>
        <label>
          New {noun}
          <input value={name} onChange={(event) => setName(event.target.value)} placeholder="name" required />
        </label>
        {createFields}
        <button type="submit">Create {noun}</button>
      </form>
      <ErrorBanner message={error ?? limits.error} />
      <div className="table-wrap">
        <table aria-label={`${noun}s`}>
          <thead>
            <tr>
              <th>Name</th>
              {detailsHeader !== undefined && <th>{detailsHeader}</th>}
              <th>Budgets and rate limits</th>
              <th>Last 30 days</th>
              <th>Created</th>
              <th />
              <th />
            </tr>
          </thead>
          <tbody>
            {owners?.map((owner) => [
              <tr key={owner.id}>
                <td>
                  <strong>{owner.name}</strong>
                </td>
                {detailsHeader !== undefined && <td>{owner.details}</td>}
                <td>
                  <div className="stack">
                    {budgetsOf(owner.id).map((budget) => (
                      <BudgetMeter key={budget.id} budget={budget} />
                    ))}
                    {rateLimitsOf(owner.id).map((limit) => (
                      <span key={limit.id}>{describeRateLimit(limit)}</span>
                    ))}
                    {budgetsOf(owner.id).length === 0 && rateLimitsOf(owner.id).length === 0 && <span className="muted">none</span>}
                  </div>
                </td>
                <td>
                  <OwnerUsage ownerType={ownerType} ownerId={owner.id} />
                </td>
                <td>{formatTime(owner.created_at)}</td>
                <td>
                  <button type="button" className="secondary" onClick={() => setEditing(editing === owner.id ? undefined : owner.id)}>
                    {editing === owner.id ? 'Close' : 'Limits'}
                  </button>
                </td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    onClick={() => {
                      if (window.confirm(`Delete ${noun} “${owner.name}” with its budgets and rate limits?`)) void act(() => onDelete(owner.id));
                    }}
                  >
                    Delete
                  </button>
                </td>
              </tr>,
              editing === owner.id ? (
                <tr key={`${owner.id}-limits`}>
                  <td colSpan={columns + 1}>
                    <LimitsEditor ownerType={ownerType} ownerId={owner.id} budgets={budgetsOf(owner.id)} rateLimits={rateLimitsOf(owner.id)} onChange={limits.reload} />
                  </td>
                </tr>
              ) : null,
            ])}
            {owners?.length === 0 && (
              <tr>
                <td colSpan={columns + 1} className="muted">
                  No {noun}s yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

function OwnerUsage({ ownerType, ownerId }: { ownerType: OwnerType; ownerId: string }) {
  const usage = useApi(() => usageApi.totals({ owner_type: ownerType, owner_id: ownerId, from: new Date(Date.now() - 30 * 86_400_000).toISOString() }), [ownerType, ownerId]);
  if (usage.data === undefined) return <span className="muted">–</span>;
  return (
    <span>
      {formatCount(usage.data.requests)} requests, {formatUsd(usage.data.cost_usd)}
    </span>
  );
}
