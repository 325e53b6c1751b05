import { useMemo, useState } from 'react';
import { virtualKeysApi } from '../api/admin-api.js';
import { providersApi, routingApi } from '../api/gateway-config-api.js';
import { CopyButton } from '../components/copy-button.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import { recentKeySecrets } from '../recent-key-secrets.js';
import './config-pages.css';

/**
 * Claude Code setup: pick a virtual key and a model per tier; the page writes the `env` block to
 * merge into `~/.claude/settings.json` and the `claude mcp add` command for the MCP gateway, with
 * copy buttons. A stored key's secret cannot be read back, so the user pastes it (or picks one
 * created in this tab, see recent-key-secrets.ts).
 */

const TIERS = [
  { variable: 'ANTHROPIC_DEFAULT_SONNET_MODEL', label: 'Sonnet tier (main model)' },
  { variable: 'ANTHROPIC_DEFAULT_HAIKU_MODEL', label: 'Haiku tier (background tasks)' },
  { variable: 'ANTHROPIC_DEFAULT_OPUS_MODEL', label: 'Opus tier' },
] as const;

type Tier = (typeof TIERS)[number]['variable'];

const SECRET_PLACEHOLDER = '<paste the hk-… secret of the key>';

/** The `env` block (and only it) of `~/.claude/settings.json`. */
export function claudeSettingsBlock(baseUrl: string, secret: string, models: Readonly<Record<Tier, string>>): string {
  const env: Record<string, string> = { ANTHROPIC_BASE_URL: `${baseUrl}/anthropic`, ANTHROPIC_AUTH_TOKEN: secret };
  for (const tier of TIERS) if (models[tier.variable].trim() !== '') env[tier.variable] = models[tier.variable].trim();
  return JSON.stringify({ env }, null, 2);
}

/** The `claude mcp add` command for the gateway's `/mcp`. */
export function claudeMcpAddCommand(baseUrl: string, secret: string): string {
  return `claude mcp add --transport http heimdall ${baseUrl}/mcp --header "Authorization: Bearer ${secret}"`;
}

export function ClaudeCodeSetupPage() {
  const keys = useApi(() => virtualKeysApi.list());
  const providers = useApi(() => providersApi.list());
  const aliases = useApi(() => routingApi.aliases());
  const recent = recentKeySecrets();
  const [keyId, setKeyId] = useState('');
  const [pasted, setPasted] = useState('');
  const [models, setModels] = useState<Record<Tier, string>>({ ANTHROPIC_DEFAULT_SONNET_MODEL: '', ANTHROPIC_DEFAULT_HAIKU_MODEL: '', ANTHROPIC_DEFAULT_OPUS_MODEL: '' });
  const baseUrl = window.location.origin;
  const remembered = recent.find((entry) => entry.id === keyId);
  const secret = remembered?.secret ?? (pasted.trim() === '' ? SECRET_PLACEHOLDER : pasted.trim());
  const chosenKey = keys.data?.find((key) => key.id === keyId);
  const pastedMismatch = chosenKey !== undefined && remembered === undefined && pasted.trim() !== '' && !pasted.trim().startsWith(chosenKey.key_prefix.replace(/…$/, ''));
  const modelChoices = useMemo(() => {
    const names = new Set<string>();
    for (const provider of providers.data ?? []) for (const model of provider.models) names.add(`${provider.name}/${model}`);
    for (const alias of Object.keys(aliases.data ?? {})) names.add(alias);
    return [...names].sort();
  }, [providers.data, aliases.data]);
  const settings = claudeSettingsBlock(baseUrl, secret, models);
  const mcpCommand = claudeMcpAddCommand(baseUrl, secret);
  return (
    <section>
      <header className="page-header">
        <h1>Claude Code setup</h1>
        <span className="muted">point Claude Code at this gateway</span>
      </header>
      <ErrorBanner message={keys.error ?? providers.error} />
      <div className="card">
        <h2 style={{ marginTop: 0 }}>1. Virtual key</h2>
        <div className="form-row">
          <label>
            Virtual key
            <select aria-label="Virtual key" value={keyId} onChange={(event) => setKeyId(event.target.value)}>
              <option value="">choose a key…</option>
              {keys.data
                ?.filter((key) => key.state === 'active')
                .map((key) => (
                  <option key={key.id} value={key.id}>
                    {key.name} ({key.key_prefix}){recent.some((entry) => entry.id === key.id) ? ' — created in this tab' : ''}
                  </option>
                ))}
            </select>
          </label>
          {remembered === undefined && (
            <label>
              Its secret (shown once when the key was created; never stored by the dashboard)
              <input aria-label="Key secret" type="password" autoComplete="off" value={pasted} onChange={(event) => setPasted(event.target.value)} placeholder="hk-…" />
            </label>
          )}
        </div>
        {remembered !== undefined && <div className="muted">Using the secret of {remembered.name}, created in this tab.</div>}
        {pastedMismatch && <div className="notice">The pasted secret does not start with {chosenKey?.key_prefix}: it is another key's.</div>}
      </div>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>2. Models per tier</h2>
        <p className="muted">Any model a virtual key may use: provider/model, an alias, or a name a routing rule matches. Leave a tier empty to keep Claude Code's default.</p>
        <datalist id="setup-models">
          {modelChoices.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        <div className="form-row">
          {TIERS.map((tier) => (
            <label key={tier.variable}>
              {tier.label}
              <input list="setup-models" aria-label={tier.label} value={models[tier.variable]} onChange={(event) => setModels((current) => ({ ...current, [tier.variable]: event.target.value }))} placeholder="provider/model" />
            </label>
          ))}
        </div>
      </div>
      <div className="card">
        <h2 style={{ marginTop: 0 }}>3. ~/.claude/settings.json</h2>
        <p className="muted">Merge this env block into the file (create it if it does not exist), then start claude.</p>
        <div className="code-block">
          <pre data-testid="claude-settings">{settings}</pre>
          <div className="copy">
            <CopyButton text={settings} label="Copy settings" />
          </div>
        </div>
        <h3>MCP tools through the gateway</h3>
        <div className="code-block">
          <pre data-testid="claude-mcp-command">{mcpCommand}</pre>
          <div className="copy">
            <CopyButton text={mcpCommand} label="Copy command" />
          </div>
        </div>
      </div>
    </section>
  );
}
