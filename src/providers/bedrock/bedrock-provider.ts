import type { ProviderDefinition } from '../provider.js';
import { BedrockConverseClient } from './bedrock-converse-client.js';
import { createBedrockInvokeClient } from './bedrock-invoke-client.js';
import { BEDROCK_RUNTIME_BASE_URL_TEMPLATE } from './bedrock-model-ids.js';
import { BedrockTransport } from './bedrock-transport.js';

/**
 * Amazon Bedrock. Claude models (`anthropic.claude-…`, `us.`/`eu.`/`global.anthropic.…` inference
 * profiles, ARNs, or any name mapped to them through `deployments`) are passed through
 * InvokeModel with the Anthropic body kept intact; every other model goes through Converse with
 * full translation. Auth: SigV4 (key pairs or the AWS credential chain) or Bedrock API keys
 * (Bearer, `AWS_BEARER_TOKEN_BEDROCK`). The region is the instance's `region`, else `AWS_REGION`.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html
 */
export const bedrockProvider: ProviderDefinition = {
  kind: 'bedrock',
  displayName: 'Amazon Bedrock',
  defaultBaseUrl: BEDROCK_RUNTIME_BASE_URL_TEMPLATE,
  apiKeyEnvironmentVariable: 'AWS_BEARER_TOKEN_BEDROCK',
  requiresKey: false,
  notes: 'Claude through InvokeModel (passthrough), other models through Converse; SigV4, credential chain or API key',
  createClient: (instance) => {
    const transport = new BedrockTransport(instance);
    return { messages: createBedrockInvokeClient(instance.name, transport), chat: new BedrockConverseClient(instance, transport) };
  },
};
