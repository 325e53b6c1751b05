import { useState } from 'react';
import { ErrorBanner } from '../components/error-banner.js';
import type { ProviderCredentialSettings, ProviderUpdate } from '../api/gateway-config-api.js';

/**
 * Provider settings whose values may be credentials, edited write-only: extra upstream headers
 * (names shown, values never) and the kind-specific credentials (Azure Entra ID client
 * credentials, AWS credential chain for Bedrock, Google Cloud service account for Vertex AI).
 * Both are saved through `PATCH /api/providers/{name}`, which replaces `headers` and each
 * credential object as a whole.
 * @see src/config/config-schema.ts (ProviderConfigSchema), src/admin/admin-api-schemas.ts
 */

/** The credential form's fields, as typed; empty strings are "not given". */
export interface CredentialDraft {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  authorityHost: string;
  credentialChain: boolean;
  profile: string;
  project: string;
  credentialsFile: string;
  credentials: string;
}

export const EMPTY_CREDENTIAL_DRAFT: CredentialDraft = {
  tenantId: '',
  clientId: '',
  clientSecret: '',
  scope: '',
  authorityHost: '',
  credentialChain: false,
  profile: '',
  project: '',
  credentialsFile: '',
  credentials: '',
};

/** The credential setting a provider kind takes, or undefined for kinds with keys only. */
export function credentialSettingOf(kind: string): keyof ProviderCredentialSettings | undefined {
  if (kind === 'azure') return 'entra';
  if (kind === 'bedrock') return 'aws';
  if (kind === 'vertex') return 'google_cloud';
  return undefined;
}

function given(value: string): string | undefined {
  return value.trim() === '' ? undefined : value.trim();
}

/** Only the fields given; `{}` when the kind takes no credential setting or nothing was typed. */
export function credentialSettingsOf(kind: string, draft: CredentialDraft): ProviderCredentialSettings {
  const setting = credentialSettingOf(kind);
  const defined = <Shape extends object>(shape: Shape): Shape => Object.fromEntries(Object.entries(shape).filter((entry) => entry[1] !== undefined)) as Shape;
  switch (setting) {
    case undefined:
      return {};
    case 'entra': {
      const entra = defined({
        tenant_id: given(draft.tenantId),
        client_id: given(draft.clientId),
        client_secret: draft.clientSecret === '' ? undefined : draft.clientSecret,
        scope: given(draft.scope),
        authority_host: given(draft.authorityHost),
      });
      return Object.keys(entra).length === 0 ? {} : { entra: entra as NonNullable<ProviderCredentialSettings['entra']> };
    }
    case 'aws': {
      const aws = defined({ credential_chain: draft.credentialChain ? true : undefined, profile: given(draft.profile) });
      return Object.keys(aws).length === 0 ? {} : { aws };
    }
    case 'google_cloud': {
      const googleCloud = defined({ project: given(draft.project), credentials_file: given(draft.credentialsFile), credentials: draft.credentials === '' ? undefined : draft.credentials });
      return Object.keys(googleCloud).length === 0 ? {} : { google_cloud: googleCloud };
    }
    default: {
      const unknownSetting: never = setting;
      return unknownSetting;
    }
  }
}

/** The inputs of the kind's credential setting (nothing for other kinds); secrets are password inputs. */
export function CredentialFields({ kind, draft, onChange }: { kind: string; draft: CredentialDraft; onChange: (next: CredentialDraft) => void }) {
  const field = (name: keyof CredentialDraft, label: string, options: { secret?: boolean; placeholder?: string } = {}) => (
    <label>
      {label}
      <input
        type={options.secret === true ? 'password' : 'text'}
        autoComplete="off"
        value={String(draft[name])}
        placeholder={options.placeholder}
        onChange={(event) => onChange({ ...draft, [name]: event.target.value })}
      />
    </label>
  );
  switch (credentialSettingOf(kind)) {
    case undefined:
      return null;
    case 'entra':
      return (
        <div className="form-row">
          {field('tenantId', 'Entra tenant id')}
          {field('clientId', 'Entra client id')}
          {field('clientSecret', 'Entra client secret', { secret: true, placeholder: 'secret or env.NAME' })}
          {field('scope', 'Entra scope (optional)', { placeholder: 'https://cognitiveservices.azure.com/.default' })}
          {field('authorityHost', 'Entra authority host (optional)', { placeholder: 'https://login.microsoftonline.com' })}
        </div>
      );
    case 'aws':
      return (
        <div className="form-row">
          <label>
            <span>
              <input type="checkbox" checked={draft.credentialChain} onChange={(event) => onChange({ ...draft, credentialChain: event.target.checked })} /> AWS default credential chain
            </span>
          </label>
          {field('profile', 'AWS profile (optional)')}
          <p className="muted">Access keys go in the provider's keys: key value = secret access key, with its access key id.</p>
        </div>
      );
    case 'google_cloud':
      return (
        <div className="form-row">
          {field('project', 'Google Cloud project (optional)')}
          {field('credentialsFile', 'Service-account file path (optional)')}
          {field('credentials', 'Service-account JSON (optional)', { secret: true, placeholder: 'JSON or env.NAME' })}
        </div>
      );
  }
}

