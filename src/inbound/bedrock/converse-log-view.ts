import { isJsonObject, type JsonObject } from '../../core/request-validation.js';

/**
 * What the request recorder and governance read of a Converse request, in the Anthropic names they
 * use: `model` (the model id from the URL), `stream`, `max_tokens` (`inferenceConfig.maxTokens`,
 * the output reserved against budgets) and `messages` — the last turn only, whose `content` blocks
 * carry `text` as Anthropic's do (what the request log's search index reads). The body stored in the
 * log is the Converse body as received; this view is not stored.
 *
 * @param root the Converse request body (not changed)
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
export function converseLogView(root: JsonObject, modelId: string, stream: boolean): JsonObject {
  const view: JsonObject = { model: modelId, stream };
  const inference = root.inferenceConfig;
  if (isJsonObject(inference) && typeof inference.maxTokens === 'number') view.max_tokens = inference.maxTokens;
  if (Array.isArray(root.messages) && root.messages.length > 0) view.messages = [root.messages[root.messages.length - 1]];
  return view;
}
