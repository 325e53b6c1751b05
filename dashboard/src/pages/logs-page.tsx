import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router';
import { logsApi } from '../api/admin-api.js';
import type { LogFilter, LogRecord, LogSummary } from '../api/api-types.js';
import { followLogTail } from '../api/log-tail.js';
import { ConversationView } from '../components/conversation-view.js';
import { ErrorBanner } from '../components/error-banner.js';
import { StatusBadge } from '../components/status-badge.js';
import { useApi } from '../components/use-api.js';
import { prettyJson, readConversation } from '../conversation.js';
import { formatCount, formatMs, formatShortTime, formatTime, formatUsd } from '../format.js';

/** Claude Code request kinds (see src/routing request kinds). */
const REQUEST_KINDS = ['main', 'subagent', 'background', 'title', 'compaction', 'other'];
/** The filter fields, as query parameters of both this page and `/api/logs`. */
const FILTER_FIELDS = ['provider', 'model', 'virtual_key', 'status', 'request_kind', 'search', 'from'] as const;
type FilterField = (typeof FILTER_FIELDS)[number];
/** Rows kept in the list while tailing. */
const MAX_ROWS = 500;

/** The request log: the list with its filters and live tail at `/logs`, one request at `/logs/<id>`. */
export function LogsPage() {
  return (
    <Routes>
      <Route index element={<LogList />} />
      <Route path=":id" element={<LogDetail />} />
    </Routes>
  );
}

function filterOf(parameters: URLSearchParams): LogFilter {
  const filter: LogFilter = {};
  for (const field of FILTER_FIELDS) {
    const value = parameters.get(field);
    if (value !== null && value !== '') filter[field] = value;
  }
  return filter;
}

