import type { ExpressionPosition } from './compile-routing-rule.js';

/**
 * Routing rules: a CEL expression over the request (see `routing-context.ts`), the scope it
 * applies in, its priority within that scope, the weighted targets a matching request goes to, and
 * the rule's own fallback chain.
 *
 * @see ../../docs/architecture.md#routing
 */

/** Scope kinds, in evaluation order: a virtual key's rules first, then its team's, its customer's, then global rules. */
export const RULE_SCOPE_TYPES = ['virtual_key', 'team', 'customer', 'global'] as const;
export type RuleScopeType = (typeof RULE_SCOPE_TYPES)[number];

/** Where a rule applies: everywhere, or to the requests of one virtual key, team or customer (by id). */
export type RuleScope = { type: 'global' } | { type: 'virtual_key' | 'team' | 'customer'; id: string };

/** One place a matching request may go. Targets of a rule are picked at random in proportion to `weight`. */
export interface RouteTargetSpec {
  /** A configured provider instance name (the `provider/` prefix). */
  provider: string;
  /** The model as that provider knows it. */
  model: string;
  /** Pins the provider key (its configured `name`) for the first attempt; absent: weighted among the provider's keys. */
  keyId?: string;
  /** Relative share (> 0). */
  weight: number;
}

/** A validated routing rule. */
export interface RoutingRule {
  /** Unique among all rules; reported in `x-heimdall-route` and the request log. */
  name: string;
  description?: string;
  /** CEL; the rule matches when it evaluates to `true`. */
  expression: string;
  scope: RuleScope;
  /** Lower runs first within a scope (0 before 10); equal priorities keep their order of definition. */
  priority: number;
  targets: RouteTargetSpec[];
  /** Model references (`provider/model`, an alias, or a configured bare name) tried in order when the target fails. */
  fallbacks: string[];
  /** A disabled rule is kept but never matches. */
  enabled: boolean;
}

/**
 * A rule as the admin API and the config file give it: defaults for the optional fields (global
 * scope, priority 0, no fallbacks, enabled, weight 1). Target keys are named `key` (the provider
 * key's configured name), as in the config file.
 */
export interface RoutingRuleInput {
  name: string;
  description?: string;
  expression: string;
  scope?: { type: RuleScopeType; id?: string };
  priority?: number;
  targets: Array<{ provider: string; model: string; key?: string; weight?: number }>;
  fallbacks?: string[];
  enabled?: boolean;
}

/** One thing wrong with a rule: the field (`expression`, `targets.1.provider`, …), the message, and for expressions where. */
export interface RuleProblem {
  field: string;
  message: string;
  position?: ExpressionPosition;
}

/** The outcome of validating a rule. */
export type RuleValidation = { valid: true; rule: RoutingRule } | { valid: false; problems: RuleProblem[] };

/** A rule refused on save, with everything wrong with it. */
export class InvalidRoutingRuleError extends Error {
  readonly ruleName: string;
  readonly problems: readonly RuleProblem[];

  constructor(ruleName: string, problems: readonly RuleProblem[]) {
    super(`routing rule '${ruleName}': ${problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ')}`);
    this.name = 'InvalidRoutingRuleError';
    this.ruleName = ruleName;
    this.problems = problems;
  }
}

/** Longest rule name, characters. */
export const MAX_RULE_NAME_LENGTH = 100;
/** Most targets in one rule. */
export const MAX_RULE_TARGETS = 32;
/** Most fallbacks in one chain (rule or request). */
export const MAX_FALLBACKS = 8;

/**
 * Checks the shape of a rule input and fills its defaults; the expression and the targets'
 * providers are checked by the engine (`RoutingEngine.validateRule`).
 */
export function normalizeRoutingRule(input: RoutingRuleInput, problems: RuleProblem[]): RoutingRule {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '') problems.push({ field: 'name', message: 'required' });
  else if (name.length > MAX_RULE_NAME_LENGTH) problems.push({ field: 'name', message: `longer than ${MAX_RULE_NAME_LENGTH} characters` });
  else if (name === 'default') problems.push({ field: 'name', message: "'default' is reserved for requests no rule matched" });

  let scope: RuleScope = { type: 'global' };
  const scopeInput = input.scope;
  if (scopeInput !== undefined) {
    const type = scopeInput.type;
    if (!(RULE_SCOPE_TYPES as readonly string[]).includes(type)) {
      problems.push({ field: 'scope.type', message: `must be one of ${RULE_SCOPE_TYPES.join(', ')}` });
    } else if (type === 'global') {
      if (scopeInput.id !== undefined) problems.push({ field: 'scope.id', message: 'a global rule has no scope id' });
    } else if (typeof scopeInput.id !== 'string' || scopeInput.id === '') {
      problems.push({ field: 'scope.id', message: `required for a ${type} rule` });
    } else {
      scope = { type, id: scopeInput.id };
    }
  }

  const priority = input.priority ?? 0;
  if (!Number.isInteger(priority)) problems.push({ field: 'priority', message: 'must be an integer' });

  const targets: RouteTargetSpec[] = [];
  if (!Array.isArray(input.targets) || input.targets.length === 0) {
    problems.push({ field: 'targets', message: 'at least one target is required' });
  } else if (input.targets.length > MAX_RULE_TARGETS) {
    problems.push({ field: 'targets', message: `at most ${MAX_RULE_TARGETS} targets` });
  } else {
    input.targets.forEach((target, index) => {
      const weight = target.weight ?? 1;
      if (typeof target.provider !== 'string' || target.provider === '') problems.push({ field: `targets.${index}.provider`, message: 'required' });
      if (typeof target.model !== 'string' || target.model === '') problems.push({ field: `targets.${index}.model`, message: 'required' });
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) problems.push({ field: `targets.${index}.weight`, message: 'must be a number above 0' });
      targets.push({ provider: target.provider, model: target.model, weight, ...(target.key === undefined ? {} : { keyId: target.key }) });
    });
  }

  const fallbacks = input.fallbacks ?? [];
  if (!Array.isArray(fallbacks) || fallbacks.some((entry) => typeof entry !== 'string' || entry === '')) {
    problems.push({ field: 'fallbacks', message: 'must be a list of model names (provider/model or an alias)' });
  } else if (fallbacks.length > MAX_FALLBACKS) {
    problems.push({ field: 'fallbacks', message: `at most ${MAX_FALLBACKS} fallbacks` });
  }

  if (typeof input.expression !== 'string') problems.push({ field: 'expression', message: 'required' });

  return {
    name,
    ...(input.description === undefined ? {} : { description: input.description }),
    expression: typeof input.expression === 'string' ? input.expression : '',
    scope,
    priority,
    targets,
    fallbacks: Array.isArray(fallbacks) ? [...fallbacks] : [],
    enabled: input.enabled ?? true,
  };
}

/** A rule back in its input form (for the admin API and config export). */
export function routingRuleToInput(rule: RoutingRule): RoutingRuleInput {
  return {
    name: rule.name,
    ...(rule.description === undefined ? {} : { description: rule.description }),
    expression: rule.expression,
    scope: rule.scope.type === 'global' ? { type: 'global' } : { type: rule.scope.type, id: rule.scope.id },
    priority: rule.priority,
    targets: rule.targets.map((target) => ({ provider: target.provider, model: target.model, weight: target.weight, ...(target.keyId === undefined ? {} : { key: target.keyId }) })),
    fallbacks: [...rule.fallbacks],
    enabled: rule.enabled,
  };
}
