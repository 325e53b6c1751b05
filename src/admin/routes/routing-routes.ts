import type { Static } from '@sinclair/typebox';
import { completeRoutingContext, isJsonValue, type JsonValue } from '../../routing/routing-context.js';
import type { ResolvedTarget, RouteDecision, RouteExplanation, RoutingEngine } from '../../routing/routing-engine.js';
import type { OwnerReference } from '../../storage/records.js';
import { InvalidRoutingRuleError, RULE_SCOPE_TYPES, routingRuleToInput, type RoutingRule, type RoutingRuleInput, type RuleProblem } from '../../routing/routing-rule.js';
import type { RoutingAliasRepository, StoredRoutingAlias } from '../../storage/repositories/routing-alias-repository.js';
import type { StoredRoutingRule, RoutingRuleRepository } from '../../storage/repositories/routing-rule-repository.js';
import { AdminApiError, notFound } from '../admin-api-errors.js';
import {
  listOf,
  RoutingAliasesSchema,
  RoutingAliasPutSchema,
  RoutingAliasSchema,
  RoutingExplainRequestSchema,
  RoutingExplanationSchema,
  RoutingRuleCreateSchema,
  RoutingRuleSchema,
  RoutingRuleValidationSchema,
} from '../admin-api-schemas.js';
import { findTeam, findVirtualKey, inField } from '../admin-references.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../admin-router.js';
import type { ServedProviders } from '../served-providers.js';

/**
 * Routing rules through the admin API (`/api/routing/…`). Rules from the config file are listed
 * but read-only (409 on change); rules saved here go to the store (`routing_rules`) and into the
 * running engine at once (hot swap, no restart), and every replica reloads them on the
 * `{kind: 'routing'}` change. A rule is validated by the engine before it is stored: a bad CEL
 * expression is refused (400) with the CEL error and its line and column.
 */

type RuleBody = Static<typeof RoutingRuleCreateSchema>;
type RuleView = Static<typeof RoutingRuleSchema>;

/** The running routing, or 500 when the API runs without a gateway (tests of the API alone). */
function routingOf(services: AdminServices): { served: ServedProviders; rules: RoutingRuleRepository } {
  const served = services.servedProviders;
  const rules = served?.routingRules;
  if (served === undefined || rules === undefined) {
    throw new AdminApiError(500, 'api_error', 'routing rules are not available: the admin API runs without a gateway', { code: 'routing_unavailable' });
  }
  return { served, rules };
}

/** The running routing and the alias repository, or 500 when the API runs without a gateway. */
function aliasesOf(services: AdminServices): { served: ServedProviders; aliases: RoutingAliasRepository } {
  const served = services.servedProviders;
  const aliases = served?.routingAliases;
  if (served === undefined || aliases === undefined) {
    throw new AdminApiError(500, 'api_error', 'routing aliases are not available: the admin API runs without a gateway', { code: 'routing_unavailable' });
  }
  return { served, aliases };
}

/** 409 for a config alias's name. */
function configAliasConflict(name: string): AdminApiError {
  return new AdminApiError(409, 'conflict_error', `alias '${name}' comes from the config file and is read-only here; change it in the config`, { code: 'config_alias' });
}

type AliasView = Static<typeof RoutingAliasSchema>;

function aliasView(name: string, target: string, source: 'config' | 'api', inForce: Readonly<Record<string, string>>, stored?: StoredRoutingAlias): AliasView {
  return {
    name,
    target,
    source,
    loaded: inForce[name] === target,
    created_at: isoTime(stored?.createdAt),
    updated_at: isoTime(stored?.updatedAt),
  };
}

/** The config body as engine input (a fresh copy: the engine keeps what it is given). */
function ruleInputOf(body: RuleBody): RoutingRuleInput {
  return { ...body, targets: body.targets.map((target) => ({ ...target })), ...(body.fallbacks === undefined ? {} : { fallbacks: [...body.fallbacks] }) };
}