function LogList() {
  const [parameters, setParameters] = useSearchParams();
  // Keyed by its JSON so that an unchanged filter in new URL parameters keeps its identity.
  const filterKey = JSON.stringify(filterOf(parameters));
  const filter = useMemo(() => JSON.parse(filterKey) as LogFilter, [filterKey]);
  const [draft, setDraft] = useState<Record<FilterField, string>>(() => Object.fromEntries(FILTER_FIELDS.map((field) => [field, filter[field] ?? ''])) as Record<FilterField, string>);
  const [rows, setRows] = useState<LogSummary[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [loading, setLoading] = useState(true);
  const [live, setLive] = useState(true);
  const [tailState, setTailState] = useState<'connecting' | 'live' | 'error' | 'off'>('off');
  const navigate = useNavigate();

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const page = await logsApi.list(filter, 50);
      setRows(page.data);
      setCursor(page.next_cursor);
      setError(undefined);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setLoading(false);
    }
  }, [filter]);

  useEffect(() => {
    void load();
  }, [load]);

  // The live tail does not apply full-text search, so it is off while searching.
  const tailing = live && filter.search === undefined;
  useEffect(() => {
    if (!tailing) {
      setTailState('off');
      return undefined;
    }
    return followLogTail(filter, {
      onRecord: (record) => {
        setRows((current) => (current.some((row) => row.id === record.id) ? current : [record, ...current].slice(0, MAX_ROWS)));
        setFresh((current) => new Set([...current, record.id]));
      },
      onState: setTailState,
    });
  }, [tailing, filter]);

  const more = async () => {
    if (cursor === null) return;
    try {
      const page = await logsApi.list(filter, 50, cursor);
      setRows((current) => [...current, ...page.data.filter((record) => !current.some((row) => row.id === record.id))]);
      setCursor(page.next_cursor);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const field of FILTER_FIELDS) if (draft[field].trim() !== '') next.set(field, draft[field].trim());
    setParameters(next);
  };
  const clear = () => {
    setDraft(Object.fromEntries(FILTER_FIELDS.map((field) => [field, ''])) as Record<FilterField, string>);
    setParameters(new URLSearchParams());
  };
  const field = (name: FilterField) => ({ name, value: draft[name], onChange: (event: { target: { value: string } }) => setDraft({ ...draft, [name]: event.target.value }) });
  // Suggestions for the text filters: the providers, models and keys of the last 30 days.
  const known = useApi(() => logsApi.stats({ from: '30d' }, { group_by: ['provider', 'model', 'virtual_key'], group_limit: 50 }));
  const suggestions = (dimension: 'provider' | 'model' | 'virtual_key') =>
    (known.data?.groups?.[dimension] ?? []).flatMap((group) => (group.key === null ? [] : [<option key={group.key} value={dimension === 'virtual_key' ? (group.label ?? group.key) : group.key} />]));

  return (
    <section>
      <header className="page-header">
        <h1>Logs</h1>
        <span className={tailState === 'live' ? 'live-indicator' : 'muted'} data-testid="tail-state">
          {tailState === 'live' ? '● live' : tailState === 'connecting' ? 'connecting…' : tailState === 'error' ? 'tail disconnected, retrying' : filter.search !== undefined && live ? 'live tail paused while searching' : 'paused'}
        </span>
        <div className="actions">
          <label className="checkbox">
            <input type="checkbox" checked={live} onChange={(event) => setLive(event.target.checked)} /> Live tail
          </label>
          <button type="button" className="secondary" onClick={() => void load()}>
            Refresh
          </button>
        </div>
      </header>
      <form className="card" onSubmit={apply} aria-label="Filter logs">
        <div className="filters">
          <label>
            Search
            <input type="search" placeholder="words in prompts and answers" {...field('search')} />
          </label>
          <label>
            Provider
            <input list="known-providers" {...field('provider')} />
            <datalist id="known-providers">{suggestions('provider')}</datalist>
          </label>
          <label>
            Model
            <input list="known-models" {...field('model')} />
            <datalist id="known-models">{suggestions('model')}</datalist>
          </label>
          <label>
            Virtual key
            <input placeholder="name or id" list="known-virtual-keys" {...field('virtual_key')} />
            <datalist id="known-virtual-keys">{suggestions('virtual_key')}</datalist>
          </label>
          <label>
            Status
            <select {...field('status')}>
              <option value="">any</option>
              <option value="success">success</option>
              <option value="error">error</option>
              <option value="429">429</option>
              <option value="500">500</option>
            </select>
          </label>
          <label>
            Request kind
            <select {...field('request_kind')}>
              <option value="">any</option>
              {REQUEST_KINDS.map((kind) => (
                <option key={kind} value={kind}>
                  {kind}
                </option>
              ))}
            </select>
          </label>
          <label>
            Since
            <select {...field('from')}>
              <option value="">all</option>
              <option value="15m">15 minutes</option>
              <option value="1h">1 hour</option>
              <option value="24h">24 hours</option>
              <option value="7d">7 days</option>
            </select>
          </label>
        </div>
        <div className="form-row">
          <button type="submit">Apply</button>
          <button type="button" className="secondary" onClick={clear}>
            Clear
          </button>
        </div>
      </form>
      <ErrorBanner message={error} />
      <div className="table-wrap" style={{ marginTop: 16 }}>
        <table aria-label="Requests">
          <thead>
            <tr>
              <th>Time</th>
              <th>Status</th>
              <th>Kind</th>
              <th>Provider / model</th>
              <th>Virtual key</th>
              <th className="number">Tokens in / out</th>
              <th className="number">Cost</th>
              <th className="number">Latency</th>
              <th>Route</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr
                key={row.id}
                className={`clickable${fresh.has(row.id) ? ' fresh' : ''}`}
                data-testid="log-row"
                onClick={() => navigate(`/logs/${encodeURIComponent(row.id)}`)}
              >
                <td className="nowrap" title={formatTime(row.createdAt)}>
                  {formatShortTime(row.createdAt)}
                </td>
                <td>
                  <StatusBadge status={row.status} errorType={row.errorType} />
                </td>
                <td>{row.requestKind}</td>
                <td>
                  {row.provider ?? '–'} / <span className="mono">{row.modelServed ?? row.modelRequested ?? '–'}</span>
                </td>
                <td>{row.virtualKeyName ?? '–'}</td>
                <td className="number">
                  {formatCount(row.inputTokens)} / {formatCount(row.outputTokens)}
                </td>
                <td className="number">{formatUsd(row.costUsd)}</td>
                <td className="number">{formatMs(row.latencyMs)}</td>
                <td>
                  {row.routeName ?? '–'}
                  {row.fallbackStep > 0 && <span className="badge warning"> fallback {row.fallbackStep}</span>}
                  {row.attempts.length > 1 && <span className="badge info"> {row.attempts.length} attempts</span>}
                </td>
              </tr>
            ))}
            {rows.length === 0 && !loading && (
              <tr>
                <td colSpan={9} className="muted">
                  No requests match. {tailing && 'New ones appear here as they arrive.'}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {cursor !== null && (
        <p>
          <button type="button" className="secondary" onClick={() => void more()}>
            Load older
          </button>
        </p>
      )}
    </section>
  );
}

function LogDetail() {
  const { id = '' } = useParams();
  const record = useApi(() => logsApi.get(id), [id]);
  return (
    <section>
      <header className="page-header">
        <h1>Request</h1>
        <span className="mono muted">{id}</span>
        <div className="actions">
          <Link to="/logs">← All requests</Link>
        </div>
      </header>
      <ErrorBanner message={record.error} />
      {record.data !== undefined && <LogRecordView record={record.data} />}
    </section>
  );
}

