import type { ProviderDefinition, ProviderInstance, UpstreamCall } from '../provider.js';
import { GeminiChatClient, type GeminiEndpoint } from './gemini-chat-client.js';

/** The Gemini API's base URL (v1beta: the version with thinking, tools and JSON schema output). */
export const GEMINI_API_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/**
 * The Gemini API endpoint: `${baseUrl}/models/{model}:{method}`, authenticated with the key in
 * `x-goog-api-key` (never in the URL, where it would end up in logs).
 * @see https://ai.google.dev/api#authentication
 */
export function geminiApiEndpoint(instance: ProviderInstance): GeminiEndpoint {
  const base = instance.baseUrl.replace(/\/+$/, '');
  return {
    dialect: 'gemini-api',
    methodUrl: async (model, method) => new URL(`${base}/models/${encodeURIComponent(model)}:${method}`),
    authHeaders: async (call: UpstreamCall): Promise<Record<string, string>> =>
      call.key === undefined || call.key.value === '' ? {} : { 'x-goog-api-key': call.key.value },
  };
}

/**
 * Google's Gemini API (Google AI Studio keys), reached through translation from the IR, and as a
 * passthrough for Gemini-format callers of `/genai`.
 * @see https://ai.google.dev/api/generate-content
 */
export const geminiProvider: ProviderDefinition = {
  kind: 'gemini',
  displayName: 'Google Gemini API',
  defaultBaseUrl: GEMINI_API_BASE_URL,
  apiKeyEnvironmentVariable: 'GEMINI_API_KEY',
  alternativeApiKeyEnvironmentVariables: ['GOOGLE_API_KEY'],
  requiresKey: true,
  notes: 'Translated (generateContent); thought signatures kept across turns; Gemini-format passthrough on /genai.',
  createClient: (instance) => {
    const client = new GeminiChatClient(instance, geminiApiEndpoint(instance));
    return { chat: client, gemini: client };
  },
};