/** 400 for a refused rule: the message names every problem (the CEL error with its line and column); `param` is the first field. */
function invalidRule(name: string, problems: readonly RuleProblem[]): AdminApiError {
  const error = new InvalidRoutingRuleError(name, problems);
  return new AdminApiError(400, 'invalid_request_error', error.message, { param: problems[0]?.field ?? 'body', code: 'invalid_routing_rule', cause: error });
}

/** Validates a rule with the running engine. @throws AdminApiError 400 naming the problems */
function validated(engine: RoutingEngine, input: RoutingRuleInput): RoutingRuleInput {
  const validation = engine.validateRule(input);
  if (!validation.valid) throw invalidRule(input.name, validation.problems);
  return routingRuleToInput(validation.rule);
}

/** 409 for a config rule's name. */
function configRuleConflict(name: string): AdminApiError {
  return new AdminApiError(409, 'conflict_error', `routing rule '${name}' comes from the config file and is read-only here; change it in the config`, { code: 'config_rule' });
}

function isoTime(milliseconds: number | undefined): string | null {
  return milliseconds === undefined ? null : new Date(milliseconds).toISOString();
}

/** A rule (in input form, defaults filled where absent) as the API shows it. */
function ruleView(normalized: RoutingRuleInput, source: 'config' | 'api', loaded: boolean, stored?: StoredRoutingRule): RuleView {
  return {
    name: normalized.name,
    ...(normalized.description === undefined ? {} : { description: normalized.description }),
    expression: normalized.expression,
    scope: normalized.scope === undefined ? { type: 'global' } : normalized.scope,
    priority: normalized.priority ?? 0,
    targets: normalized.targets.map((target) => ({ provider: target.provider, model: target.model, ...(target.key === undefined ? {} : { key: target.key }), weight: target.weight ?? 1 })),
    fallbacks: normalized.fallbacks ?? [],
    enabled: normalized.enabled ?? true,
    source,
    loaded,
    created_at: isoTime(stored?.createdAt),
    updated_at: isoTime(stored?.updatedAt),
  };
}

/** The rules in evaluation order: scope (virtual key, team, customer, global), then the engine's order (priority, definition). */
function rulesInEvaluationOrder(engine: RoutingEngine): RoutingRule[] {
  const rank = (rule: RoutingRule) => RULE_SCOPE_TYPES.indexOf(rule.scope.type);
  return [...engine.listRules()].sort((left, right) => rank(left) - rank(right));
}

function targetView(target: ResolvedTarget): { provider: string; model: string; key?: string } {
  return { provider: target.provider, model: target.model, ...(target.keyId === undefined ? {} : { key: target.keyId }) };
}

function decisionView(decision: RouteDecision): NonNullable<Static<typeof RoutingExplanationSchema>['decision']> {
  return {
    source: decision.source,
    route_name: decision.routeName,
    ...(decision.rule === undefined ? {} : { rule: { name: decision.rule.name, scope: decision.rule.scope, priority: decision.rule.priority } }),
    ...(decision.alias === undefined ? {} : { alias: decision.alias }),
    requested_model: decision.requestedModel,
    target: targetView(decision.target),
    fallbacks: decision.fallbacks.map(targetView),
    ...(decision.requestKind === undefined ? {} : { request_kind: decision.requestKind }),
  };
}

function explanationView(explanation: RouteExplanation): Static<typeof RoutingExplanationSchema> {
  return {
    ...(explanation.decision === undefined ? {} : { decision: decisionView(explanation.decision) }),
    ...(explanation.error === undefined ? {} : { error: explanation.error }),
    evaluations: explanation.evaluations.map((evaluation) => ({
      rule: evaluation.rule,
      scope: evaluation.scope,
      priority: evaluation.priority,
      outcome: evaluation.outcome,
      ...(evaluation.error === undefined ? {} : { error: evaluation.error }),
    })),
  };
}

/** The JSON values of an explain request's `params`. */
function jsonParams(params: Record<string, unknown>): Record<string, JsonValue> {
  const result: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(params)) if (isJsonValue(value)) result[name] = value;
  return result;
}