function LogRecordView({ record }: { record: LogRecord }) {
  const conversation = readConversation(record.requestBody, record.responseBody);
  const overhead = record.upstreamMs === undefined ? undefined : Math.max(0, record.latencyMs - record.upstreamMs);
  return (
    <>
      <div className="grid-2">
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Route and outcome</h2>
          <dl className="facts">
            <dt>Time</dt>
            <dd>{formatTime(record.createdAt)}</dd>
            <dt>Status</dt>
            <dd>
              <StatusBadge status={record.status} errorType={record.errorType} /> {record.errorMessage}
            </dd>
            <dt>Kind</dt>
            <dd>
              {record.requestKind} via /{record.inboundApi}
              {record.streaming ? ' (streamed)' : ''}
            </dd>
            <dt>Model</dt>
            <dd className="mono">
              {record.modelRequested ?? '–'}
              {record.modelServed !== undefined && record.modelServed !== record.modelRequested ? ` → ${record.modelServed}` : ''}
            </dd>
            <dt>Provider</dt>
            <dd>
              {record.provider ?? '–'}
              {record.providerKey !== undefined && <span className="muted"> (key {record.providerKey})</span>}
            </dd>
            <dt>Route</dt>
            <dd>
              {record.routeName ?? '–'}
              {record.fallbackStep > 0 && <span className="badge warning"> served by fallback {record.fallbackStep}</span>}
            </dd>
            <dt>Virtual key</dt>
            <dd>{record.virtualKeyName ?? record.virtualKeyId ?? '–'}</dd>
            <dt>Stop reason</dt>
            <dd>{record.stopReason ?? '–'}</dd>
            {record.traceId !== undefined && (
              <>
                <dt>Trace</dt>
                <dd className="mono">{record.traceId}</dd>
              </>
            )}
          </dl>
        </div>
        <div className="card">
          <h2 style={{ marginTop: 0 }}>Usage and timing</h2>
          <dl className="facts">
            <dt>Input tokens</dt>
            <dd>{formatCount(record.inputTokens)}</dd>
            <dt>Output tokens</dt>
            <dd>{formatCount(record.outputTokens)}</dd>
            <dt>Cache read / write</dt>
            <dd>
              {formatCount(record.cacheReadTokens)} / {formatCount(record.cacheWriteTokens)}
            </dd>
            <dt>Cost</dt>
            <dd>{formatUsd(record.costUsd)}</dd>
            <dt>Latency</dt>
            <dd>{formatMs(record.latencyMs)}</dd>
            <dt>Time to first token</dt>
            <dd>{formatMs(record.timeToFirstTokenMs)}</dd>
            <dt>Upstream</dt>
            <dd>{formatMs(record.upstreamMs)}</dd>
            <dt>Gateway overhead</dt>
            <dd>{formatMs(overhead)}</dd>
          </dl>
        </div>
      </div>

      <h2>Attempts (retries and fallbacks)</h2>
      <div className="table-wrap">
        <table aria-label="Attempts">
          <thead>
            <tr>
              <th>#</th>
              <th>Provider</th>
              <th>Model</th>
              <th>Key</th>
              <th>Outcome</th>
              <th>Upstream status</th>
              <th className="number">Waited</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            {record.attempts.map((attempt, index) => (
              <tr key={index}>
                <td>{index + 1}</td>
                <td>{attempt.provider}</td>
                <td className="mono">{attempt.model}</td>
                <td>{attempt.key ?? '–'}</td>
                <td>
                  <span className={`badge ${attempt.outcome === 'served' ? 'success' : 'error'}`}>{attempt.outcome}</span>
                </td>
                <td>{attempt.status ?? '–'}</td>
                <td className="number">{attempt.delayMs === undefined ? '–' : formatMs(attempt.delayMs)}</td>
                <td>{attempt.error ?? ''}</td>
              </tr>
            ))}
            {record.attempts.length === 0 && (
              <tr>
                <td colSpan={8} className="muted">
                  No upstream attempt (refused before routing).
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      {record.droppedFields.length > 0 && (
        <>
          <h2>Dropped fields</h2>
          <p className="muted">Fields of the request the serving provider cannot take, left out in translation.</p>
          <ul data-testid="dropped-fields">
            {record.droppedFields.map((dropped, index) => (
              <li key={index}>
                <code>{dropped.field}</code>: {dropped.reason}
              </li>
            ))}
          </ul>
        </>
      )}

      <h2>Conversation</h2>
      {conversation === undefined ? (
        <p className="muted">Content was not logged for this request (logging.content off, or the virtual key's log_content off).</p>
      ) : (
        <ConversationView conversation={conversation} />
      )}

      {record.requestBody !== undefined && (
        <details>
          <summary>Request body as received</summary>
          <pre>{prettyJson(record.requestBody)}</pre>
        </details>
      )}
      {record.responseBody !== undefined && (
        <details>
          <summary>Response as sent to the client (Anthropic message, assembled from the stream)</summary>
          <pre>{prettyJson(record.responseBody)}</pre>
        </details>
      )}
      {(record.upstream ?? []).map((exchange, index) => (
        <div key={index} className="upstream-exchange" data-testid="upstream-exchange">
          <details>
            <summary>
              Upstream request (to {exchange.provider}, {exchange.model}
              {(record.upstream?.length ?? 0) > 1 ? `, exchange ${index + 1}` : ''})
            </summary>
            <p className="muted">
              <code>POST {exchange.url}</code>
            </p>
            <pre>{prettyJson(exchange.request)}</pre>
          </details>
          <details>
            <summary>
              Upstream response ({exchange.status === undefined ? 'no response' : `HTTP ${exchange.status}`}
              {exchange.contentType === undefined ? '' : `, ${exchange.contentType}`}
              {exchange.truncated ? ', truncated' : ''})
            </summary>
            <pre>{prettyJson(exchange.response)}</pre>
          </details>
        </div>
      ))}
    </>
  );
}
