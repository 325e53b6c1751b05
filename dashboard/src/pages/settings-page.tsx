import { useEffect, useState } from 'react';
import { settingsApi, type SettingName, type SettingsPatch, type SettingsView } from '../api/gateway-config-api.js';
import { joinList, messageOf, splitList } from '../components/config-forms.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import './config-pages.css';

/**
 * Settings changeable at run time (`GET/PUT /api/settings`): CORS origins and headers, auth
 * enforcement on inference, request logging, content logging and retention. A saved value wins
 * over the config file's until it is reset; each row says where its value comes from.
 */
export function SettingsPage() {
  const settings = useApi(() => settingsApi.get());
  const [problem, setProblem] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const save = async (patch: SettingsPatch, what: string) => {
    try {
      await settingsApi.update(patch);
      await settings.reload();
      setProblem(undefined);
      setSaved(`${what} saved; in force now.`);
    } catch (error) {
      setSaved(undefined);
      setProblem(messageOf(error));
      await settings.reload(); // the form shows what is in force again
    }
  };
  return (
    <section>
      <header className="page-header">
        <h1>Settings</h1>
        <span className="muted">applied at once on every replica; kept across restarts</span>
      </header>
      <ErrorBanner message={settings.error ?? problem} />
      {saved !== undefined && (
        <div className="notice" role="status">
          {saved}
        </div>
      )}
      {settings.data !== undefined && <SettingsForm view={settings.data} save={save} />}
    </section>
  );
}

function SourceTag({ view, name, onReset }: { view: SettingsView; name: SettingName; onReset: () => void }) {
  if (view.sources[name] === 'config') return <span className="badge source-tag">from the config file</span>;
  return (
    <span>
      <span className="badge info source-tag">changed here</span>{' '}
      <button type="button" className="link-button" onClick={onReset} title={`Back to the config file's value: ${JSON.stringify(view.config[name])}`}>
        reset
      </button>
    </span>
  );
}

function SettingsForm({ view, save }: { view: SettingsView; save: (patch: SettingsPatch, what: string) => Promise<void> }) {
  const values = view.settings;
  const [origins, setOrigins] = useState(joinList(values.cors_allowed_origins));
  const [anyHeader, setAnyHeader] = useState(values.cors_allowed_headers === '*');
  const [headers, setHeaders] = useState(values.cors_allowed_headers === '*' ? '' : joinList(values.cors_allowed_headers));
  const [retention, setRetention] = useState(String(values.log_retention_days));
  // Switches show the new state at once (the saved view replaces it when the API answered).
  const [switches, setSwitches] = useState({ enforce_auth_on_inference: values.enforce_auth_on_inference, request_logging: values.request_logging, log_content: values.log_content });
  const toggle = (name: keyof typeof switches, checked: boolean, what: string) => {
    setSwitches((current) => ({ ...current, [name]: checked }));
    void save({ [name]: checked }, what);
  };
  useEffect(() => {
    setSwitches({ enforce_auth_on_inference: values.enforce_auth_on_inference, request_logging: values.request_logging, log_content: values.log_content });
    setOrigins(joinList(values.cors_allowed_origins));
    setAnyHeader(values.cors_allowed_headers === '*');
    setHeaders(values.cors_allowed_headers === '*' ? '' : joinList(values.cors_allowed_headers));
    setRetention(String(values.log_retention_days));
  }, [values]);
  const reset = (name: SettingName) => void save({ [name]: null }, 'Reset');
  return (
    <>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>Authentication</h2>
        <div className="settings-grid">
          <label className="checkbox">
            <input
              type="checkbox"
              aria-label="Require a virtual key on inference"
              checked={switches.enforce_auth_on_inference}
              onChange={(event) => toggle('enforce_auth_on_inference', event.target.checked, 'Auth enforcement')}
            />
            Require a virtual key on inference
          </label>
          <span className="muted">On: every request to /anthropic, /bedrock, /genai and /mcp needs a valid virtual key. Off: requests without one pass ungoverned.</span>
          <SourceTag view={view} name="enforce_auth_on_inference" onReset={() => reset('enforce_auth_on_inference')} />
        </div>
      </div>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>Request log</h2>
        <div className="settings-grid">
          <label className="checkbox">
            <input type="checkbox" aria-label="Log requests" checked={switches.request_logging} onChange={(event) => toggle('request_logging', event.target.checked, 'Request logging')} />
            Log requests
          </label>
          <span className="muted">Every request's route, tokens, cost and timings in the Logs page.</span>
          <SourceTag view={view} name="request_logging" onReset={() => reset('request_logging')} />
          <label className="checkbox">
            <input type="checkbox" aria-label="Keep prompts and answers" checked={switches.log_content} onChange={(event) => toggle('log_content', event.target.checked, 'Content logging')} />
            Keep prompts and answers
          </label>
          <span className="muted">A virtual key with log_content off is never logged with content.</span>
          <SourceTag view={view} name="log_content" onReset={() => reset('log_content')} />
          <label>
            Retention (days)
            <input aria-label="Retention (days)" type="number" min={1} max={3650} value={retention} onChange={(event) => setRetention(event.target.value)} />
          </label>
          <div>
            <button type="button" className="secondary" onClick={() => void save({ log_retention_days: Number.parseInt(retention, 10) }, 'Retention')}>
              Save retention
            </button>{' '}
            <span className="muted">older records are deleted (at once when shortened, then hourly)</span>
          </div>
          <SourceTag view={view} name="log_retention_days" onReset={() => reset('log_retention_days')} />
        </div>
      </div>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>CORS (browsers calling the gateway from other origins)</h2>
        <div className="settings-grid">
          <label>
            Allowed origins
            <input aria-label="Allowed origins" value={origins} onChange={(event) => setOrigins(event.target.value)} placeholder="* or https://app.example.com" />
          </label>
          <div>
            <button type="button" className="secondary" onClick={() => void save({ cors_allowed_origins: splitList(origins) }, 'Allowed origins')}>
              Save origins
            </button>{' '}
            <span className="muted">scheme://host[:port]; * for any</span>
          </div>
          <SourceTag view={view} name="cors_allowed_origins" onReset={() => reset('cors_allowed_origins')} />
          <label>
            Extra allowed request headers
            <input aria-label="Extra allowed request headers" value={headers} disabled={anyHeader} onChange={(event) => setHeaders(event.target.value)} placeholder="x-team, anthropic-beta" />
            <span className="checkbox">
              <input type="checkbox" checked={anyHeader} onChange={(event) => setAnyHeader(event.target.checked)} /> any header (*)
            </span>
          </label>
          <div>
            <button type="button" className="secondary" onClick={() => void save({ cors_allowed_headers: anyHeader ? '*' : splitList(headers) }, 'Allowed headers')}>
              Save headers
            </button>{' '}
            <span className="muted">always allowed: {view.default_cors_headers.join(', ')}</span>
          </div>
          <SourceTag view={view} name="cors_allowed_headers" onReset={() => reset('cors_allowed_headers')} />
        </div>
      </div>
    </>
  );
}