/** The `/api/routing/…` routes. */
export const routingRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/routing/rules',
    operationId: 'listRoutingRules',
    summary: 'List routing rules (config and saved), in evaluation order',
    description:
      'Rules in force in the order a request meets them (virtual key scope, team, customer, global; lower priority first; equal priorities in definition order, config rules before saved ones), then saved rules that are not loaded (their provider is gone).',
    tag: 'routing',
    success: { status: 200, description: 'Every rule, each marked `source: config | api`.', schema: listOf(RoutingRuleSchema) },
    handler: async ({ services }) => {
      const { served, rules } = routingOf(services);
      const stored = new Map((await rules.list()).map((rule) => [rule.name, rule]));
      const configNames = served.configRuleNames;
      const inForce = rulesInEvaluationOrder(served.routingEngine);
      const loadedNames = new Set(inForce.map((rule) => rule.name));
      const data = [
        ...inForce.map((rule) => ruleView(routingRuleToInput(rule), configNames.has(rule.name) ? 'config' : 'api', true, configNames.has(rule.name) ? undefined : stored.get(rule.name))),
        ...[...stored.values()].filter((rule) => !loadedNames.has(rule.name) || configNames.has(rule.name)).map((rule) => ruleView(rule.definition, 'api', false, rule)),
      ];
      return { status: 200, body: { data } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/routing/rules',
    operationId: 'createRoutingRule',
    summary: 'Save a routing rule; it applies to the next request',
    description: 'Validated by the routing engine first: a bad CEL expression is refused (400) with the CEL error, its line and column.',
    tag: 'routing',
    body: RoutingRuleCreateSchema,
    success: { status: 201, description: 'The rule as saved.', schema: RoutingRuleSchema },
    errors: [409],
    handler: async ({ body, services }) => {
      const { served, rules } = routingOf(services);
      const input = validated(served.routingEngine, ruleInputOf(body));
      if (served.configRuleNames.has(input.name)) throw configRuleConflict(input.name);
      const stored = await rules.create(input);
      served.routingEngine.upsertRule(input);
      await services.governance.notifier.publish({ kind: 'routing' });
      return { status: 201, body: ruleView(input, 'api', true, stored) };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/routing/rules/{name}',
    operationId: 'replaceRoutingRule',
    summary: 'Replace a saved routing rule (a different `name` renames it)',
    description: 'Rules from the config file are read-only here (409).',
    tag: 'routing',
    body: RoutingRuleCreateSchema,
    success: { status: 200, description: 'The rule as saved.', schema: RoutingRuleSchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => {
      const { served, rules } = routingOf(services);
      const configNames = served.configRuleNames;
      if (configNames.has(params.name)) throw configRuleConflict(params.name);
      if ((await rules.find(params.name)) === undefined) throw notFound('routing rule', params.name);
      const input = validated(served.routingEngine, ruleInputOf(body));
      if (configNames.has(input.name)) throw configRuleConflict(input.name);
      const stored = await rules.update(params.name, input);
      const engine = served.routingEngine;
      if (input.name !== params.name) engine.removeRule(params.name);
      engine.upsertRule(input);
      await services.governance.notifier.publish({ kind: 'routing' });
      return { status: 200, body: ruleView(input, 'api', true, stored) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/routing/rules/{name}',
    operationId: 'deleteRoutingRule',
    summary: 'Delete a saved routing rule; requests stop matching it at once',
    description: 'Rules from the config file are read-only here (409).',
    tag: 'routing',
    success: { status: 204, description: 'Deleted.' },
    errors: [404, 409],
    handler: async ({ params, services }) => {
      const { served, rules } = routingOf(services);
      if (served.configRuleNames.has(params.name)) throw configRuleConflict(params.name);
      if (!(await rules.remove(params.name))) throw notFound('routing rule', params.name);
      served.routingEngine.removeRule(params.name);
      await services.governance.notifier.publish({ kind: 'routing' });
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/routing/validate',
    operationId: 'validateRoutingRule',
    summary: 'Validate a routing rule without saving it',
    description: 'For as-you-type checks: `valid`, and every problem with its field and, for the expression, line and column. Always 200 for a well-formed body.',
    tag: 'routing',
    body: RoutingRuleCreateSchema,
    success: { status: 200, description: 'Whether the rule would be accepted.', schema: RoutingRuleValidationSchema },
    handler: async ({ body, services }) => {
      const { served } = routingOf(services);
      const input = ruleInputOf(body);
      const validation = served.routingEngine.validateRule(input);
      const problems = validation.valid ? [] : validation.problems.map((problem) => ({ ...problem }));
      if (validation.valid && served.configRuleNames.has(input.name)) problems.push({ field: 'name', message: `a config rule is named '${input.name}'` });
      return { status: 200, body: { valid: problems.length === 0, problems } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/routing/explain',
    operationId: 'explainRoute',
    summary: 'Explain where a request would go',
    description:
      'Which rule matches (and how every rule fared), in which scope, the target and the fallbacks (the request\'s, the rule\'s, the virtual key\'s); nothing is sent. `virtual_key_id` (id or name) adds the key, its team, customer and fallback chain, and `budget_used` / `tokens_used` as they stand for it unless given.',
    tag: 'routing',
    body: RoutingExplainRequestSchema,
    success: { status: 200, description: 'The decision, or `error` when none could be made.', schema: RoutingExplanationSchema },
    errors: [400],
    handler: async ({ body, services }) => {
      const { served } = routingOf(services);
      const engine = served.routingEngine;
      const store = services.governance.store;
      let virtualKey: { id: string; name: string } | null = null;
      let team: { id: string; name: string } | null = null;
      let customer: { id: string; name: string } | null = null;
      let virtualKeyFallbacks: readonly string[] = [];
      let budgetUsed = body.budget_used;
      let tokensUsed = body.tokens_used;
      if (body.virtual_key_id !== undefined) {
        const record = await inField('virtual_key_id', findVirtualKey(store, body.virtual_key_id));
        virtualKey = { id: record.id, name: record.name };
        virtualKeyFallbacks = record.fallbacks;
        const teamRecord = record.teamId === undefined ? undefined : await findTeam(store, record.teamId);
        if (teamRecord !== undefined) team = { id: teamRecord.id, name: teamRecord.name };
        const customerId = record.customerId ?? teamRecord?.customerId;
        if (customerId !== undefined) {
          const customerRecord = await store.customers.get(customerId);
          if (customerRecord !== undefined) customer = { id: customerRecord.id, name: customerRecord.name };
        }
        // Not given: the key's chain's actual use, as the request path would see it.
        if (budgetUsed === undefined || tokensUsed === undefined) {
          const owners: OwnerReference[] = [{ type: 'virtual_key', id: record.id }];
          if (team !== null) owners.push({ type: 'team', id: team.id });
          if (customer !== null) owners.push({ type: 'customer', id: customer.id });
          const [budgets, rateLimits] = await Promise.all([store.budgets.listForOwners(owners), store.rateLimits.listForOwners(owners)]);
          const used = await services.governance.service.usedPercents(
            { budgets, rateLimits },
            { budgets: budgetUsed === undefined, tokens: tokensUsed === undefined, provider: engine.providerOf(body.model) },
          );
          budgetUsed ??= used.budgetUsedPercent;
          tokensUsed ??= used.tokensUsedPercent;
        }
      }
      const context = completeRoutingContext({
        model: body.model,
        provider: engine.providerOf(body.model),
        ...(body.headers === undefined ? {} : { headers: body.headers }),
        ...(body.params === undefined ? {} : { params: jsonParams(body.params) }),
        virtual_key: virtualKey,
        team,
        customer,
        ...(body.request_kind === undefined ? {} : { request_kind: body.request_kind }),
        ...(budgetUsed === undefined ? {} : { budget_used: budgetUsed }),
        ...(tokensUsed === undefined ? {} : { tokens_used: tokensUsed }),
      });
      return { status: 200, body: explanationView(engine.explainRoute(context, { requestFallbacks: body.fallbacks ?? [], virtualKeyFallbacks })) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/routing/aliases',
    operationId: 'listRoutingAliases',
    summary: 'The model aliases (config file and saved) and which are in force',
    description: 'A request whose model is an alias goes to the alias\'s target when no routing rule matched it first.',
    tag: 'routing',
    success: { status: 200, description: '`data`: alias → model reference, as in force; `aliases`: every alias with its source.', schema: RoutingAliasesSchema },
    handler: async ({ services }) => {
      const served = services.servedProviders;
      if (served === undefined) throw new AdminApiError(500, 'api_error', 'routing aliases are not available: the admin API runs without a gateway', { code: 'routing_unavailable' });
      const inForce = served.routingEngine.listAliases();
      const config = served.configAliases;
      const stored = (await served.routingAliases?.list()) ?? [];
      const aliases = [
        ...Object.entries(config).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)).map(([name, target]) => aliasView(name, target, 'config', inForce)),
        ...stored.map((alias) => aliasView(alias.name, alias.target, 'api', Object.hasOwn(config, alias.name) ? {} : inForce, alias)),
      ];
      return { status: 200, body: { data: inForce, aliases } };
    },
  }),
  defineRoute({
    method: 'PUT',
    path: '/api/routing/aliases/{name}',
    operationId: 'putRoutingAlias',
    summary: 'Create or replace a model alias; it applies to the next request',
    description:
      'The target must resolve to a served provider (provider/model or a configured model name) and may not be another alias; aliases from the config file are read-only here (409). Saved in the database and announced to every replica.',
    tag: 'routing',
    body: RoutingAliasPutSchema,
    success: { status: 200, description: 'The alias as saved.', schema: RoutingAliasSchema },
    errors: [409],
    handler: async ({ params, body, services }) => {
      const { served, aliases } = aliasesOf(services);
      const name = params.name;
      if (Object.hasOwn(served.configAliases, name)) throw configAliasConflict(name);
      const engine = served.routingEngine;
      const candidate = { ...engine.listAliases(), [name]: body.target };
      const problems = engine.validateAliases(candidate);
      if (problems.length > 0) {
        const own = problems.find((problem) => problem.field === `aliases.${name}`);
        const message = own === undefined ? problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ') : own.message;
        throw new AdminApiError(400, 'invalid_request_error', `target: ${message}`, { param: own === undefined ? 'name' : 'target', code: 'invalid_routing_alias' });
      }
      const stored = await aliases.put(name, body.target);
      engine.setAliases(candidate);
      await services.governance.notifier.publish({ kind: 'routing' });
      return { status: 200, body: aliasView(name, body.target, 'api', candidate, stored) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/routing/aliases/{name}',
    operationId: 'deleteRoutingAlias',
    summary: 'Delete a saved model alias; requests stop resolving it at once',
    description: 'Aliases from the config file are read-only here (409); an alias named in the fallbacks of a routing rule in force cannot be deleted (409, the rules named).',
    tag: 'routing',
    success: { status: 204, description: 'Deleted.' },
    errors: [404, 409],
    handler: async ({ params, services }) => {
      const { served, aliases } = aliasesOf(services);
      const name = params.name;
      if (Object.hasOwn(served.configAliases, name)) throw configAliasConflict(name);
      if ((await aliases.find(name)) === undefined) throw notFound('routing alias', name);
      const engine = served.routingEngine;
      const users = engine.listRules().filter((rule) => rule.fallbacks.includes(name)).map((rule) => rule.name);
      if (users.length > 0) {
        throw new AdminApiError(409, 'conflict_error', `alias '${name}' is a fallback of routing rule${users.length === 1 ? '' : 's'} ${users.map((rule) => `'${rule}'`).join(', ')}; change ${users.length === 1 ? 'it' : 'them'} first`, { code: 'alias_in_use' });
      }
      await aliases.remove(name);
      const remaining = engine.listAliases();
      if (remaining[name] !== undefined && !Object.hasOwn(served.configAliases, name)) {
        delete remaining[name];
        engine.setAliases(remaining);
      }
      await services.governance.notifier.publish({ kind: 'routing' });
      return { status: 204 };
    },
  }),
];
