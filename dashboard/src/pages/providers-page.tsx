import { useState, type FormEvent } from 'react';
import { providersApi, type Provider, type ProviderKey, type ProviderKind, type ProviderTestResult } from '../api/gateway-config-api.js';
import { joinList, MappingEditor, messageOf, splitList } from '../components/config-forms.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import { formatMs } from '../format.js';
import { CredentialFields, CredentialsEditor, credentialSettingsOf, EMPTY_CREDENTIAL_DRAFT, HeadersEditor } from './provider-settings-forms.js';
import './config-pages.css';

/**
 * Providers: every stored provider with its base URL, models, model → deployment mappings and keys
 * (values masked: the API never returns them); add a provider, add, change and delete keys, and a
 * "Test" button per key that sends a one-token request through it (`POST /api/providers/{name}/test`);
 * extra upstream headers and the kind's credentials (Entra ID, AWS, Google Cloud), write-only.
 */
export function ProvidersPage() {
  const providers = useApi(() => providersApi.list());
  const kinds = useApi(() => providersApi.kinds());
  const [adding, setAdding] = useState(false);
  return (
    <section>
      <header className="page-header">
        <h1>Providers</h1>
        <span className="muted">changes are served at once, no restart</span>
        <div className="actions">
          <button type="button" onClick={() => setAdding((open) => !open)}>
            {adding ? 'Close' : 'Add provider'}
          </button>
        </div>
      </header>
      <ErrorBanner message={providers.error ?? kinds.error} />
      {adding && (
        <AddProviderForm
          kinds={kinds.data ?? []}
          onCreated={async () => {
            setAdding(false);
            await providers.reload();
          }}
        />
      )}
      {providers.data?.length === 0 && <div className="card muted">No providers stored yet. Add one, or list them in the config file's providers section.</div>}
      {providers.data?.map((provider) => (
        <ProviderCard key={provider.id} provider={provider} kind={kinds.data?.find((kind) => kind.kind === provider.type)} onChanged={providers.reload} />
      ))}
    </section>
  );
}

function AddProviderForm({ kinds, onCreated }: { kinds: ProviderKind[]; onCreated: () => Promise<void> }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('openai');
  const [baseUrl, setBaseUrl] = useState('');
  const [models, setModels] = useState('');
  const [keyName, setKeyName] = useState('main');
  const [keyValue, setKeyValue] = useState('');
  const [region, setRegion] = useState('');
  const [apiVersion, setApiVersion] = useState('');
  const [credentials, setCredentials] = useState(EMPTY_CREDENTIAL_DRAFT);
  const usesRegion = type === 'bedrock' || type === 'vertex';
  const usesApiVersion = type === 'azure';
  const [problem, setProblem] = useState<string>();
  const kind = kinds.find((candidate) => candidate.kind === type);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await providersApi.create({
        name: name.trim(),
        type,
        ...(baseUrl.trim() === '' ? {} : { base_url: baseUrl.trim() }),
        ...(splitList(models).length === 0 ? {} : { models: splitList(models) }),
        ...(keyValue === '' ? {} : { keys: [{ name: keyName.trim(), value: keyValue }] }),
        ...(usesRegion && region.trim() !== '' ? { region: region.trim() } : {}),
        ...(usesApiVersion && apiVersion.trim() !== '' ? { api_version: apiVersion.trim() } : {}),
        ...credentialSettingsOf(type, credentials),
      });
      setProblem(undefined);
      await onCreated();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  return (
    <form className="card" onSubmit={(event) => void submit(event)} aria-label="Add provider">
      <h2 style={{ marginTop: 0 }}>Add a provider</h2>
      <ErrorBanner message={problem} />
      <div className="form-row">
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} placeholder="openai" required pattern="[a-z0-9][a-z0-9_.\-]*" title="lower-case letters, digits, . _ -" />
        </label>
        <label>
          Kind
          <select value={type} onChange={(event) => setType(event.target.value)}>
            {(kinds.length === 0 ? [{ kind: 'openai', display_name: 'OpenAI' }] : kinds).map((candidate) => (
              <option key={candidate.kind} value={candidate.kind}>
                {candidate.display_name} ({candidate.kind})
              </option>
            ))}
          </select>
        </label>
        <label>
          Base URL
          <input value={baseUrl} onChange={(event) => setBaseUrl(event.target.value)} placeholder={kind?.default_base_url ?? 'required for this kind'} />
        </label>
      </div>
      <div className="form-row">
        <label>
          Models (comma-separated, optional)
          <input value={models} onChange={(event) => setModels(event.target.value)} placeholder="gpt-4.1, gpt-4.1-mini" />
        </label>
        <label>
          Key name
          <input value={keyName} onChange={(event) => setKeyName(event.target.value)} />
        </label>
        <label>
          Key value {kind?.requires_key === false ? '(optional)' : ''}
          <input type="password" autoComplete="off" value={keyValue} onChange={(event) => setKeyValue(event.target.value)} placeholder={kind?.api_key_variable === null || kind === undefined ? 'sk-…' : `sk-… or env.${kind.api_key_variable}`} />
        </label>
      </div>
      {(usesRegion || usesApiVersion) && (
        <div className="form-row">
          {usesRegion && (
            <label>
              Region {type === 'bedrock' ? '(default AWS_REGION, then us-east-1)' : '(location; default global)'}
              <input value={region} onChange={(event) => setRegion(event.target.value)} placeholder={type === 'bedrock' ? 'us-east-1' : 'us-east5'} />
            </label>
          )}
          {usesApiVersion && (
            <label>
              API version (empty: the v1 API)
              <input value={apiVersion} onChange={(event) => setApiVersion(event.target.value)} placeholder="2024-10-21" />
            </label>
          )}
        </div>
      )}
      <CredentialFields kind={type} draft={credentials} onChange={setCredentials} />
      <p className="muted">Extra headers can be added once the provider exists.</p>
      <button type="submit">Create provider</button>
    </form>
  );
}

