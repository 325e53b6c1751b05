import { OpenAICompatibleChatClient } from '../openai-compatible/openai-compatible-client.js';
import { openAIQuirks } from '../openai/openai-provider.js';
import type { ProviderDefinition } from '../provider.js';
import { resolveDeployment } from '../resolve-deployment.js';
import { AZURE_OPENAI_SCOPE, AzureCredentials } from './azure-credentials.js';
import { azureChatCompletionsUrl } from './azure-urls.js';

/**
 * Azure OpenAI, through the shared Chat Completions translator with OpenAI's quirks (resolved for
 * the model name the caller typed, so `azure/gpt-5` gets reasoning-model handling whatever the
 * deployment is called). The model name maps to a deployment through `deployments`; with
 * `api_version` the call goes to `/openai/deployments/{deployment}/chat/completions?api-version=…`,
 * without it to the v1 API `/openai/v1/chat/completions` with the deployment as `model`.
 * Auth: `api-key: <key>`, or Entra ID client credentials as a Bearer token. `base_url` is the
 * resource endpoint, `https://{resource}.openai.azure.com`.
 *
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference
 */
export const azureOpenAIProvider: ProviderDefinition = {
  kind: 'azure',
  displayName: 'Azure OpenAI',
  apiKeyEnvironmentVariable: 'AZURE_OPENAI_API_KEY',
  requiresKey: false,
  notes: 'Chat Completions on deployments (api-version) or the v1 API; api-key or Entra ID; set `base_url`',
  createClient: (instance) => {
    const credentials = new AzureCredentials(instance, 'api-key', AZURE_OPENAI_SCOPE);
    return {
      chat: new OpenAICompatibleChatClient(instance, openAIQuirks, async (call) => {
        const deployment = resolveDeployment(instance, call.key, call.model);
        return {
          url: azureChatCompletionsUrl(instance.baseUrl, deployment, instance.apiVersion),
          headers: await credentials.headers(call),
          model: deployment,
        };
      }),
    };
  },
};
