import { GatewayError } from '../core/errors.js';
import type { ProviderInstance } from '../providers/provider.js';
import type { RequestKind } from './classify-claude-code-request.js';
import { compileRoutingExpression, RoutingExpressionError, type CompiledExpression, type ExpressionOutcome } from './compile-routing-rule.js';
import type { RoutingContext, RoutingIdentity, RoutingVariable } from './routing-context.js';
import { resolveModel } from './resolve-model.js';
import {
  InvalidRoutingRuleError,
  MAX_FALLBACKS,
  normalizeRoutingRule,
  type RouteTargetSpec,
  type RoutingRule,
  type RoutingRuleInput,
  type RuleProblem,
  type RuleScope,
  type RuleValidation,
} from './routing-rule.js';

/**
 * The routing engine: rules (CEL, compiled once when they change), static aliases, and the
 * decision for one request — which rule matched, in which scope, which target was chosen and which
 * fallbacks follow. Pure apart from the weighted pick (its random source is injectable); rules and
 * aliases are swapped atomically, so a change takes effect for the next request without a restart.
 *
 * The admin API (`/api/routing/…`, `src/admin/routes/routing-routes.ts`) and dashboard call {@link RoutingEngine.validateRule},
 * {@link RoutingEngine.upsertRule}, {@link RoutingEngine.removeRule}, {@link RoutingEngine.replaceRules}
 * and {@link RoutingEngine.explainRoute}; the request path calls {@link RoutingEngine.route}.
 *
 * @see ../../docs/architecture.md#routing
 */

/** A resolved place to send a request: a configured provider instance and the upstream model name. */
export interface ResolvedTarget {
  provider: string;
  model: string;
  /** The provider key pinned by the rule's target, if any. */
  keyId?: string;
}

/** Why the request goes where it goes. */
export type RouteSource = 'rule' | 'alias' | 'default';

/**
 * The routing decision for one request, as the request log stores it and `explainRoute` reports
 * it. `routeName` is what `x-heimdall-route` says: the rule's name, or `default`.
 */
export interface RouteDecision {
  source: RouteSource;
  /** The matching rule's name, or `default` when no rule matched (also for a static alias). */
  routeName: string;
  /** The matching rule, when one matched. */
  rule?: { name: string; scope: RuleScope; priority: number };
  /** The static alias that rewrote the model, when one did. */
  alias?: string;
  /** The model as the caller sent it. */
  requestedModel: string;
  /** Where the request goes first. */
  target: ResolvedTarget;
  /** Where it goes next when the target fails, in order: the request's own fallbacks, then the rule's, then the virtual key's. */
  fallbacks: ResolvedTarget[];
  /** The request kind, when a rule used it (see `classify-claude-code-request.ts`). */
  requestKind?: RequestKind;
}

/** How one rule fared for a request, in `explainRoute`. */
export interface RuleEvaluation {
  rule: string;
  scope: RuleScope;
  priority: number;
  /**
   * `matched`: the first match, the one that decided; `no-match`: evaluated to false; `error`: the
   * evaluation failed (a missing header, a null team, …), which counts as no match;
   * `not-evaluated`: after the match; `out-of-scope`: the request is not in the rule's scope;
   * `disabled`: the rule is switched off.
   */
  outcome: 'matched' | 'no-match' | 'error' | 'not-evaluated' | 'out-of-scope' | 'disabled';
  error?: string;
}

/** What `explainRoute` answers: the decision (or why none could be made) and every rule's outcome. */
export interface RouteExplanation {
  decision?: RouteDecision;
  /** Set when no decision could be made (an unknown model and no rule matched, an unresolvable fallback). */
  error?: string;
  evaluations: RuleEvaluation[];
}

/** Options of one routing decision. */
export interface RouteOptions {
  /** Fallbacks the request itself named (body `fallbacks` or `x-heimdall-fallbacks`), tried before the rule's. */
  requestFallbacks?: readonly string[];
  /**
   * The virtual key's fallback chain, tried after the request's and the rule's. An entry that no
   * longer resolves (its provider was deleted since the key was saved) is skipped, not an error.
   */
  virtualKeyFallbacks?: readonly string[];
  /** A number in [0, 1) for the weighted target pick (injectable for tests). */
  random?: () => number;
}

