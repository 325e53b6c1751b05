import type { IncomingHttpHeaders } from 'node:http';
import type { GatewaySettings } from '../config/gateway-settings.js';
import { GatewayError } from '../core/errors.js';
import type { JsonObject } from '../core/request-validation.js';
import { classifyClaudeCodeRequest } from './classify-claude-code-request.js';
import type { ModelTarget } from './resolve-model.js';
import { resolveModel } from './resolve-model.js';
import { routingHeaders, routingParams, type GovernanceRoutingFacts, type RoutingContext } from './routing-context.js';
import type { ResolvedTarget, RouteDecision, RoutingEngine } from './routing-engine.js';
import { MAX_FALLBACKS } from './routing-rule.js';
import { createRoutingRuntime, type RoutingRuntime } from './routing-runtime.js';
import type { AttemptRecord, PlannedTarget } from './serve-with-fallbacks.js';

/**
 * Routing one Anthropic Messages request: its fallbacks (body `fallbacks`, header
 * `x-heimdall-fallbacks`), its routing context, the engine's decision, and the plan of targets the
 * serving loop walks. Used by `/anthropic/v1/messages` (and `count_tokens` for the target).
 *
 * @see ../../docs/architecture.md#routing
 */

/** The request header naming fallbacks: comma-separated models (`openai/gpt-5, groq/llama-3.3-70b`). */
export const FALLBACKS_HEADER = 'x-heimdall-fallbacks';

/** A routed request: the decision, the plan, and (filled while serving) the attempts. */
export interface AnthropicRouting {
  decision: RouteDecision;
  /** The routed target, then the fallbacks, as the serving loop tries them. */
  targets: PlannedTarget[];
  runtime: RoutingRuntime;
  /** Every upstream attempt, appended while the request is served (for the request log). */
  attempts: AttemptRecord[];
  /** Whether routing changed the parsed body (removed `fallbacks`), so the original bytes cannot be relayed. */
  bodyChanged: boolean;
}

const runtimesWithoutConfig = new WeakMap<GatewaySettings, RoutingRuntime>();

/** The routing runtime of a gateway (built from its config; a default one for settings built without routing). */
export function routingRuntimeOf(settings: GatewaySettings): RoutingRuntime {
  if (settings.routing !== undefined) return settings.routing;
  let runtime = runtimesWithoutConfig.get(settings);
  if (runtime === undefined) {
    runtime = createRoutingRuntime(settings.providers, undefined, undefined);
    runtimesWithoutConfig.set(settings, runtime);
  }
  return runtime;
}

/**
 * The fallbacks a request names: the body's top-level `fallbacks` (removed from the body, so it
 * is never forwarded) and the `x-heimdall-fallbacks` header, body first.
 * @throws GatewayError 400 for a malformed `fallbacks` field
 */
export function takeRequestFallbacks(root: JsonObject, headers: IncomingHttpHeaders): { fallbacks: string[]; bodyChanged: boolean } {
  const fallbacks: string[] = [];
  let bodyChanged = false;
  if (root.fallbacks !== undefined) {
    const value = root.fallbacks;
    delete root.fallbacks;
    bodyChanged = true;
    if (value !== null) {
      if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || entry.trim() === '')) {
        throw new GatewayError('invalid_request_error', 'fallbacks: Input should be a list of model names (provider/model or an alias)');
      }
      fallbacks.push(...(value as string[]).map((entry) => entry.trim()));
    }
  }
  const header = headers[FALLBACKS_HEADER];
  const headerText = Array.isArray(header) ? header.join(',') : header;
  if (headerText !== undefined) {
    for (const entry of headerText.split(',')) if (entry.trim() !== '') fallbacks.push(entry.trim());
  }
  if (fallbacks.length > MAX_FALLBACKS) throw new GatewayError('invalid_request_error', `fallbacks: at most ${MAX_FALLBACKS} fallbacks`);
  return { fallbacks, bodyChanged };
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_PARAMS: Readonly<Record<string, never>> = Object.freeze({});

/**
 * The routing context of a request. Only the variables some rule reads are computed (the request
 * kind classifier and the header and parameter copies cost nothing when no rule needs them).
 */
