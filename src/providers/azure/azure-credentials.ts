import { ProviderCallError } from '../../core/errors.js';
import type { ProviderInstance, UpstreamCall } from '../provider.js';
import { EntraTokenProvider } from './entra-token-provider.js';

/** Entra ID scope of Azure OpenAI. */
export const AZURE_OPENAI_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** Entra ID scope of Azure AI Foundry (Claude models). */
export const AZURE_AI_FOUNDRY_SCOPE = 'https://ai.azure.com/.default';

/**
 * The credential headers of an Azure call: the chosen key in `keyHeader` (`api-key` for Azure
 * OpenAI, `x-api-key` for Foundry's Anthropic endpoint), else an Entra ID bearer token when the
 * instance has `entra` client credentials.
 */
export class AzureCredentials {
  private readonly entra: EntraTokenProvider | undefined;

  constructor(
    private readonly instance: ProviderInstance,
    private readonly keyHeader: 'api-key' | 'x-api-key',
    defaultScope: string,
  ) {
    this.entra = instance.entra === undefined ? undefined : new EntraTokenProvider(instance.name, instance.entra, defaultScope, instance.timeouts);
  }

  /** Whether the instance has any credential of its own. */
  get configured(): boolean {
    return this.instance.keys.length > 0 || this.entra !== undefined;
  }

  /**
   * @throws ProviderCallError (`authentication_error`) without a key or Entra credentials, or when
   *   the token request fails
   */
  async headers(call: UpstreamCall): Promise<Record<string, string>> {
    if (call.key !== undefined) return { [this.keyHeader]: call.key.value };
    if (this.entra !== undefined) return { authorization: `Bearer ${await this.entra.token()}` };
    throw new ProviderCallError({
      provider: this.instance.name,
      kind: 'authentication_error',
      message: `${this.instance.name} has no credentials: add keys or "entra" client credentials`,
      retryable: false,
    });
  }
}
