import type { ProviderDefinition } from '../provider.js';
import { OpenAICompatibleChatClient } from './openai-compatible-client.js';
import type { OpenAICompatibleQuirks } from './openai-compatible-quirks.js';

/** A provider kind reached through the shared Chat Completions client. */
export interface OpenAICompatibleProviderDefinition extends ProviderDefinition {
  quirks: OpenAICompatibleQuirks;
}

/** Everything a provider file states about itself. */
export type OpenAICompatibleProviderSpecification = Omit<OpenAICompatibleProviderDefinition, 'createClient'>;

/** A provider definition whose instances talk Chat Completions with the given quirks. */
export function defineOpenAICompatibleProvider(specification: OpenAICompatibleProviderSpecification): OpenAICompatibleProviderDefinition {
  return {
    ...specification,
    createClient: (instance) => ({ chat: new OpenAICompatibleChatClient(instance, specification.quirks) }),
  };
}