/** A provider's credential setting: which one is stored (never its values), replaced or removed as a whole. */
export function CredentialsEditor({
  providerName,
  kind,
  optionNames,
  onSave,
}: {
  providerName: string;
  kind: string;
  optionNames: string[];
  onSave: (patch: ProviderUpdate) => Promise<void>;
}) {
  const [draft, setDraft] = useState(EMPTY_CREDENTIAL_DRAFT);
  const setting = credentialSettingOf(kind);
  if (setting === undefined) return null;
  const stored = optionNames.includes(setting);
  return (
    <div data-testid={`credentials-${providerName}`}>
      <h3>Credentials ({setting})</h3>
      <p className="muted">{stored ? `Stored: ${setting} (values not shown). Saving replaces it as a whole.` : `No ${setting} setting stored.`}</p>
      <CredentialFields kind={kind} draft={draft} onChange={setDraft} />
      <div className="actions">
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void onSave(credentialSettingsOf(kind, draft)).then(() => setDraft(EMPTY_CREDENTIAL_DRAFT))
          }
        >
          Save credentials
        </button>
        {stored && (
          <button type="button" className="link-button" onClick={() => void onSave({ [setting]: null })}>
            remove {setting}
          </button>
        )}
      </div>
    </div>
  );
}

interface HeaderRow {
  name: string;
  value: string;
  stored: boolean;
}

/**
 * Extra upstream headers: the stored names (values are write-only: the API masks them and this
 * page never shows them), rows to add, and removal. The API replaces the whole set, so saving
 * needs a value for every row, stored ones included.
 */
export function HeadersEditor({ providerName, headerNames, onSave }: { providerName: string; headerNames: string[]; onSave: (headers: Record<string, string>) => Promise<void> }) {
  const initial = (): HeaderRow[] => headerNames.map((name) => ({ name, value: '', stored: true }));
  const [rows, setRows] = useState<HeaderRow[]>(initial);
  const [problem, setProblem] = useState<string>();
  const update = (index: number, change: Partial<HeaderRow>) => setRows((current) => current.map((row, position) => (position === index ? { ...row, ...change } : row)));
  const save = () => {
    const named = rows.filter((row) => row.name.trim() !== '');
    const missing = named.filter((row) => row.value === '').map((row) => row.name.trim());
    if (missing.length > 0) {
      setProblem(`Enter a value for ${missing.join(', ')}: saving replaces every header and stored values are never sent back.`);
      return;
    }
    setProblem(undefined);
    void onSave(Object.fromEntries(named.map((row) => [row.name.trim().toLowerCase(), row.value])));
  };
  return (
    <div data-testid={`headers-${providerName}`}>
      <h3>Headers</h3>
      <p className="muted">Extra headers sent upstream with every request. Values may be credentials: they are write-only (or env.NAME).</p>
      <ErrorBanner message={problem} />
      {rows.map((row, index) => (
        <div className="inline-form" key={index}>
          <label>
            Header {index + 1} name
            <input value={row.name} readOnly={row.stored} onChange={(event) => update(index, { name: event.target.value })} placeholder="x-custom-header" />
          </label>
          <label>
            Header {index + 1} value
            <input type="password" autoComplete="off" value={row.value} onChange={(event) => update(index, { value: event.target.value })} placeholder={row.stored ? 'stored (write-only): re-enter to keep' : 'value or env.NAME'} />
          </label>
          <button type="button" className="link-button" onClick={() => setRows((current) => current.filter((_, position) => position !== index))}>
            remove
          </button>
        </div>
      ))}
      <div className="actions">
        <button type="button" className="link-button" onClick={() => setRows((current) => [...current, { name: '', value: '', stored: false }])}>
          add header
        </button>{' '}
        <button type="button" className="secondary" onClick={save}>
          Save headers
        </button>
      </div>
    </div>
  );
}
