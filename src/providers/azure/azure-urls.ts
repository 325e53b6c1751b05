/**
 * URL building for Azure OpenAI and Claude on Azure AI Foundry.
 *
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/openai/api-version-lifecycle
 * @see https://learn.microsoft.com/en-us/azure/ai-foundry/foundry-models/how-to/use-foundry-models-claude
 */

function withoutTrailingSlashes(url: string): string {
  let result = url;
  while (result.endsWith('/')) result = result.slice(0, -1);
  return result;
}

/**
 * The resource root of an Azure OpenAI base URL: `https://{resource}.openai.azure.com` whether
 * the configured URL ends there, in `/openai` or in `/openai/v1`.
 */
export function azureResourceRoot(baseUrl: string): string {
  return withoutTrailingSlashes(baseUrl).replace(/\/openai(?:\/v1)?$/, '');
}

/**
 * The Chat Completions URL of an Azure OpenAI call:
 * - with an `api-version`: `{root}/openai/deployments/{deployment}/chat/completions?api-version={version}`;
 * - without: the v1 API, `{root}/openai/v1/chat/completions` (the deployment goes in the body's `model`).
 */
export function azureChatCompletionsUrl(baseUrl: string, deployment: string, apiVersion: string | undefined): URL {
  const root = azureResourceRoot(baseUrl);
  if (apiVersion === undefined) return new URL(`${root}/openai/v1/chat/completions`);
  const url = new URL(`${root}/openai/deployments/${encodeURIComponent(deployment)}/chat/completions`);
  url.searchParams.set('api-version', apiVersion);
  return url;
}

/**
 * A Foundry Anthropic endpoint: `{base}/v1/messages` (or `/v1/messages/count_tokens`), where the
 * base is `https://{resource}.services.ai.azure.com/anthropic` (`/anthropic` is added when missing).
 */
export function azureFoundryAnthropicUrl(baseUrl: string, path: '/v1/messages' | '/v1/messages/count_tokens'): URL {
  let base = withoutTrailingSlashes(baseUrl).replace(/\/v1$/, '');
  if (!base.endsWith('/anthropic')) base = `${base}/anthropic`;
  return new URL(`${base}${path}`);
}