/** A rule with its compiled expression. */
interface CompiledRule {
  rule: RoutingRule;
  expression: CompiledExpression;
  /** Position in definition order, to keep equal priorities stable. */
  order: number;
}

/** The immutable, ordered set of rules in force; replaced whole on every change. */
class RuleSet {
  readonly all: readonly CompiledRule[];
  readonly global: readonly CompiledRule[];
  private readonly scoped: ReadonlyMap<string, readonly CompiledRule[]>;
  /** Every variable some enabled rule reads. */
  readonly variables: ReadonlySet<RoutingVariable>;

  constructor(rules: readonly CompiledRule[]) {
    const ordered = [...rules].sort(byPriority);
    this.all = ordered;
    const global: CompiledRule[] = [];
    const scoped = new Map<string, CompiledRule[]>();
    const variables = new Set<RoutingVariable>();
    for (const compiled of ordered) {
      if (!compiled.rule.enabled) continue;
      for (const variable of compiled.expression.variables) variables.add(variable);
      const scope = compiled.rule.scope;
      if (scope.type === 'global') {
        global.push(compiled);
      } else {
        const key = scopeKey(scope.type, scope.id);
        const list = scoped.get(key) ?? [];
        list.push(compiled);
        scoped.set(key, list);
      }
    }
    this.global = global;
    this.scoped = scoped;
    this.variables = variables;
  }

  /** The enabled rules that apply to a request, in evaluation order (virtual key, team, customer, global). */
  applicable(context: RoutingContext): CompiledRule[] {
    const result: CompiledRule[] = [];
    if (this.scoped.size > 0) {
      if (context.virtual_key !== null) result.push(...this.scopedTo('virtual_key', context.virtual_key));
      if (context.team !== null) result.push(...this.scopedTo('team', context.team));
      if (context.customer !== null) result.push(...this.scopedTo('customer', context.customer));
    }
    result.push(...this.global);
    return result;
  }

  /** The rules scoped to one entity, named in the rule by its id or by its (unique) name; priority order. */
  private scopedTo(type: RuleScope['type'], identity: RoutingIdentity): readonly CompiledRule[] {
    const byId = this.scoped.get(scopeKey(type, identity.id)) ?? [];
    const byName = identity.name === identity.id ? [] : (this.scoped.get(scopeKey(type, identity.name)) ?? []);
    if (byName.length === 0) return byId;
    if (byId.length === 0) return byName;
    return [...byId, ...byName].sort(byPriority);
  }
}

/** Evaluation order within a scope: lower priority first, equal priorities in definition order. */
function byPriority(left: CompiledRule, right: CompiledRule): number {
  return left.rule.priority - right.rule.priority || left.order - right.order;
}

