import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { budgetsApi, customersApi, rateLimitsApi, teamsApi, virtualKeysApi } from '../api/admin-api.js';
import type { Budget, BudgetPeriod, CreatedVirtualKey, Customer, RateLimit, Team, VirtualKey, VirtualKeyCreate } from '../api/api-types.js';
import { ApiError } from '../api/api-client.js';
import { CopyButton } from '../components/copy-button.js';
import { ErrorBanner } from '../components/error-banner.js';
import { FallbackChainEditor, fallbackIndexOf } from '../components/fallback-chain-editor.js';
import { BUDGET_PERIODS, BudgetMeter, describeRateLimit, LimitsEditor } from '../components/limits-editor.js';
import { useApi } from '../components/use-api.js';
import { formatTime } from '../format.js';
import { allowsAll, editablePatterns, joinList, patternsOrAll, splitList } from '../list-input.js';
import { rememberKeySecret } from '../recent-key-secrets.js';

interface KeysData {
  keys: VirtualKey[];
  teams: Team[];
  customers: Customer[];
  budgets: Budget[];
  rateLimits: RateLimit[];
}

async function loadKeys(): Promise<KeysData> {
  const [keys, teams, customers, budgets, rateLimits] = await Promise.all([virtualKeysApi.list(), teamsApi.list(), customersApi.list(), budgetsApi.list(), rateLimitsApi.list()]);
  return { keys, teams, customers, budgets, rateLimits };
}

const STATE_BADGES: Record<VirtualKey['state'], string> = { active: 'success', inactive: 'warning', revoked: 'error', expired: 'error' };

/**
 * Virtual keys: create one (its `hk-…` secret shown once, with a copy button), see each key's
 * budgets with their spend and its rate limits, edit allowed models, providers, MCP tool access and
 * the key's fallback chain (`fallbacks`: tried in order when the routed model fails), rotate, revoke. Lists show only the `hk-xxxx` prefix: the gateway keeps no secret to show.
 */
