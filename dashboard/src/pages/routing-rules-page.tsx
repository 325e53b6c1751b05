import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { virtualKeysApi } from '../api/admin-api.js';
import { ApiError } from '../api/api-client.js';
import {
  providersApi,
  routingApi,
  type RequestKind,
  type RouteExplanation,
  type RoutingRule,
  type RoutingRuleInput,
  type RuleOutcome,
  type RuleScopeType,
  type RuleValidation,
} from '../api/gateway-config-api.js';
import { joinList, messageOf, splitList } from '../components/config-forms.js';
import { ErrorBanner } from '../components/error-banner.js';
import { useApi } from '../components/use-api.js';
import './config-pages.css';

/**
 * Routing rules: the rules in evaluation order (scope, then priority, then definition order), an
 * editor whose CEL expression is validated as you type (`POST /api/routing/validate`, the error's
 * line and column marked), and a "Try it" panel that evaluates the rules for a sample request
 * (`POST /api/routing/explain`) and shows which rule matched and where the request goes. Below the
 * rules, the model aliases (`/api/routing/aliases`): config ones read-only, saved ones created,
 * replaced and deleted here.
 */
export function RoutingRulesPage() {
  const rules = useApi(() => routingApi.rules());
  const providers = useApi(() => providersApi.list());
  const [editing, setEditing] = useState<RoutingRule | 'new' | undefined>();
  const [problem, setProblem] = useState<string>();
  const remove = async (name: string) => {
    if (!window.confirm(`Delete routing rule ${name}?`)) return;
    try {
      await routingApi.remove(name);
      setProblem(undefined);
      await rules.reload();
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  return (
    <section>
      <header className="page-header">
        <h1>Routing rules</h1>
        <span className="muted">evaluated top to bottom; the first match routes the request</span>
        <div className="actions">
          <button type="button" onClick={() => setEditing('new')}>
            New rule
          </button>
        </div>
      </header>
      <ErrorBanner message={rules.error ?? problem} />
      {editing !== undefined && (
        <RuleEditor
          key={editing === 'new' ? 'new' : editing.name}
          rule={editing === 'new' ? undefined : editing}
          providerNames={(providers.data ?? []).map((provider) => provider.name)}
          onDone={async (saved) => {
            setEditing(undefined);
            if (saved) await rules.reload();
          }}
        />
      )}
      <div className="table-wrap">
        <table data-testid="routing-rules">
          <thead>
            <tr>
              <th>#</th>
              <th>Name</th>
              <th>Scope</th>
              <th className="number">Priority</th>
              <th>Expression</th>
              <th>Targets</th>
              <th>Fallbacks</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.data?.length === 0 && (
              <tr>
                <td colSpan={9} className="muted">
                  No rules: requests go to the provider their model names (provider/model, aliases, configured model lists).
                </td>
              </tr>
            )}
            {rules.data?.map((rule, index) => (
              <tr key={rule.name} data-testid="routing-rule-row">
                <td>{index + 1}</td>
                <td>
                  {rule.name}
                  {rule.description !== undefined && <div className="muted">{rule.description}</div>}
                </td>
                <td>{rule.scope.type === 'global' ? 'global' : `${rule.scope.type} ${rule.scope.id ?? ''}`}</td>
                <td className="number">{rule.priority}</td>
                <td className="mono">{rule.expression}</td>
                <td className="mono">
                  {rule.targets.map((target) => `${target.provider}/${target.model}${target.key === undefined ? '' : ` [${target.key}]`}${rule.targets.length > 1 ? ` ×${target.weight}` : ''}`).join(', ')}
                </td>
                <td className="mono">{joinList(rule.fallbacks) || '–'}</td>
                <td>
                  <span className={`badge ${rule.enabled && rule.loaded ? 'success' : 'warning'}`}>{!rule.loaded ? 'not loaded' : rule.enabled ? 'enabled' : 'disabled'}</span>{' '}
                  <span className="badge">{rule.source}</span>
                </td>
                <td>
                  {rule.source === 'api' ? (
                    <>
                      <button type="button" className="link-button" onClick={() => setEditing(rule)}>
                        edit
                      </button>{' '}
                      <button type="button" className="link-button" onClick={() => void remove(rule.name)}>
                        delete
                      </button>
                    </>
                  ) : (
                    <span className="muted" title="Rules from the config file change in the file">
                      config file
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <AliasesSection />
      <TryItPanel />
    </section>
  );
}

interface TargetDraft {
  provider: string;
  model: string;
  key: string;
  weight: string;
}

function draftOf(rule: RoutingRule | undefined) {
  return {
    name: rule?.name ?? '',
    description: rule?.description ?? '',
    expression: rule?.expression ?? '',
    scopeType: (rule?.scope.type ?? 'global') as RuleScopeType,
    scopeId: rule?.scope.id ?? '',
    priority: String(rule?.priority ?? 0),
    targets: (rule?.targets ?? [{ provider: '', model: '', weight: 1 }]).map((target): TargetDraft => ({
      provider: target.provider,
      model: target.model,
      key: target.key ?? '',
      weight: String(target.weight),
    })),
    fallbacks: joinList(rule?.fallbacks ?? []),
    enabled: rule?.enabled ?? true,
  };
}

type Draft = ReturnType<typeof draftOf>;

/** The rule a draft describes. */
function ruleInputOf(draft: Draft): RoutingRuleInput {
  return {
    name: draft.name.trim(),
    ...(draft.description.trim() === '' ? {} : { description: draft.description.trim() }),
    expression: draft.expression,
    scope: draft.scopeType === 'global' ? { type: 'global' } : { type: draft.scopeType, id: draft.scopeId.trim() },
    priority: Number.parseInt(draft.priority, 10) || 0,
    targets: draft.targets.map((target) => ({
      provider: target.provider.trim(),
      model: target.model.trim(),
      ...(target.key.trim() === '' ? {} : { key: target.key.trim() }),
      weight: Number(target.weight) > 0 ? Number(target.weight) : 1,
    })),
    fallbacks: splitList(draft.fallbacks),
    enabled: draft.enabled,
  };
}

/** Whether the draft's targets and scope are complete enough to validate as they are. */
function isComplete(draft: Draft): boolean {
  return draft.targets.every((target) => target.provider.trim() !== '' && target.model.trim() !== '') && (draft.scopeType === 'global' || draft.scopeId.trim() !== '');
}

/**
 * Validates the draft at the server while the user types (debounced). Until the targets are filled
 * in, the expression is validated alone (with a stand-in target whose problems are not shown).
 */
function useRuleValidation(draft: Draft): { validation: RuleValidation | undefined; requestProblem: string | undefined; complete: boolean } {
  const [validation, setValidation] = useState<RuleValidation>();
  const [requestProblem, setRequestProblem] = useState<string>();
  const complete = isComplete(draft);
  const input = useMemo(() => {
    const full = ruleInputOf(draft);
    return complete ? full : { ...full, name: full.name || 'draft', scope: { type: 'global' as const }, targets: [{ provider: 'draft', model: 'draft' }] };
  }, [draft, complete]);
  const body = JSON.stringify({ ...input, name: input.name || 'draft' });
  useEffect(() => {
    if (draft.expression.trim() === '') {
      setValidation(undefined);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      routingApi
        .validate(JSON.parse(body) as RoutingRuleInput)
        .then((result) => {
          if (!current) return;
          setValidation(result);
          setRequestProblem(undefined);
        })
        .catch((error: unknown) => {
          if (!current) return;
          setValidation(undefined);
          setRequestProblem(error instanceof ApiError ? error.message : messageOf(error));
        });
    }, 250);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [body, draft.expression]);
  return { validation, requestProblem, complete };
}

function RuleEditor({ rule, providerNames, onDone }: { rule: RoutingRule | undefined; providerNames: string[]; onDone: (saved: boolean) => Promise<void> }) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(rule));
  const [problem, setProblem] = useState<string>();
  const { validation, requestProblem, complete } = useRuleValidation(draft);
  const expressionProblems = validation?.problems.filter((entry) => entry.field === 'expression') ?? [];
  const otherProblems = complete ? (validation?.problems.filter((entry) => entry.field !== 'expression') ?? []) : [];
  const set = <Field extends keyof Draft>(field: Field, value: Draft[Field]) => setDraft((current) => ({ ...current, [field]: value }));
  const setTarget = (index: number, field: keyof TargetDraft, value: string) =>
    setDraft((current) => ({ ...current, targets: current.targets.map((target, position) => (position === index ? { ...target, [field]: value } : target)) }));
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      if (rule === undefined) await routingApi.create(ruleInputOf(draft));
      else await routingApi.update(rule.name, ruleInputOf(draft));
      await onDone(true);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const lines = draft.expression.split('\n');
  return (
    <form className="card" onSubmit={(event) => void save(event)} aria-label="Routing rule editor" style={{ marginBottom: 16 }}>
      <h2 style={{ marginTop: 0 }}>{rule === undefined ? 'New routing rule' : `Edit ${rule.name}`}</h2>
      <ErrorBanner message={problem} />
      <datalist id="provider-names">
        {providerNames.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <div className="form-row">
        <label>
          Name
          <input value={draft.name} onChange={(event) => set('name', event.target.value)} required />
        </label>
        <label>
          Description
          <input value={draft.description} onChange={(event) => set('description', event.target.value)} />
        </label>
        <label>
          Scope
          <select value={draft.scopeType} onChange={(event) => set('scopeType', event.target.value as RuleScopeType)}>
            <option value="global">global</option>
            <option value="customer">customer</option>
            <option value="team">team</option>
            <option value="virtual_key">virtual key</option>
          </select>
        </label>
        {draft.scopeType !== 'global' && (
          <label>
            Scope id
            <input value={draft.scopeId} onChange={(event) => set('scopeId', event.target.value)} placeholder={`${draft.scopeType} id`} />
          </label>
        )}
        <label style={{ flex: '0 0 90px' }}>
          Priority
          <input type="number" value={draft.priority} onChange={(event) => set('priority', event.target.value)} title="Lower runs first within a scope" />
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={draft.enabled} onChange={(event) => set('enabled', event.target.checked)} /> enabled
        </label>
      </div>
      <div className={`expression-editor ${expressionProblems.length > 0 ? 'invalid' : ''}`}>
        <label>
          CEL expression (model, provider, headers, params, virtual_key, team, customer, budget_used, tokens_used, request_kind)
          <textarea
            aria-label="CEL expression"
            spellCheck={false}
            value={draft.expression}
            onChange={(event) => set('expression', event.target.value)}
            placeholder={'model == "claude-sonnet-4-5" && request_kind == "background"'}
          />
        </label>
        <div className="expression-status-area" data-testid="expression-status">
          {draft.expression.trim() === '' ? null : validation === undefined && requestProblem === undefined ? (
            <div className="expression-status muted">checking…</div>
          ) : expressionProblems.length === 0 && requestProblem === undefined ? (
            <div className="expression-status valid">✓ expression is valid</div>
          ) : (
            <>
              {expressionProblems.map((entry, index) => (
                <div key={index}>
                  {entry.position !== undefined && (
                    <pre className="caret-line" aria-hidden="true">
                      {`${lines[entry.position.line - 1] ?? ''}\n${' '.repeat(Math.max(0, entry.position.column - 1))}^`}
                    </pre>
                  )}
                  <div className="expression-status invalid">
                    {entry.position === undefined ? '' : `line ${entry.position.line}, column ${entry.position.column}: `}
                    {entry.message}
                  </div>
                </div>
              ))}
              {requestProblem !== undefined && <div className="expression-status invalid">{requestProblem}</div>}
            </>
          )}
        </div>
      </div>
      <h3>Targets (picked at random by weight)</h3>
      {draft.targets.map((target, index) => (
        <div className="target-row" key={index}>
          <label>
            Provider
            <input list="provider-names" value={target.provider} onChange={(event) => setTarget(index, 'provider', event.target.value)} aria-label={`Target ${index + 1} provider`} />
          </label>
          <label>
            Model
            <input value={target.model} onChange={(event) => setTarget(index, 'model', event.target.value)} aria-label={`Target ${index + 1} model`} />
          </label>
          <label>
            Key (optional)
            <input value={target.key} onChange={(event) => setTarget(index, 'key', event.target.value)} />
          </label>
          <label>
            Weight
            <input type="number" min="0.001" step="any" value={target.weight} onChange={(event) => setTarget(index, 'weight', event.target.value)} />
          </label>
          <button type="button" className="link-button" disabled={draft.targets.length === 1} onClick={() => set('targets', draft.targets.filter((_, position) => position !== index))}>
            remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => set('targets', [...draft.targets, { provider: '', model: '', key: '', weight: '1' }])}>
        Add target
      </button>
      <div className="form-row" style={{ marginTop: 12 }}>
        <label>
          Fallbacks (provider/model or alias, in order)
          <input value={draft.fallbacks} onChange={(event) => set('fallbacks', event.target.value)} placeholder="anthropic/claude-sonnet-4-5" />
        </label>
      </div>
      {otherProblems.length > 0 && (
        <ul className="expression-status invalid">
          {otherProblems.map((entry, index) => (
            <li key={index}>
              {entry.field}: {entry.message}
            </li>
          ))}
        </ul>
      )}
      <div className="mapping-actions">
        <button type="submit">Save rule</button>
        <button type="button" className="secondary" onClick={() => void onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * The model aliases: every alias with its target, source and whether it is in force; a form that
 * creates or replaces a saved alias (`PUT /api/routing/aliases/{name}`), and delete for saved ones
 * (the API's 409 shown when a rule's fallbacks use the alias).
 */
function AliasesSection() {
  const aliases = useApi(() => routingApi.aliasList());
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const [problem, setProblem] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const act = async (action: () => Promise<unknown>, done: string) => {
    try {
      await action();
      setProblem(undefined);
      setNotice(done);
      await aliases.reload();
      return true;
    } catch (error) {
      setNotice(undefined);
      setProblem(messageOf(error));
      return false;
    }
  };
  const save = async (event: FormEvent) => {
    event.preventDefault();
    const aliasName = name.trim();
    if (await act(() => routingApi.putAlias(aliasName, target.trim()), `Alias ${aliasName} saved.`)) {
      setName('');
      setTarget('');
    }
  };
  const remove = async (aliasName: string) => {
    if (!window.confirm(`Delete alias ${aliasName}? Requests for it stop resolving at once.`)) return;
    await act(() => routingApi.removeAlias(aliasName), `Alias ${aliasName} deleted.`);
  };
  const list = aliases.data?.aliases ?? [];
  return (
    <section className="card" style={{ marginTop: 16 }} aria-label="Aliases">
      <h2 style={{ marginTop: 0 }}>Aliases</h2>
      <p className="muted">A request whose model is an alias goes to the alias's target when no rule matched it first.</p>
      <ErrorBanner message={aliases.error ?? problem} />
      {notice !== undefined && (
        <div className="muted" role="status">
          {notice}
        </div>
      )}
      <div className="table-wrap">
        <table data-testid="routing-aliases">
          <thead>
            <tr>
              <th>Alias</th>
              <th>Target</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {aliases.data !== undefined && list.length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  No aliases.
                </td>
              </tr>
            )}
            {list.map((alias) => (
              <tr key={`${alias.source}:${alias.name}`} data-testid="routing-alias-row">
                <td className="mono">{alias.name}</td>
                <td className="mono">{alias.target}</td>
                <td>
                  <span className={`badge ${alias.loaded ? 'success' : 'warning'}`}>{alias.loaded ? 'in force' : 'not loaded'}</span> <span className="badge">{alias.source}</span>
                </td>
                <td>
                  {alias.source === 'api' ? (
                    <>
                      <button
                        type="button"
                        className="link-button"
                        onClick={() => {
                          setName(alias.name);
                          setTarget(alias.target);
                        }}
                      >
                        edit
                      </button>{' '}
                      <button type="button" className="link-button" aria-label={`Delete alias ${alias.name}`} onClick={() => void remove(alias.name)}>
                        delete
                      </button>
                    </>
                  ) : (
                    <span className="muted" title="Aliases from the config file change in the file">
                      config file
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form className="inline-form" style={{ marginTop: 8 }} onSubmit={(event) => void save(event)} aria-label="Save alias">
        <label>
          Alias name
          <input value={name} onChange={(event) => setName(event.target.value)} required pattern="\S+" placeholder="sonnet-model" />
        </label>
        <label>
          Target (provider/model)
          <input value={target} onChange={(event) => setTarget(event.target.value)} required pattern="\S+" placeholder="anthropic/claude-sonnet-4-5" />
        </label>
        <button type="submit">Save alias</button>
      </form>
    </section>
  );
}

const REQUEST_KINDS: readonly RequestKind[] = ['main', 'subagent', 'background', 'title', 'compaction', 'other'];

/** `name: value` lines → headers. */
function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const separator = line.indexOf(':');
    if (separator <= 0) continue;
    headers[line.slice(0, separator).trim().toLowerCase()] = line.slice(separator + 1).trim();
  }
  return headers;
}

function outcomeClass(outcome: RuleOutcome): string {
  if (outcome === 'matched') return 'outcome-matched';
  if (outcome === 'error') return 'outcome-error';
  return 'outcome-muted';
}

function TryItPanel() {
  const keys = useApi(() => virtualKeysApi.list());
  const [model, setModel] = useState('claude-sonnet-4-5');
  const [headers, setHeaders] = useState('user-agent: claude-cli/2.1.0 (external, cli)');
  const [virtualKey, setVirtualKey] = useState('');
  const [requestKind, setRequestKind] = useState<RequestKind | ''>('');
  const [explanation, setExplanation] = useState<RouteExplanation>();
  const [problem, setProblem] = useState<string>();
  const run = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setExplanation(
        await routingApi.explain({
          model: model.trim(),
          headers: parseHeaders(headers),
          ...(virtualKey === '' ? {} : { virtual_key_id: virtualKey }),
          ...(requestKind === '' ? {} : { request_kind: requestKind }),
        }),
      );
      setProblem(undefined);
    } catch (error) {
      setProblem(messageOf(error));
    }
  };
  const decision = explanation?.decision;
  return (
    <form className="card" style={{ marginTop: 16 }} onSubmit={(event) => void run(event)} aria-label="Try it">
      <h2 style={{ marginTop: 0 }}>Try it</h2>
      <p className="muted">Evaluates the rules in force against a sample request; nothing is sent upstream.</p>
      <ErrorBanner message={problem ?? keys.error} />
      <div className="form-row">
        <label>
          Model
          <input aria-label="Sample model" value={model} onChange={(event) => setModel(event.target.value)} required />
        </label>
        <label>
          Virtual key
          <select value={virtualKey} onChange={(event) => setVirtualKey(event.target.value)}>
            <option value="">none</option>
            {keys.data?.map((key) => (
              <option key={key.id} value={key.id}>
                {key.name} ({key.key_prefix})
              </option>
            ))}
          </select>
        </label>
        <label>
          Request kind
          <select value={requestKind} onChange={(event) => setRequestKind(event.target.value as RequestKind | '')}>
            <option value="">from the headers</option>
            {REQUEST_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label>
        Headers (one “name: value” per line)
        <textarea aria-label="Sample headers" rows={3} value={headers} onChange={(event) => setHeaders(event.target.value)} />
      </label>
      <div style={{ marginTop: 8 }}>
        <button type="submit">Evaluate</button>
      </div>
      {explanation !== undefined && (
        <div data-testid="try-it-result">
          {decision !== undefined ? (
            <div className="route-result">
              <div>
                <strong>{decision.source === 'rule' ? `Rule “${decision.rule?.name ?? decision.route_name}” matched` : decision.source === 'alias' ? `Alias ${decision.alias ?? ''}` : 'No rule matched: default routing'}</strong>
              </div>
              <div>
                → <span className="mono">{`${decision.target.provider}/${decision.target.model}${decision.target.key === undefined ? '' : ` [key ${decision.target.key}]`}`}</span>
              </div>
              {decision.fallbacks.length > 0 && <div className="muted">then {decision.fallbacks.map((target) => `${target.provider}/${target.model}`).join(', ')}</div>}
              {decision.request_kind !== undefined && <div className="muted">request kind: {decision.request_kind}</div>}
            </div>
          ) : (
            <ErrorBanner message={explanation.error ?? 'no decision'} />
          )}
          {explanation.evaluations.length > 0 && (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Rule</th>
                    <th>Scope</th>
                    <th className="number">Priority</th>
                    <th>Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {explanation.evaluations.map((evaluation) => (
                    <tr key={evaluation.rule}>
                      <td>{evaluation.rule}</td>
                      <td>{evaluation.scope.type}</td>
                      <td className="number">{evaluation.priority}</td>
                      <td className={outcomeClass(evaluation.outcome)}>
                        {evaluation.outcome}
                        {evaluation.error === undefined ? '' : `: ${evaluation.error}`}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </form>
  );
}
