import type { IncomingMessage } from 'node:http';
import type { RoutingEngine } from '../routing/routing-engine.js';
import type { GovernanceRoutingFacts } from '../routing/routing-context.js';
import { governanceOf } from './govern-inference-request.js';
import type { GovernanceContext } from './governance-service.js';

/**
 * What routing learns from governance before it decides: the caller's virtual key, team and
 * customer (`virtual_key`, `team`, `customer`), how much of its limits the chain has used
 * (`budget_used`, `tokens_used`, read from the counters only when an enabled rule uses them), and
 * the key's fallback chain. The request is authenticated here, once; `governInferenceRequest`
 * takes the result instead of authenticating again.
 *
 * @see ../../docs/architecture.md#routing
 */

/** A caller authenticated for routing: the context (undefined: ungoverned) and the facts rules see. */
export interface AuthenticatedCaller {
  context: GovernanceContext | undefined;
  facts: GovernanceRoutingFacts;
}

/** The routing facts of an authenticated virtual key, without the counter reads. */
export function identityRoutingFacts(context: GovernanceContext): GovernanceRoutingFacts {
  return {
    virtualKey: { id: context.virtualKey.id, name: context.virtualKey.name },
    team: context.team === undefined ? null : { id: context.team.id, name: context.team.name },
    customer: context.customer === undefined ? null : { id: context.customer.id, name: context.customer.name },
    fallbacks: context.virtualKey.fallbacks,
  };
}

/**
 * Authenticates an inference request and gathers what routing rules may read about it. Undefined
 * when the gateway runs without governance.
 *
 * @param model the model as sent (the `provider` it resolves to selects the token limits that apply)
 * @throws GatewayError 401 for an invalid virtual key (or a missing one under enforcement)
 * @throws GatewayError 500 when the database or the counters cannot be read
 */
export async function authenticateForRouting(request: IncomingMessage, engine: RoutingEngine, model: string): Promise<AuthenticatedCaller | undefined> {
  const service = governanceOf(request);
  if (service === undefined) return undefined;
  const context = await service.authenticateRequest(request.headers);
  if (context === undefined) return { context, facts: {} };
  const facts = identityRoutingFacts(context);
  const used = engine.usedVariables;
  const budgets = used.has('budget_used');
  const tokens = used.has('tokens_used');
  if (!budgets && !tokens) return { context, facts };
  const percents = await service.usedPercents(context, { budgets, tokens, provider: engine.providerOf(model) });
  return { context, facts: { ...facts, ...percents } };
}
