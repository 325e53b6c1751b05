import { useState, type FormEvent } from 'react';
import { mcpApi, type NewMcpServer } from '../api/gateway-config-api.js';
import { messageOf, splitList } from '../components/config-forms.js';
import { ErrorBanner } from '../components/error-banner.js';

type Transport = 'streamable-http' | 'sse' | 'stdio';

/** Name → value rows whose values are secrets: typed into password inputs, never shown back. */
function SecretPairs({ label, rows, onChange }: { label: string; rows: Array<[string, string]>; onChange: (rows: Array<[string, string]>) => void }) {
  const update = (index: number, column: 0 | 1, text: string) => onChange(rows.map((row, position) => (position === index ? (column === 0 ? [text, row[1]] : [row[0], text]) : row)));
  return (
    <fieldset className="secret-pairs">
      <legend>{label}</legend>
      {rows.map(([name, value], index) => (
        <div className="mapping-row" key={index}>
          <input aria-label={`${label} name`} placeholder="NAME" value={name} onChange={(event) => update(index, 0, event.target.value)} />
          <input aria-label={`${label} value`} type="password" autoComplete="off" placeholder="value or env.NAME" value={value} onChange={(event) => update(index, 1, event.target.value)} />
          <button type="button" className="link-button" onClick={() => onChange(rows.filter((_, position) => position !== index))}>
            remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...rows, ['', '']])}>
        Add {label.toLowerCase().replace(/s$/, '')}
      </button>
    </fieldset>
  );
}

function pairsObject(rows: Array<[string, string]>): Record<string, string> | undefined {
  const entries = rows.filter(([name]) => name.trim() !== '').map(([name, value]): [string, string] => [name.trim(), value]);
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * Adds an MCP server through `POST /api/mcp/clients` (stored in the database, connected at once):
 * its name (the tool prefix), an HTTP URL (Streamable HTTP or SSE) with headers, or a stdio
 * command with arguments (one per line) and environment, and which of its tools to expose. Header
 * and environment values are write-only: the API never returns them.
 */
export function AddMcpServerForm({ onCreated }: { onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [transport, setTransport] = useState<Transport>('streamable-http');
  const [url, setUrl] = useState('');
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [headers, setHeaders] = useState<Array<[string, string]>>([]);
  const [env, setEnv] = useState<Array<[string, string]>>([]);
  const [everyTool, setEveryTool] = useState(true);
  const [tools, setTools] = useState('');
  const [problem, setProblem] = useState<string>();
  const [saving, setSaving] = useState(false);
  const stdio = transport === 'stdio';
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const server: NewMcpServer = { name: name.trim(), transport, ...(everyTool ? {} : { tools: splitList(tools) }) };
    if (stdio) {
      server.command = command.trim();
      const argumentList = args.split('\n').map((line) => line.trim()).filter((line) => line !== '');
      if (argumentList.length > 0) server.args = argumentList;
      const environment = pairsObject(env);
      if (environment !== undefined) server.env = environment;
    } else {
      server.url = url.trim();
      const headerValues = pairsObject(headers);
      if (headerValues !== undefined) server.headers = headerValues;
    }
    setSaving(true);
    try {
      await mcpApi.create(server);
      setProblem(undefined);
      await onCreated();
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setSaving(false);
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-label="Add MCP server">
      <h2 style={{ marginTop: 0 }}>Add an MCP server</h2>
      <ErrorBanner message={problem} />
      <div className="form-row">
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} placeholder="github" required pattern="[a-zA-Z0-9](?:[a-zA-Z0-9\-]|_(?!_)){0,31}" title="1–32 letters, digits, - or single _ (it prefixes the tool names)" />
        </label>
        <label>
          Transport
          <select aria-label="Transport" value={transport} onChange={(event) => setTransport(event.target.value as Transport)}>
            <option value="streamable-http">Streamable HTTP (URL)</option>
            <option value="sse">SSE (URL, older servers)</option>
            <option value="stdio">stdio (command)</option>
          </select>
        </label>
        {!stdio && (
          <label>
            URL
            <input value={url} onChange={(event) => setUrl(event.target.value)} placeholder="https://mcp.example.com/mcp" required pattern="https?://.+" />
          </label>
        )}
        {stdio && (
          <label>
            Command
            <input value={command} onChange={(event) => setCommand(event.target.value)} placeholder="npx" required />
          </label>
        )}
      </div>
      {stdio && (
        <div className="form-row">
          <label>
            Arguments (one per line)
            <textarea rows={3} value={args} onChange={(event) => setArgs(event.target.value)} placeholder={'-y\n@modelcontextprotocol/server-everything'} />
          </label>
        </div>
      )}
      {stdio ? <SecretPairs label="Environment variables" rows={env} onChange={setEnv} /> : <SecretPairs label="Headers" rows={headers} onChange={setHeaders} />}
      <div className="form-row">
        <label className="checkbox">
          <input type="checkbox" checked={everyTool} onChange={(event) => setEveryTool(event.target.checked)} /> expose every tool
        </label>
        {!everyTool && (
          <label>
            Tools to expose (the server's own names, comma-separated)
            <input value={tools} onChange={(event) => setTools(event.target.value)} placeholder="echo, get-sum" />
          </label>
        )}
      </div>
      <button type="submit" disabled={saving}>
        {saving ? 'Connecting…' : 'Add server'}
      </button>
    </form>
  );
}
