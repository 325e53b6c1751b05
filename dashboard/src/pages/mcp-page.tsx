import { useState } from 'react';
import { virtualKeysApi } from '../api/admin-api.js';
import type { VirtualKey } from '../api/api-types.js';
import { mcpApi, type McpTool, type McpUpstreamStatus } from '../api/gateway-config-api.js';
import { joinList, messageOf, splitList } from '../components/config-forms.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import { formatTime } from '../format.js';
import { AddMcpServerForm } from './add-mcp-server-form.js';
import './config-pages.css';

/**
 * MCP: the upstream MCP servers behind `/mcp` with their state, tool/resource/prompt counts, last
 * error and a reconnect button; each server's tool list; adding a server and deleting one added
 * here (config-file servers are read-only); and which tools each virtual key may use (its
 * `mcp_tools` glob patterns over `<server>__<tool>`, edited in place).
 */
export function McpPage() {
  const clients = useApi(() => mcpApi.clients());
  const keys = useApi(() => virtualKeysApi.list());
  const [problem, setProblem] = useState<string>();
  const [allTools, setAllTools] = useState<Record<string, McpTool[]>>({});
  const [adding, setAdding] = useState(false);
  const remove = async (id: string) => {
    if (!window.confirm(`Delete the MCP server ${id}? Its tools disappear from /mcp at once.`)) return;
    try {
      await mcpApi.remove(id);
      setProblem(undefined);
      setAllTools(({ [id]: _removed, ...rest }) => rest);
      await clients.reload();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const reconnect = async (id: string) => {
    try {
      await mcpApi.reconnect(id);
      setProblem(undefined);
      await clients.reload();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const knownTools = Object.values(allTools).flat();
  return (
    <section>
      <header className="page-header">
        <h1>MCP</h1>
        <span className="muted">upstream servers behind /mcp</span>
        <div className="actions">
          <button type="button" className="secondary" onClick={() => void clients.reload()}>
            Refresh
          </button>
          <button type="button" onClick={() => setAdding((open) => !open)}>
            {adding ? 'Close' : 'Add MCP server'}
          </button>
        </div>
      </header>
      <ErrorBanner message={clients.error ?? problem} />
      {adding && (
        <AddMcpServerForm
          onCreated={async () => {
            setAdding(false);
            await clients.reload();
          }}
        />
      )}
      {clients.data?.length === 0 && <div className="card muted">No MCP servers: add one here, or under mcp.servers in the config.</div>}
      {clients.data?.map((client) => (
        <McpServerCard key={client.id} client={client} onReconnect={() => void reconnect(client.id)} onDelete={() => void remove(client.id)} onTools={(tools) => setAllTools((current) => ({ ...current, [client.id]: tools }))} />
      ))}
      <h2>Tool access per virtual key</h2>
      <p className="muted">
        Patterns over <code>&lt;server&gt;__&lt;tool&gt;</code>: <code>*</code> is any run of characters (<code>github__*</code>, <code>*__read_*</code>). “Every tool” leaves the key unrestricted; an empty list allows none.
      </p>
      <ErrorBanner message={keys.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Virtual key</th>
              <th>MCP tools</th>
              <th>Allowed now</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {keys.data?.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No virtual keys yet.
                </td>
              </tr>
            )}
            {keys.data?.map((key) => <KeyToolAccessRow key={key.id} virtualKey={key} knownTools={knownTools} onSaved={keys.reload} />)}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function stateBadge(state: string): string {
  if (state === 'connected') return 'success';
  if (state === 'connecting') return 'info';
  if (state === 'disabled') return '';
  return 'error';
}

function McpServerCard({ client, onReconnect, onDelete, onTools }: { client: McpUpstreamStatus; onReconnect: () => void; onDelete: () => void; onTools: (tools: McpTool[]) => void }) {
  const tools = useApi(async () => {
    const answer = await mcpApi.tools(client.id);
    onTools(answer.tools.filter((tool) => tool.exposed));
    return answer.tools;
  }, [client.id, client.state, client.tools]);
  const [open, setOpen] = useState(false);
  return (
    <div className="card" data-testid={`mcp-server-${client.id}`}>
      <div className="card-header">
        <h2 style={{ margin: 0 }}>{client.id}</h2>
        <span className={`badge ${stateBadge(client.state)}`}>{client.state}</span>
        <span className="muted">
          {client.transport}
          {client.server === undefined ? '' : ` · ${client.server.name} ${client.server.version}`}
          {client.source === 'config' ? ' · config file' : client.source === 'api' ? ' · added here' : ''}
        </span>
        <div className="actions">
          <button type="button" className="secondary" onClick={onReconnect}>
            Reconnect
          </button>
          {client.source === 'api' && (
            <button type="button" className="danger" onClick={onDelete}>
              Delete
            </button>
          )}
        </div>
      </div>
      <dl className="facts">
        <dt>Tools / resources / prompts</dt>
        <dd>
          {client.tools} / {client.resources} / {client.prompts}
        </dd>
        <dt>Connected since</dt>
        <dd>{formatTime(client.connected_at)}</dd>
        <dt>Failed health checks</dt>
        <dd>
          {client.consecutive_failures} (reconnect attempts {client.reconnect_attempts})
        </dd>
        {client.per_user_headers.length > 0 && (
          <>
            <dt>Per-user headers</dt>
            <dd>{joinList(client.per_user_headers)}</dd>
          </>
        )}
        {client.last_error !== undefined && (
          <>
            <dt>Last error</dt>
            <dd className="outcome-error">{client.last_error}</dd>
          </>
        )}
      </dl>
      <ErrorBanner message={tools.error} />
      {tools.data !== undefined && tools.data.length > 0 && (
        <>
          <button type="button" className="link-button" style={{ marginTop: 8 }} onClick={() => setOpen((current) => !current)}>
            {open ? 'Hide' : 'Show'} {tools.data.length} tools
            {tools.data.some((tool) => !tool.exposed) ? ` (${tools.data.filter((tool) => tool.exposed).length} exposed)` : ''}
          </button>
          {open && (
            <ul className="tool-list" data-testid="mcp-tool-list">
              {tools.data.map((tool) => (
                <li key={tool.name} data-exposed={tool.exposed}>
                  <code>{tool.exposed_name}</code>
                  {tool.exposed ? null : <span className="badge" style={{ marginLeft: 6 }}>not exposed</span>}
                  {tool.description === undefined ? null : <span className="muted"> — {tool.description.split('\n')[0]}</span>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}

/** Whether a `mcp_tools` glob pattern (`*` = any run of characters) matches `<server>__<tool>`. */
function patternMatches(pattern: string, name: string): boolean {
  const expression = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return expression.test(name);
}

function KeyToolAccessRow({ virtualKey, knownTools, onSaved }: { virtualKey: VirtualKey; knownTools: McpTool[]; onSaved: () => Promise<void> }) {
  const [unrestricted, setUnrestricted] = useState(virtualKey.mcp_tools === null);
  const [patterns, setPatterns] = useState(joinList(virtualKey.mcp_tools ?? []));
  const [problem, setProblem] = useState<string>();
  const list = splitList(patterns);
  const allowed = unrestricted ? knownTools.length : knownTools.filter((tool) => list.some((pattern) => patternMatches(pattern, tool.access_name))).length;
  const save = async () => {
    try {
      await virtualKeysApi.update(virtualKey.id, { mcp_tools: unrestricted ? null : list });
      setProblem(undefined);
      await onSaved();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  return (
    <tr data-testid={`mcp-access-${virtualKey.name}`}>
      <td>
        {virtualKey.name} <span className="muted mono">{virtualKey.key_prefix}</span>
      </td>
      <td>
        <label className="checkbox">
          <input type="checkbox" checked={unrestricted} onChange={(event) => setUnrestricted(event.target.checked)} /> every tool
        </label>
        {!unrestricted && <input aria-label={`MCP tools of ${virtualKey.name}`} value={patterns} onChange={(event) => setPatterns(event.target.value)} placeholder="everything__*, github__read_*" style={{ width: '100%' }} />}
        <ErrorBanner message={problem} />
      </td>
      <td>
        {allowed} of {knownTools.length}
      </td>
      <td>
        <button type="button" className="secondary" onClick={() => void save()}>
          Save
        </button>
      </td>
    </tr>
  );
}
