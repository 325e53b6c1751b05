import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject } from '../core/request-validation.js';
import type { RequestRecorder } from '../observability/request-recorder.js';
import type { PlannedTarget } from '../routing/serve-with-fallbacks.js';
import type { GovernanceContext, GovernanceService } from './governance-service.js';

/**
 * Governance on the inference path (`/anthropic`, `/bedrock`, `/genai`): authenticate the virtual
 * key, check the routed models and provider keys against what it may use, admit the request
 * against rate limits and budgets (a reservation), and charge the usage consumed once the
 * response is over — completed, failed or aborted by the caller.
 *
 * @see ../../docs/architecture.md#storage-and-governance
 */

const governanceOfRequest = new WeakMap<IncomingMessage, GovernanceService>();

/** Ties a gateway's governance to a request (done by the server for every request). */
export function bindGovernance(request: IncomingMessage, service: GovernanceService): void {
  governanceOfRequest.set(request, service);
}

/** The governance a request is served under; undefined when the gateway runs without storage. */
export function governanceOf(request: IncomingMessage): GovernanceService | undefined {
  return governanceOfRequest.get(request);
}

/**
 * Output tokens reserved against budgets at admission: the request's `max_tokens`, at most this.
 * A budget can be overshot only by requests whose output exceeds it while the budget fills up
 * (documented bound); reserving Claude Code's full 32,000–64,000 would let very few requests run
 * side by side near a budget's end.
 */
export const RESERVED_OUTPUT_TOKENS = 8_192;

/** Input tokens estimated from the body size at admission: about 4 bytes per token, no tokenizer on the hot path. */
const BYTES_PER_TOKEN = 4;

/**
 * Authenticates the caller only (`count_tokens`, model lists): refuses an invalid virtual key,
 * and a missing one when `enforce_auth_on_inference` is on.
 * @throws GatewayError 401 as `GovernanceService.authenticateRequest`
 */
export async function authenticateInferenceCaller(request: IncomingMessage): Promise<void> {
  await governanceOf(request)?.authenticateRequest(request.headers);
}

/**
 * Applies governance to one routed inference request before anything is forwarded. Without a
 * virtual key (and enforcement off) the request passes ungoverned. Fallback targets the key may not
 * use are removed from the plan (the primary target refuses with 403), provider keys it may not
 * use are excluded, and the request is admitted (429 rate limit, 400 budget exhausted). The usage
 * is charged when the response closes: `settle` with what the recorder saw consumed, or `release`
 * when nothing was consumed.
 *
 * @param input.body the raw request body (its size estimates input tokens)
 * @param input.plan the planned targets (an `AnthropicRouting`, or `{targets: [{target}]}` where
 *   a surface serves one target); fallbacks the key may not use are removed from it
 * @param input.recorder the request's recorder, whose `consumedUsage()` is charged (every
 *   inference surface passes one); without one the reservation is released and nothing is charged
 * @param input.caller the caller as `authenticateForRouting` found it (the request is not
 *   authenticated again); absent: authenticated here
 * @throws GatewayError 401 / 403 / 400 / 429 (see `GovernanceService`)
 */
export async function governInferenceRequest(
  request: IncomingMessage,
  response: ServerResponse,
  input: { root: JsonObject; body: Buffer; plan: { targets: PlannedTarget[] }; recorder?: RequestRecorder; caller?: { context: GovernanceContext | undefined } },
): Promise<void> {
  const service = governanceOf(request);
  if (service === undefined) return;
  const context = input.caller === undefined ? await service.authenticateRequest(request.headers) : input.caller.context;
  if (context === undefined) return;
  input.recorder?.governance(context);

  const routing = input.plan;
  const primary = routing.targets[0].target;
  service.authorize(context, primary.instance.name, primary.model);
  routing.targets = routing.targets.filter((planned, index) => {
    if (index === 0) return true;
    try {
      service.authorize(context, planned.target.instance.name, planned.target.model);
      service.selectableProviderKeys(context, planned.target.instance.name, planned.target.instance.keys);
      return true;
    } catch {
      return false;
    }
  });
  for (const planned of routing.targets) {
    const keys = planned.target.instance.keys;
    if (keys.length === 0) continue;
    const selectable = new Set(service.selectableProviderKeys(context, planned.target.instance.name, keys).map((key) => key.id));
    if (selectable.size < keys.length) planned.excludedKeyIds = new Set(keys.filter((key) => !selectable.has(key.id)).map((key) => key.id));
  }

  const maxTokens = typeof input.root.max_tokens === 'number' ? input.root.max_tokens : RESERVED_OUTPUT_TOKENS;
  const ticket = await service.admit(context, {
    provider: primary.instance.name,
    providerKind: primary.instance.definition.kind,
    model: primary.model,
    estimatedInputTokens: Math.ceil(input.body.length / BYTES_PER_TOKEN),
    estimatedOutputTokens: Math.min(maxTokens, RESERVED_OUTPUT_TOKENS),
  });
  response.once('close', () => {
    const usage = input.recorder?.consumedUsage() ?? { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const consumed = usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens > 0;
    const done = consumed ? service.settle(ticket, usage).then((settlement) => settlement.cost.costUsd) : service.release(ticket).then(() => 0);
    done.catch((error: unknown) => console.error('[heimdall] could not charge a request to its budgets:', error));
  });
}