function ProviderCard({ provider, kind, onChanged }: { provider: Provider; kind: ProviderKind | undefined; onChanged: () => Promise<void> }) {
  const [problem, setProblem] = useState<string>();
  const [baseUrl, setBaseUrl] = useState(provider.base_url ?? '');
  const [models, setModels] = useState(joinList(provider.models));
  const [testModel, setTestModel] = useState('');
  const [results, setResults] = useState<Record<string, ProviderTestResult | 'running'>>({});
  const run = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setProblem(undefined);
      await onChanged();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const test = async (key: ProviderKey) => {
    setResults((current) => ({ ...current, [key.name]: 'running' }));
    try {
      const result = await providersApi.test(provider.name, { key: key.name, ...(testModel.trim() === '' ? {} : { model: testModel.trim() }) });
      setResults((current) => ({ ...current, [key.name]: result }));
    } catch (error) {
      setResults((current) => {
        const next = { ...current };
        delete next[key.name];
        return next;
      });
      setProblem(messageOf(error));
    }
  };
  return (
    <div className="card provider-card" data-testid={`provider-${provider.name}`}>
      <div className="card-header">
        <h2>{provider.name}</h2>
        <span className="badge info">{kind?.display_name ?? provider.type}</span>
        <span className="muted mono">{provider.base_url ?? kind?.default_base_url ?? ''}</span>
        <div className="actions">
          <button type="button" className="danger" onClick={() => window.confirm(`Delete provider ${provider.name} and its keys?`) && void run(() => providersApi.remove(provider.name))}>
            Delete
          </button>
        </div>
      </div>
      <ErrorBanner message={problem} />
      <div className="form-row">
        <label>
          Base URL
          <input value={baseUrl} onChange={(event) => setBaseUrl(event.target.value)} placeholder={kind?.default_base_url ?? ''} />
        </label>
        <label>
          Models
          <input value={models} onChange={(event) => setModels(event.target.value)} placeholder="every model the keys allow" />
        </label>
        <button
          type="button"
          className="secondary"
          onClick={() => void run(() => providersApi.update(provider.name, { base_url: baseUrl.trim() === '' ? null : baseUrl.trim(), models: splitList(models) }))}
        >
          Save
        </button>
      </div>

      <h3>Keys</h3>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
              <th className="number">Weight</th>
              <th>Allowed models</th>
              <th>Deployments</th>
              <th>Test</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {provider.keys.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No keys{kind?.requires_key === false ? ' (this kind needs none)' : ''}.
                </td>
              </tr>
            )}
            {provider.keys.map((key) => (
              <KeyRow key={key.id} providerName={provider.name} providerKey={key} result={results[key.name]} onTest={() => void test(key)} run={run} />
            ))}
          </tbody>
        </table>
      </div>
      <div className="form-row" style={{ marginTop: 8 }}>
        <label>
          Model for the test button (optional)
          <input value={testModel} onChange={(event) => setTestModel(event.target.value)} placeholder={provider.models[0] ?? 'the key’s first model'} />
        </label>
      </div>
      <AddKeyForm providerName={provider.name} run={run} />

      <HeadersEditor
        key={Object.keys(provider.headers).join('\n')}
        providerName={provider.name}
        headerNames={Object.keys(provider.headers)}
        onSave={(headers) => run(() => providersApi.update(provider.name, { headers }))}
      />
      <CredentialsEditor providerName={provider.name} kind={provider.type} optionNames={provider.option_names} onSave={(patch) => run(() => providersApi.update(provider.name, patch))} />

      <h3>Model → deployment mappings</h3>
      <p className="muted">Azure deployments, Bedrock inference profiles: the name a caller uses → the id the provider needs. A key's own mappings win.</p>
      <MappingEditor testId={`deployments-${provider.name}`} value={provider.deployments} onSave={(next) => run(() => providersApi.update(provider.name, { deployments: Object.keys(next).length === 0 ? null : next }))} />
    </div>
  );
}

