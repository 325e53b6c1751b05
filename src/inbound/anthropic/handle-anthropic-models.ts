import type { ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { GatewaySettings } from '../../config/gateway-settings.js';

/** One entry of Anthropic's model list. @see https://docs.anthropic.com/en/api/models-list */
interface AnthropicModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
}

/** Stable placeholder date for models whose release date the gateway does not know. */
const UNKNOWN_CREATED_AT = '1970-01-01T00:00:00Z';

/**
 * The models a caller can pick: each configured provider's `models`, as `provider/model`
 * (bare names for the Anthropic provider, which Claude Code's own names reach directly).
 */
export function listAnthropicModels(settings: GatewaySettings): AnthropicModelInfo[] {
  const models: AnthropicModelInfo[] = [];
  for (const instance of settings.providers.values()) {
    const bare = instance.definition.kind === 'anthropic';
    for (const model of instance.models) {
      const id = bare && model.startsWith('claude-') ? model : `${instance.name}/${model}`;
      models.push({ type: 'model', id, display_name: `${model} (${instance.definition.displayName})`, created_at: UNKNOWN_CREATED_AT });
    }
  }
  return models;
}

/**
 * `GET /anthropic/v1/models` (with `limit`, `after_id`, `before_id`) and `GET /anthropic/v1/models/{id}`,
 * in Anthropic's list format.
 * @throws GatewayError 404 for an unknown model id
 */
export function handleAnthropicModels(url: URL, response: ServerResponse, settings: GatewaySettings): void {
  const all = listAnthropicModels(settings);
  const prefix = '/anthropic/v1/models/';
  if (url.pathname.startsWith(prefix)) {
    const id = decodeURIComponent(url.pathname.slice(prefix.length));
    const model = all.find((candidate) => candidate.id === id);
    if (model === undefined) throw new GatewayError('not_found_error', `model '${id}' is not configured`);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(model));
    return;
  }
  const limit = Math.min(Math.max(Number(url.searchParams.get('limit') ?? 20) || 20, 1), 1000);
  const afterId = url.searchParams.get('after_id');
  const beforeId = url.searchParams.get('before_id');
  let start = 0;
  let end = all.length;
  if (afterId !== null) start = all.findIndex((model) => model.id === afterId) + 1;
  if (beforeId !== null) end = Math.max(all.findIndex((model) => model.id === beforeId), 0);
  let page = all.slice(start, end);
  const hasMore = page.length > limit;
  page = beforeId !== null && afterId === null ? page.slice(-limit) : page.slice(0, limit);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({ data: page, has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page[page.length - 1]?.id ?? null }),
  );
}
