import { isJsonObject } from '../../core/request-validation.js';
import { parseJsonUtf8 } from '../../server/parse-json-utf8.js';
import { jsonRequestBody } from '../../upstream/json-request-body.js';
import { sendUpstreamRequest, type UpstreamHttpRequest } from '../../upstream/upstream-http.js';
import { openUpstreamStream } from '../../upstream/upstream-stream.js';
import { anthropicUpstreamHeaders } from '../anthropic/anthropic-provider.js';
import type { AnthropicMessagesClient, ProviderDefinition, ProviderInstance, UpstreamCall } from '../provider.js';
import { resolveDeployment } from '../resolve-deployment.js';
import { AZURE_AI_FOUNDRY_SCOPE, AzureCredentials } from './azure-credentials.js';
import { azureFoundryAnthropicUrl } from './azure-urls.js';

/** The body with `model` set to the deployment (re-serialised only when it differs). */
function bodyForDeployment(body: Buffer, deployment: string, model: string): Buffer {
  if (deployment === model) return body;
  const parsed = parseJsonUtf8(body);
  if (!isJsonObject(parsed)) return body;
  parsed.model = deployment;
  return jsonRequestBody(parsed);
}

function createFoundryClient(instance: ProviderInstance): AnthropicMessagesClient {
  const credentials = new AzureCredentials(instance, 'x-api-key', AZURE_AI_FOUNDRY_SCOPE);
  const upstreamRequest = async (path: '/v1/messages' | '/v1/messages/count_tokens', body: Buffer, call: UpstreamCall): Promise<UpstreamHttpRequest> => {
    const deployment = resolveDeployment(instance, call.key, call.model);
    const headers = anthropicUpstreamHeaders(call, call.inboundHeaders);
    if (credentials.configured) {
      delete headers['x-api-key'];
      delete headers.authorization;
      Object.assign(headers, await credentials.headers(call));
    }
    return {
      provider: instance.name,
      url: azureFoundryAnthropicUrl(instance.baseUrl, path),
      headers,
      body: bodyForDeployment(body, deployment, call.model),
      signal: call.signal,
      capture: call.capture,
      timeouts: instance.timeouts,
    };
  };
  return {
    sendMessages: async (body, call) => sendUpstreamRequest(await upstreamRequest('/v1/messages', body, call)),
    // The response body pushed as undici parses it (`upstream/upstream-stream.ts`), for `/anthropic` callers.
    openMessages: async (body, call) => openUpstreamStream(await upstreamRequest('/v1/messages', body, call)),
    countTokens: async (body, call) => sendUpstreamRequest(await upstreamRequest('/v1/messages/count_tokens', body, call)),
  };
}

/**
 * Claude on Azure AI Foundry: Anthropic Messages at
 * `https://{resource}.services.ai.azure.com/anthropic/v1/messages`, passed through like Anthropic
 * itself (same headers: version, betas), with the model name mapped to the deployment through
 * `deployments`. Auth: `x-api-key: <key>`, or Entra ID client credentials as a Bearer token; with
 * neither, the caller's own credential is forwarded.
 *
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/foundry-models/how-to/use-foundry-models-claude
 * @see https://platform.claude.com/docs/en/build-with-claude/claude-in-microsoft-foundry
 */
export const azureFoundryProvider: ProviderDefinition = {
  kind: 'azure-foundry',
  displayName: 'Claude on Azure AI Foundry',
  apiKeyEnvironmentVariable: 'ANTHROPIC_FOUNDRY_API_KEY',
  requiresKey: false,
  notes: 'Anthropic Messages passthrough; x-api-key or Entra ID; set `base_url`',
  createClient: (instance) => ({ messages: createFoundryClient(instance) }),
};