function KeyRow({
  providerName,
  providerKey,
  result,
  onTest,
  run,
}: {
  providerName: string;
  providerKey: ProviderKey;
  result: ProviderTestResult | 'running' | undefined;
  onTest: () => void;
  run: (work: () => Promise<unknown>) => Promise<void>;
}) {
  const [editing, setEditing] = useState(false);
  const [weight, setWeight] = useState(String(providerKey.weight));
  const [models, setModels] = useState(joinList(providerKey.models));
  const [value, setValue] = useState('');
  return (
    <>
      <tr data-testid={`key-${providerKey.name}`}>
        <td>{providerKey.name}</td>
        <td className="mono">{providerKey.value_hint}</td>
        <td className="number">{providerKey.weight}</td>
        <td>{joinList(providerKey.models)}</td>
        <td className="mono">
          {Object.entries(providerKey.deployments)
            .map(([model, deployment]) => `${model} → ${deployment}`)
            .join(', ') || '–'}
        </td>
        <td>
          <button type="button" className="secondary" disabled={result === 'running'} onClick={onTest}>
            {result === 'running' ? 'Testing…' : 'Test'}
          </button>
          {result !== undefined && result !== 'running' && <TestResult result={result} />}
        </td>
        <td>
          <button type="button" className="link-button" onClick={() => setEditing((open) => !open)}>
            {editing ? 'close' : 'edit'}
          </button>{' '}
          <button type="button" className="link-button" onClick={() => window.confirm(`Delete key ${providerKey.name}?`) && void run(() => providersApi.removeKey(providerName, providerKey.name))}>
            delete
          </button>
        </td>
      </tr>
      {editing && (
        <tr>
          <td colSpan={7}>
            <div className="inline-form">
              <label>
                New value (leave empty to keep)
                <input type="password" autoComplete="off" value={value} onChange={(event) => setValue(event.target.value)} />
              </label>
              <label>
                Weight
                <input type="number" min="0.001" step="any" value={weight} onChange={(event) => setWeight(event.target.value)} />
              </label>
              <label>
                Allowed models
                <input value={models} onChange={(event) => setModels(event.target.value)} placeholder="*" />
              </label>
              <button
                type="button"
                onClick={() =>
                  void run(async () => {
                    await providersApi.updateKey(providerName, providerKey.name, {
                      weight: Number(weight),
                      models: splitList(models).length === 0 ? ['*'] : splitList(models),
                      ...(value === '' ? {} : { value }),
                    });
                    setValue('');
                  })
                }
              >
                Save key
              </button>
            </div>
            <h3>Deployments of this key</h3>
            <MappingEditor value={providerKey.deployments} onSave={(next) => run(() => providersApi.updateKey(providerName, providerKey.name, { deployments: next }))} />
          </td>
        </tr>
      )}
    </>
  );
}

function TestResult({ result }: { result: ProviderTestResult }) {
  return (
    <div className={`test-result ${result.ok ? 'ok' : 'failed'}`} data-testid="provider-test-result">
      {result.ok ? '✓' : '✗'} {result.status ?? 'no answer'} · {formatMs(result.latency_ms)} · {result.model}
      <div>{result.ok ? `answered: “${result.output_text ?? ''}”` : result.error}</div>
    </div>
  );
}

function AddKeyForm({ providerName, run }: { providerName: string; run: (work: () => Promise<unknown>) => Promise<void> }) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [weight, setWeight] = useState('1');
  const [models, setModels] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await providersApi.addKey(providerName, {
        name: name.trim(),
        value,
        weight: Number(weight),
        ...(splitList(models).length === 0 ? {} : { models: splitList(models) }),
      });
      setName('');
      setValue('');
    });
  };
  return (
    <form className="inline-form" style={{ marginTop: 8 }} onSubmit={submit} aria-label={`Add key to ${providerName}`}>
      <label>
        New key name
        <input value={name} onChange={(event) => setName(event.target.value)} required />
      </label>
      <label>
        Key value
        <input type="password" autoComplete="off" value={value} onChange={(event) => setValue(event.target.value)} required placeholder="sk-… or env.NAME" />
      </label>
      <label>
        Weight
        <input type="number" min="0.001" step="any" value={weight} onChange={(event) => setWeight(event.target.value)} />
      </label>
      <label>
        Allowed models
        <input value={models} onChange={(event) => setModels(event.target.value)} placeholder="* (all)" />
      </label>
      <button type="submit">Add key</button>
    </form>
  );
}