export function VirtualKeysPage() {
  const data = useApi(loadKeys);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedVirtualKey | undefined>();
  const [editing, setEditing] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  const act = async (action: () => Promise<unknown>) => {
    try {
      await action();
      setError(undefined);
      await data.reload();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  const showSecret = (result: CreatedVirtualKey) => {
    rememberKeySecret(result.virtual_key.id, result.virtual_key.name, result.secret);
    setCreated(result);
  };

  const owner = (key: VirtualKey) => {
    if (key.team_id !== null) return `team ${data.data?.teams.find((team) => team.id === key.team_id)?.name ?? key.team_id}`;
    if (key.customer_id !== null) return `customer ${data.data?.customers.find((customer) => customer.id === key.customer_id)?.name ?? key.customer_id}`;
    return '–';
  };

  return (
    <section>
      <header className="page-header">
        <h1>Virtual keys</h1>
        <div className="actions">
          <button type="button" onClick={() => setCreating(!creating)}>
            {creating ? 'Close' : 'New virtual key'}
          </button>
        </div>
      </header>
      <ErrorBanner message={data.error ?? error} />
      {created !== undefined && (
        <div className="notice" data-testid="created-secret">
          <strong>Key “{created.virtual_key.name}” created.</strong> Copy it now: Heimdall keeps only its hash and will not show it again.
          <div className="secret-once">
            <code data-testid="secret-value">{created.secret}</code>
            <CopyButton text={created.secret} />
            <button type="button" className="secondary" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </div>
          <p className="muted" style={{ marginBottom: 0 }}>
            Use it as <code>x-api-key</code> (or <code>ANTHROPIC_API_KEY</code> / <code>ANTHROPIC_AUTH_TOKEN</code> for Claude Code, see <Link to="/claude-code">Claude Code setup</Link>).
          </p>
        </div>
      )}
      {creating && data.data !== undefined && (
        <CreateKeyForm
          teams={data.data.teams}
          customers={data.data.customers}
          onCreated={async (result) => {
            showSecret(result);
            setCreating(false);
            await data.reload();
          }}
        />
      )}
      <div className="table-wrap">
        <table aria-label="Virtual keys">
          <thead>
            <tr>
              <th>Name</th>
              <th>Key</th>
              <th>State</th>
              <th>Owner</th>
              <th>Allowed models</th>
              <th>MCP tools</th>
              <th>Fallbacks</th>
              <th>Budgets and rate limits</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.data?.keys.map((key) => {
              const budgets = data.data?.budgets.filter((budget) => budget.owner_type === 'virtual_key' && budget.owner_id === key.id) ?? [];
              const rateLimits = data.data?.rateLimits.filter((limit) => limit.owner_type === 'virtual_key' && limit.owner_id === key.id) ?? [];
              const live = key.state !== 'revoked';
              return [
                <tr key={key.id} data-testid="virtual-key-row">
                  <td className="nowrap">
                    <strong>{key.name}</strong>
                  </td>
                  <td className="mono nowrap">{key.key_prefix}</td>
                  <td>
                    <span className={`badge ${STATE_BADGES[key.state]}`}>{key.state}</span>
                  </td>
                  <td>{owner(key)}</td>
                  <td>{allowsAll(key.allowed_models) ? <span className="muted">all</span> : key.allowed_models.length === 0 ? <span className="muted">none</span> : <span className="mono">{joinList(key.allowed_models)}</span>}</td>
                  <td>{key.mcp_tools === null ? <span className="muted">all</span> : key.mcp_tools.length === 0 ? <span className="muted">none</span> : <span className="mono">{joinList(key.mcp_tools)}</span>}</td>
                  <td data-testid="key-fallbacks">{key.fallbacks.length === 0 ? <span className="muted">none</span> : <span className="mono">{key.fallbacks.join(' → ')}</span>}</td>
                  <td>
                    <div className="stack">
                      {budgets.map((budget) => (
                        <BudgetMeter key={budget.id} budget={budget} />
                      ))}
                      {rateLimits.map((limit) => (
                        <span key={limit.id}>{describeRateLimit(limit)}</span>
                      ))}
                      {budgets.length === 0 && rateLimits.length === 0 && <span className="muted">none</span>}
                    </div>
                  </td>
                  <td>{formatTime(key.created_at)}</td>
                  <td>
                    <div className="stack">
                      <button type="button" className="secondary" onClick={() => setEditing(editing === key.id ? undefined : key.id)}>
                        {editing === key.id ? 'Close' : 'Edit'}
                      </button>
                      {live && (
                        <>
                          <button type="button" className="secondary" onClick={() => void act(async () => showSecret(await virtualKeysApi.rotate(key.id)))}>
                            Rotate
                          </button>
                          <button
                            type="button"
                            className="danger"
                            onClick={() => {
                              if (window.confirm(`Revoke “${key.name}” for good? Requests with it are refused at once.`)) void act(() => virtualKeysApi.revoke(key.id));
                            }}
                          >
                            Revoke
                          </button>
                        </>
                      )}
                    </div>
                  </td>
                </tr>,
                editing === key.id && data.data !== undefined ? (
                  <tr key={`${key.id}-edit`}>
                    <td colSpan={10}>
                      <EditKey virtualKey={key} budgets={budgets} rateLimits={rateLimits} onChange={data.reload} />
                    </td>
                  </tr>
                ) : null,
              ];
            })}
            {data.data?.keys.length === 0 && (
              <tr>
                <td colSpan={10} className="muted">
                  No virtual keys yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function CreateKeyForm({ teams, customers, onCreated }: { teams: readonly Team[]; customers: readonly Customer[]; onCreated: (result: CreatedVirtualKey) => Promise<void> }) {
  const [name, setName] = useState('');
  const [ownerChoice, setOwnerChoice] = useState('');
  const [models, setModels] = useState('');
  const [providers, setProviders] = useState('');
  const [mcpTools, setMcpTools] = useState('');
  const [restrictMcp, setRestrictMcp] = useState(false);
  const [logContent, setLogContent] = useState(true);
  const [fallbacks, setFallbacks] = useState<string[]>([]);
  const [badFallback, setBadFallback] = useState<number | undefined>();
  const [budgetUsd, setBudgetUsd] = useState('');
  const [budgetPeriod, setBudgetPeriod] = useState<BudgetPeriod>('1M');
  const [requests, setRequests] = useState('');
  const [tokens, setTokens] = useState('');
  const [window, setWindow] = useState('1m');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const body: VirtualKeyCreate = { name: name.trim(), log_content: logContent };
    if (ownerChoice.startsWith('team:')) body.team_id = ownerChoice.slice('team:'.length);
    if (ownerChoice.startsWith('customer:')) body.customer_id = ownerChoice.slice('customer:'.length);
    if (splitList(models).length > 0) body.allowed_models = splitList(models);
    if (splitList(providers).length > 0) body.allowed_providers = splitList(providers);
    if (restrictMcp) body.mcp_tools = splitList(mcpTools);
    const chain = fallbacks.map((entry) => entry.trim()).filter((entry) => entry !== '');
    if (chain.length > 0) body.fallbacks = chain;
    if (budgetUsd !== '') body.budgets = [{ limit_usd: Number(budgetUsd), period: budgetPeriod }];
    if (requests !== '' || tokens !== '') body.rate_limits = [{ window, ...(requests === '' ? {} : { requests: Number(requests) }), ...(tokens === '' ? {} : { tokens: Number(tokens) }) }];
    try {
      await onCreated(await virtualKeysApi.create(body));
    } catch (failure) {
      setBadFallback(failure instanceof ApiError ? fallbackIndexOf(failure.param) : undefined);
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card" style={{ marginBottom: 16 }} onSubmit={(event) => void submit(event)} aria-label="New virtual key">
      <h2 style={{ marginTop: 0 }}>New virtual key</h2>
      <ErrorBanner message={error} />
      <div className="form-row">
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} required />
        </label>
        <label>
          Owner
          <select value={ownerChoice} onChange={(event) => setOwnerChoice(event.target.value)}>
            <option value="">none</option>
            {teams.map((team) => (
              <option key={team.id} value={`team:${team.id}`}>
                team {team.name}
              </option>
            ))}
            {customers.map((customer) => (
              <option key={customer.id} value={`customer:${customer.id}`}>
                customer {customer.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="form-row">
        <label>
          Allowed models (comma-separated; empty: all)
          <input value={models} onChange={(event) => setModels(event.target.value)} placeholder="claude-sonnet-4-5, gpt-*" />
        </label>
        <label>
          Allowed providers (empty: all)
          <input value={providers} onChange={(event) => setProviders(event.target.value)} placeholder="anthropic, openai" />
        </label>
      </div>
      <div className="form-row">
        <label className="checkbox">
          <input type="checkbox" checked={restrictMcp} onChange={(event) => setRestrictMcp(event.target.checked)} /> Restrict MCP tools
        </label>
        {restrictMcp && (
          <label>
            MCP tools the key may call (patterns over server__tool; empty: none)
            <input value={mcpTools} onChange={(event) => setMcpTools(event.target.value)} placeholder="github__*, filesystem__read_file" />
          </label>
        )}
        <label className="checkbox">
          <input type="checkbox" checked={logContent} onChange={(event) => setLogContent(event.target.checked)} /> Log request content
        </label>
      </div>
      <FallbackChainEditor label="Fallback" entries={fallbacks} onChange={setFallbacks} badIndex={badFallback} />
      <div className="form-row">
        <label>
          Budget (USD, optional)
          <input type="number" min="0" step="0.01" value={budgetUsd} onChange={(event) => setBudgetUsd(event.target.value)} />
        </label>
        <label>
          Budget period
          <select value={budgetPeriod} onChange={(event) => setBudgetPeriod(event.target.value as BudgetPeriod)}>
            {BUDGET_PERIODS.map((option) => (
              <option key={option.value} value={option.value}>
                per {option.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Rate limit: requests
          <input type="number" min="1" step="1" value={requests} onChange={(event) => setRequests(event.target.value)} />
        </label>
        <label>
          tokens
          <input type="number" min="1" step="1" value={tokens} onChange={(event) => setTokens(event.target.value)} />
        </label>
        <label>
          per window
          <input value={window} onChange={(event) => setWindow(event.target.value)} pattern="[1-9][0-9]{0,5}(s|m|h|d)" title="10s, 1m, 1h, 1d, …" />
        </label>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Creating…' : 'Create key'}
      </button>
    </form>
  );
}

function EditKey({ virtualKey, budgets, rateLimits, onChange }: { virtualKey: VirtualKey; budgets: readonly Budget[]; rateLimits: readonly RateLimit[]; onChange: () => Promise<void> }) {
  const [models, setModels] = useState(editablePatterns(virtualKey.allowed_models));
  const [providers, setProviders] = useState(editablePatterns(virtualKey.allowed_providers));
  const [restrictMcp, setRestrictMcp] = useState(virtualKey.mcp_tools !== null);
  const [mcpTools, setMcpTools] = useState(joinList(virtualKey.mcp_tools));
  const [active, setActive] = useState(virtualKey.active);
  const [logContent, setLogContent] = useState(virtualKey.log_content);
  const [fallbacks, setFallbacks] = useState<string[]>(virtualKey.fallbacks);
  const [badFallback, setBadFallback] = useState<number | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await virtualKeysApi.update(virtualKey.id, {
        allowed_models: patternsOrAll(models),
        allowed_providers: patternsOrAll(providers),
        mcp_tools: restrictMcp ? splitList(mcpTools) : null,
        active,
        log_content: logContent,
        fallbacks: fallbacks.map((entry) => entry.trim()).filter((entry) => entry !== ''),
      });
      setError(undefined);
      setBadFallback(undefined);
      setSaved(true);
      await onChange();
    } catch (failure) {
      setSaved(false);
      setBadFallback(failure instanceof ApiError ? fallbackIndexOf(failure.param) : undefined);
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  return (
    <div className="grid-2">
      <form onSubmit={(event) => void save(event)} aria-label={`Edit ${virtualKey.name}`}>
        <h3>Access</h3>
        <ErrorBanner message={error} />
        <div className="form-row">
          <label>
            Allowed models (empty: all)
            <input value={models} onChange={(event) => setModels(event.target.value)} />
          </label>
        </div>
        <div className="form-row">
          <label>
            Allowed providers (empty: all)
            <input value={providers} onChange={(event) => setProviders(event.target.value)} />
          </label>
        </div>
        <div className="form-row">
          <label className="checkbox">
            <input type="checkbox" checked={restrictMcp} onChange={(event) => setRestrictMcp(event.target.checked)} /> Restrict MCP tools
          </label>
          {restrictMcp && (
            <label>
              MCP tools (patterns; empty: none)
              <input value={mcpTools} onChange={(event) => setMcpTools(event.target.value)} />
            </label>
          )}
        </div>
        <div className="form-row">
          <label className="checkbox">
            <input type="checkbox" checked={active} onChange={(event) => setActive(event.target.checked)} disabled={virtualKey.state === 'revoked'} /> Active
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={logContent} onChange={(event) => setLogContent(event.target.checked)} /> Log request content
          </label>
        </div>
        <FallbackChainEditor label="Fallback" entries={fallbacks} onChange={(next) => { setFallbacks(next); setSaved(false); }} badIndex={badFallback} />
        <button type="submit">Save</button> {saved && <span className="muted">Saved.</span>}
      </form>
      <LimitsEditor ownerType="virtual_key" ownerId={virtualKey.id} budgets={budgets} rateLimits={rateLimits} onChange={onChange} />
    </div>
  );
}