export function buildRoutingContext(root: JsonObject, headers: IncomingHttpHeaders, engine: RoutingEngine, governance: GovernanceRoutingFacts = {}): RoutingContext {
  const used = engine.usedVariables;
  const model = typeof root.model === 'string' ? root.model : '';
  return {
    model,
    provider: used.has('provider') ? engine.providerOf(model) : '',
    headers: used.has('headers') ? routingHeaders(headers) : NO_HEADERS,
    params: used.has('params') ? routingParams(root) : NO_PARAMS,
    virtual_key: governance.virtualKey ?? null,
    team: governance.team ?? null,
    customer: governance.customer ?? null,
    budget_used: governance.budgetUsedPercent ?? 0,
    tokens_used: governance.tokensUsedPercent ?? 0,
    request_kind: used.has('request_kind') ? classifyClaudeCodeRequest(root, headers) : 'other',
  };
}

function modelTargetOf(resolved: ResolvedTarget, settings: GatewaySettings): ModelTarget {
  const instance = settings.providers.get(resolved.provider);
  if (instance === undefined) throw new GatewayError('invalid_request_error', `provider '${resolved.provider}' is not configured`);
  return { instance, model: resolved.model };
}

function requestedModelOf(root: JsonObject): string {
  const requested = root.model;
  if (typeof requested !== 'string' || requested === '') {
    throw new GatewayError('invalid_request_error', requested === undefined ? 'model: Field required' : 'model: Input should be a valid string');
  }
  return requested;
}

/**
 * Routes one Anthropic Messages request (see the module comment). Without rules, aliases or
 * fallbacks this is the plain model resolution and builds no routing context.
 *
 * Fallback precedence: the request's (body, then header), then the matching rule's, then the
 * virtual key's (`governance.fallbacks`).
 *
 * @param governance what governance knows about the request (virtual key, team, customer, budget
 *   and token use, the key's fallback chain); absent for an ungoverned request
 * @throws GatewayError 400 for a missing model, a model or fallback naming nothing configured, malformed `fallbacks`
 */
export function routeAnthropicRequest(root: JsonObject, headers: IncomingHttpHeaders, settings: GatewaySettings, governance?: GovernanceRoutingFacts): AnthropicRouting {
  const requested = requestedModelOf(root);
  const runtime = routingRuntimeOf(settings);
  const engine = runtime.engine;
  const { fallbacks, bodyChanged } = takeRequestFallbacks(root, headers);
  const virtualKeyFallbacks = governance?.fallbacks ?? [];
  let decision: RouteDecision;
  if (!engine.isActive && fallbacks.length === 0 && virtualKeyFallbacks.length === 0) {
    const target = resolveModel(requested, settings.providers);
    decision = { source: 'default', routeName: 'default', requestedModel: requested, target: { provider: target.instance.name, model: target.model }, fallbacks: [] };
  } else {
    decision = engine.route(buildRoutingContext(root, headers, engine, governance), { requestFallbacks: fallbacks, virtualKeyFallbacks, random: runtime.random });
  }
  const targets: PlannedTarget[] = [
    { target: modelTargetOf(decision.target, settings), ...(decision.target.keyId === undefined ? {} : { pinnedKeyId: decision.target.keyId }) },
    ...decision.fallbacks.map((fallback) => ({ target: modelTargetOf(fallback, settings) })),
  ];
  return { decision, targets, runtime, attempts: [], bodyChanged };
}

/**
 * The target a `count_tokens` request is counted on: the same rules and aliases as the messages
 * request would use (no fallbacks; `fallbacks` is removed from the body).
 * @param governance as for {@link routeAnthropicRequest} (scoped rules apply to counts too)
 * @throws GatewayError 400 as {@link routeAnthropicRequest}
 */
export function routeCountTokensTarget(root: JsonObject, headers: IncomingHttpHeaders, settings: GatewaySettings, governance?: GovernanceRoutingFacts): ModelTarget {
  const requested = requestedModelOf(root);
  delete root.fallbacks;
  const engine = routingRuntimeOf(settings).engine;
  if (!engine.isActive) return resolveModel(requested, settings.providers);
  return modelTargetOf(engine.route(buildRoutingContext(root, headers, engine, governance)).target, settings);
}