function scopeKey(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

/** Whether a scope's `id` names this entity: its id or its name. */
function isIdentity(identity: RoutingIdentity | null, reference: string): boolean {
  return identity !== null && (identity.id === reference || identity.name === reference);
}

function inScope(scope: RuleScope, context: RoutingContext): boolean {
  switch (scope.type) {
    case 'global':
      return true;
    case 'virtual_key':
      return isIdentity(context.virtual_key, scope.id);
    case 'team':
      return isIdentity(context.team, scope.id);
    case 'customer':
      return isIdentity(context.customer, scope.id);
    default: {
      const unreachable: never = scope;
      throw new Error(`unknown scope ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Picks one target in proportion to the weights. */
export function pickWeightedTarget(targets: readonly RouteTargetSpec[], random: () => number): RouteTargetSpec {
  if (targets.length === 1) return targets[0];
  let total = 0;
  for (const target of targets) total += target.weight;
  let point = random() * total;
  for (const target of targets) {
    point -= target.weight;
    if (point < 0) return target;
  }
  return targets[targets.length - 1];
}

/** Whether a string is usable as an alias name (what a client puts in `model`). */
function isAliasName(name: string): boolean {
  return name !== '' && name.length <= 200 && !/\s/.test(name);
}

export class RoutingEngine {
  private ruleSet: RuleSet = new RuleSet([]);
  private aliases: ReadonlyMap<string, string> = new Map();
  private nextOrder = 0;

  /**
   * @param providers the configured provider instances (targets and fallbacks must name one of them);
   *   read on every call, so a caller may swap the map's contents on a config reload
   */
  constructor(private readonly providers: ReadonlyMap<string, ProviderInstance>) {}

  /** The rules in force, in evaluation order within each scope (lower priority first). */
  listRules(): RoutingRule[] {
    return this.ruleSet.all.map((compiled) => compiled.rule);
  }

  /** The static aliases in force (alias → model reference). */
  listAliases(): Record<string, string> {
    return Object.fromEntries(this.aliases);
  }

  /** Whether routing can change anything: any rule or alias is defined. When false, requests skip routing entirely. */
  get isActive(): boolean {
    return this.ruleSet.all.length > 0 || this.aliases.size > 0;
  }

  /** The variables some enabled rule reads; the request path builds only these. */
  get usedVariables(): ReadonlySet<RoutingVariable> {
    return this.ruleSet.variables;
  }

  /**
   * Validates a rule as the admin API would save it: shape, CEL expression (the CEL error with its
   * line and column), configured providers and keys for every target, resolvable fallbacks.
   * Does not change the rules in force.
   */
  validateRule(input: RoutingRuleInput): RuleValidation {
    const result = this.compileRule(input);
    return 'problems' in result ? { valid: false, problems: result.problems } : { valid: true, rule: result.rule };
  }

  /**
   * Replaces every rule at once (config load or reload, an admin "import"). All rules are
   * validated first; on any problem nothing changes.
   * @throws InvalidRoutingRuleError for the first invalid rule, or for a duplicate name
   */
  replaceRules(inputs: readonly RoutingRuleInput[]): void {
    const compiled: CompiledRule[] = [];
    const names = new Set<string>();
    for (const input of inputs) {
      const result = this.compileRule(input);
      if ('problems' in result) throw new InvalidRoutingRuleError(String(input.name), result.problems);
      if (names.has(result.rule.name)) throw new InvalidRoutingRuleError(result.rule.name, [{ field: 'name', message: 'another rule has the same name' }]);
      names.add(result.rule.name);
      compiled.push(result);
    }
    this.ruleSet = new RuleSet(compiled);
  }

  /**
   * Adds a rule, or replaces the rule of the same name (keeping its place among equal priorities).
   * Only this rule is compiled; the others are reused.
   * @throws InvalidRoutingRuleError with every problem (the CEL error and its position for a bad expression)
   */
  upsertRule(input: RoutingRuleInput): RoutingRule {
    const result = this.compileRule(input);
    if ('problems' in result) throw new InvalidRoutingRuleError(String(input.name), result.problems);
    const existing = this.ruleSet.all.find((compiled) => compiled.rule.name === result.rule.name);
    const replacement: CompiledRule = existing === undefined ? result : { ...result, order: existing.order };
    this.ruleSet = new RuleSet([...this.ruleSet.all.filter((compiled) => compiled.rule.name !== result.rule.name), replacement]);
    return result.rule;
  }

  /** Removes a rule by name. @returns whether a rule was removed */
  removeRule(name: string): boolean {
    const remaining = this.ruleSet.all.filter((compiled) => compiled.rule.name !== name);
    if (remaining.length === this.ruleSet.all.length) return false;
    this.ruleSet = new RuleSet(remaining);
    return true;
  }

  /**
   * Replaces the static aliases (`{"sonnet-model": "openai/gpt-5"}`). Alias targets are model
   * references (`provider/model` or a configured bare name), not other aliases.
   * @throws InvalidRoutingRuleError naming the alias whose target does not resolve
   */
  setAliases(aliases: Readonly<Record<string, string>>): void {
    const problems = this.validateAliases(aliases);
    if (problems.length > 0) throw new InvalidRoutingRuleError('aliases', problems);
    this.aliases = new Map(Object.entries(aliases));
  }

  /**
   * Checks a complete set of aliases as {@link setAliases} would, without changing anything: each
   * name is non-empty without spaces, each target resolves to a configured provider and is not
   * itself an alias of the set. @returns the problems, `field` = `aliases.<name>`; empty when valid
   */
  validateAliases(aliases: Readonly<Record<string, string>>): RuleProblem[] {
    const problems: RuleProblem[] = [];
    for (const [alias, reference] of Object.entries(aliases)) {
      if (!isAliasName(alias)) problems.push({ field: `aliases.${alias}`, message: 'an alias is a non-empty name without spaces' });
      else if (Object.hasOwn(aliases, reference)) problems.push({ field: `aliases.${alias}`, message: `'${reference}' is another alias; aliases do not chain` });
      else {
        const problem = this.modelProblem(reference);
        if (problem !== undefined) problems.push({ field: `aliases.${alias}`, message: problem });
      }
    }
    return problems;
  }

  /**
   * Decides where a request goes: the first matching rule (virtual key scope, then team,
   * customer, global; lower priority first within a scope) picks one of its targets by weight;
   * without a match a static alias rewrites the model; otherwise the request's own model is used.
   *
   * @throws GatewayError 400 when the model (or a request fallback) names nothing configured
   */
  route(context: RoutingContext, options: RouteOptions = {}): RouteDecision {
    const random = options.random ?? Math.random;
    for (const compiled of this.ruleSet.applicable(context)) {
      if (compiled.expression.evaluate(context).kind === 'match') return this.ruleDecision(compiled, context, options, random);
    }
    return this.defaultDecision(context, options);
  }

  /**
   * Explains the decision for a context without sending anything: which rule matched, in which
   * scope, the target chosen, the fallbacks, and how every rule fared. For the admin API's
   * `POST /api/routing/explain` and the dashboard's "try it" panel. Never throws for a bad
   * request: an unresolvable model is reported in `error`.
   */
  explainRoute(context: RoutingContext, options: RouteOptions = {}): RouteExplanation {
    const random = options.random ?? Math.random;
    const evaluations: RuleEvaluation[] = [];
    let matched: CompiledRule | undefined;
    for (const compiled of this.ruleSet.all) {
      const { rule } = compiled;
      const base = { rule: rule.name, scope: rule.scope, priority: rule.priority };
      if (!rule.enabled) {
        evaluations.push({ ...base, outcome: 'disabled' });
        continue;
      }
      if (!inScope(rule.scope, context)) {
        evaluations.push({ ...base, outcome: 'out-of-scope' });
        continue;
      }
      evaluations.push({ ...base, outcome: 'not-evaluated' });
    }
    // Evaluate in the request path's order and mark the outcomes.
    for (const compiled of this.ruleSet.applicable(context)) {
      const outcome: ExpressionOutcome = compiled.expression.evaluate(context);
      const entry = evaluations.find((evaluation) => evaluation.rule === compiled.rule.name);
      if (entry === undefined) continue;
      if (outcome.kind === 'match') {
        entry.outcome = 'matched';
        matched = compiled;
        break;
      }
      if (outcome.kind === 'error') {
        entry.outcome = 'error';
        entry.error = outcome.message;
      } else {
        entry.outcome = 'no-match';
      }
    }
    const ordered = this.orderForExplanation(evaluations, context);
    try {
      const decision = matched === undefined ? this.defaultDecision(context, options) : this.ruleDecision(matched, context, options, random);
      return { decision, evaluations: ordered };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error), evaluations: ordered };
    }
  }

  /**
   * Resolves a model reference: an alias, `provider/model`, a bare `claude-*` name or a configured
   * model name. @throws GatewayError 400 naming what is configured
   */
  resolveReference(reference: string): ResolvedTarget {
    const aliased = this.aliases.get(reference) ?? reference;
    const target = resolveModel(aliased, this.providers);
    return { provider: target.instance.name, model: target.model };
  }

  /** The provider a model reference resolves to without rules, or `""` (the `provider` variable). */
  providerOf(reference: string): string {
    try {
      return this.resolveReference(reference).provider;
    } catch {
      return '';
    }
  }

  private orderForExplanation(evaluations: RuleEvaluation[], context: RoutingContext): RuleEvaluation[] {
    const rank = (evaluation: RuleEvaluation): number => {
      const scope = evaluation.scope;
      if (!inScope(scope, context)) return 4;
      return ['virtual_key', 'team', 'customer', 'global'].indexOf(scope.type);
    };
    return [...evaluations].sort((left, right) => rank(left) - rank(right));
  }

  private ruleDecision(compiled: CompiledRule, context: RoutingContext, options: RouteOptions, random: () => number): RouteDecision {
    const { rule } = compiled;
    const picked = pickWeightedTarget(rule.targets, random);
    const target: ResolvedTarget = { provider: picked.provider, model: picked.model, ...(picked.keyId === undefined ? {} : { keyId: picked.keyId }) };
    return {
      source: 'rule',
      routeName: rule.name,
      rule: { name: rule.name, scope: rule.scope, priority: rule.priority },
      requestedModel: context.model,
      target,
      fallbacks: this.fallbackChain(target, options, rule.fallbacks),
      ...(compiled.expression.variables.has('request_kind') ? { requestKind: context.request_kind } : {}),
    };
  }

  private defaultDecision(context: RoutingContext, options: RouteOptions): RouteDecision {
    const alias = this.aliases.has(context.model) ? context.model : undefined;
    const target = this.resolveReference(context.model);
    return {
      source: alias === undefined ? 'default' : 'alias',
      routeName: 'default',
      ...(alias === undefined ? {} : { alias }),
      requestedModel: context.model,
      target,
      fallbacks: this.fallbackChain(target, options, []),
    };
  }

  /**
   * The fallback chain, by precedence: the request's fallbacks, then the rule's, then the virtual
   * key's; resolved, without the target itself and without repeats, at most `MAX_FALLBACKS * 3`.
   * @throws GatewayError 400 when a request fallback names nothing configured (rule fallbacks were
   *   validated on save; a virtual key's that no longer resolves is skipped)
   */
  private fallbackChain(target: ResolvedTarget, options: RouteOptions, ruleFallbacks: readonly string[]): ResolvedTarget[] {
    const seen = new Set([`${target.provider}/${target.model}`]);
    const chain: ResolvedTarget[] = [];
    const add = (resolved: ResolvedTarget): void => {
      const key = `${resolved.provider}/${resolved.model}`;
      if (seen.has(key) || chain.length >= MAX_FALLBACKS * 3) return;
      seen.add(key);
      chain.push(resolved);
    };
    for (const reference of options.requestFallbacks ?? []) add(this.resolveReference(reference));
    for (const reference of ruleFallbacks) add(this.resolveReference(reference));
    for (const reference of options.virtualKeyFallbacks ?? []) {
      const resolved = this.tryResolveReference(reference);
      if (resolved !== undefined) add(resolved);
    }
    return chain;
  }

  /** {@link resolveReference}, or undefined when the reference names nothing configured. */
  private tryResolveReference(reference: string): ResolvedTarget | undefined {
    try {
      return this.resolveReference(reference);
    } catch (error) {
      if (error instanceof GatewayError) return undefined;
      throw error;
    }
  }

  /** Why a model reference (not an alias) names nothing configured, or undefined. */
  private modelProblem(reference: string): string | undefined {
    try {
      resolveModel(reference, this.providers);
      return undefined;
    } catch (error) {
      return error instanceof GatewayError ? error.message : String(error);
    }
  }

  private referenceProblem(reference: string): string | undefined {
    try {
      this.resolveReference(reference);
      return undefined;
    } catch (error) {
      return error instanceof GatewayError ? error.message : String(error);
    }
  }

  private compileRule(input: RoutingRuleInput): CompiledRule | { problems: RuleProblem[] } {
    const problems: RuleProblem[] = [];
    const rule = normalizeRoutingRule(input, problems);
    let expression: CompiledExpression | undefined;
    if (typeof input.expression === 'string') {
      try {
        expression = compileRoutingExpression(rule.expression);
      } catch (error) {
        if (!(error instanceof RoutingExpressionError)) throw error;
        problems.push({ field: 'expression', message: error.message, ...(error.position === undefined ? {} : { position: error.position }) });
      }
    }
    rule.targets.forEach((target, index) => {
      if (typeof target.provider !== 'string' || target.provider === '') return;
      const instance = this.providers.get(target.provider);
      if (instance === undefined) {
        problems.push({ field: `targets.${index}.provider`, message: `provider '${target.provider}' is not configured; configured: ${[...this.providers.keys()].join(', ') || '(none)'}` });
        return;
      }
      if (target.keyId !== undefined && !instance.keys.some((key) => key.id === target.keyId)) {
        problems.push({ field: `targets.${index}.key`, message: `provider '${target.provider}' has no key named '${target.keyId}'` });
      }
    });
    rule.fallbacks.forEach((reference, index) => {
      const problem = this.referenceProblem(reference);
      if (problem !== undefined) problems.push({ field: `fallbacks.${index}`, message: problem });
    });
    if (problems.length > 0 || expression === undefined) return { problems };
    const order = this.nextOrder;
    this.nextOrder += 1;
    return { rule, expression, order };
  }
}
