import { GeminiChatClient } from '../gemini/gemini-chat-client.js';
import type { ProviderDefinition } from '../provider.js';
import { VertexAnthropicClient } from './vertex-anthropic-client.js';
import { VERTEX_GLOBAL_BASE_URL, VertexEndpoint } from './vertex-endpoint.js';

/**
 * Google Vertex AI: Claude models (`claude-*`) as an Anthropic-format passthrough over
 * `rawPredict` / `streamRawPredict`, Gemini models through the IR with the Gemini translator
 * (`publishers/google/models/…:generateContent`), and Gemini-format passthrough on `/genai`.
 *
 * Configured with `region` (a location such as `us-east5`, or `global`, the default) and
 * `google_cloud.project`; authenticated with OAuth tokens from `google_cloud.credentials_file` /
 * `credentials` (service account JSON) or application-default credentials, or with a key
 * (Vertex express mode). The API origin follows the location unless `base_url` is set.
 *
 * @see https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest
 */
export const vertexProvider: ProviderDefinition = {
  kind: 'vertex',
  displayName: 'Google Vertex AI',
  defaultBaseUrl: VERTEX_GLOBAL_BASE_URL,
  requiresKey: false,
  notes: 'Claude (passthrough over rawPredict) and Gemini (translated); OAuth via service account or application-default credentials.',
  createClient: (instance) => {
    const endpoint = new VertexEndpoint(instance);
    const gemini = new GeminiChatClient(instance, endpoint.geminiEndpoint());
    return { messages: new VertexAnthropicClient(instance, endpoint), chat: gemini, gemini };
  },
};
