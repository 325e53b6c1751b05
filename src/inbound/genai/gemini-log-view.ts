import { isJsonObject, type JsonObject } from '../../core/request-validation.js';

/**
 * What the request recorder and governance read of a Gemini-format request, in the Anthropic
 * names they use: `model` (from the URL), `stream`, `max_tokens`
 * (`generationConfig.maxOutputTokens`, the output reserved against budgets) and `messages` — the
 * last content only, its `parts` as Anthropic-style `content` blocks (a text part has `text`, which
 * is what the request log's search index reads). The body stored in the log is the Gemini body as
 * received; this view is not stored.
 *
 * @param root the `generateContent` request body (not changed)
 * @see https://ai.google.dev/api/generate-content#request-body
 */
export function geminiLogView(root: JsonObject, model: string, stream: boolean): JsonObject {
  const view: JsonObject = { model, stream };
  const generation = root.generationConfig;
  if (isJsonObject(generation) && typeof generation.maxOutputTokens === 'number') {
    view.max_tokens = generation.maxOutputTokens;
  }
  const contents = Array.isArray(root.contents) ? root.contents : [];
  const last = contents[contents.length - 1];
  if (isJsonObject(last) && Array.isArray(last.parts)) {
    view.messages = [{ role: typeof last.role === 'string' ? last.role : 'user', content: last.parts }];
  }
  return view;
}
