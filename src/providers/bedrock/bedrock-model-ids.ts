/**
 * Bedrock model identifiers: foundation model ids (`anthropic.claude-sonnet-4-5-20250929-v1:0`),
 * cross-region inference profile ids (`us.anthropic.…`, `eu.…`, `apac.…`, `global.…`), and ARNs of
 * foundation models, inference profiles and application inference profiles.
 *
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 */

/** Geographic prefixes of system-defined cross-region inference profiles. */
const PROFILE_PREFIX = '(?:us|eu|apac|global|jp|au|ca|us-gov)\\.';

/** `[<geo>.]anthropic.<name>[-v<N>][:<revision>][:<context>]`, capturing `<name>`. */
const ANTHROPIC_MODEL_ID = new RegExp(`^(?:${PROFILE_PREFIX})?anthropic\\.(claude-[a-z0-9.-]+?)(?:-v\\d+)?(?::[0-9a-z]+)*$`);

/** Whether a Bedrock id (model id, profile id or ARN) names an Anthropic model. */
export function isAnthropicBedrockId(id: string): boolean {
  return /(?:^|[./])anthropic\.claude/.test(id);
}

/**
 * Whether a call is for a Claude model: its Bedrock id says so, or — for opaque ids such as
 * application inference profile ARNs — the model name the caller typed does (`claude-…`).
 */
export function isAnthropicModel(requestedModel: string, bedrockId: string): boolean {
  return isAnthropicBedrockId(bedrockId) || isAnthropicBedrockId(requestedModel) || requestedModel.startsWith('claude-');
}

/**
 * The Anthropic API model name for a Bedrock Claude id:
 * `us.anthropic.claude-sonnet-4-5-20250929-v1:0` → `claude-sonnet-4-5-20250929`,
 * `anthropic.claude-3-5-sonnet-20241022-v2:0` → `claude-3-5-sonnet-20241022`.
 * Returns undefined for ids that are not Anthropic model or profile ids (ARNs included).
 */
export function anthropicModelNameFromBedrockId(id: string): string | undefined {
  const match = ANTHROPIC_MODEL_ID.exec(id);
  return match === null ? undefined : match[1];
}

/** Bedrock runtime operations addressed as `/model/{modelId}/{operation}`. */
export type BedrockRuntimeOperation = 'invoke' | 'invoke-with-response-stream' | 'converse' | 'converse-stream' | 'count-tokens';

/**
 * The URL of a runtime operation: `{baseUrl}/model/{URL-encoded modelId}/{operation}`; the model id
 * is percent-encoded as one path segment (`:` → `%3A`, `/` of ARNs → `%2F`).
 */
export function bedrockRuntimeUrl(baseUrl: string, modelId: string, operation: BedrockRuntimeOperation): URL {
  let base = baseUrl;
  while (base.endsWith('/')) base = base.slice(0, -1);
  return new URL(`${base}/model/${encodeURIComponent(modelId)}/${operation}`);
}

/** `https://bedrock-runtime.{region}.amazonaws.com`, the default base URL template. */
export const BEDROCK_RUNTIME_BASE_URL_TEMPLATE = 'https://bedrock-runtime.{region}.amazonaws.com';

/** The base URL of an instance with `{region}` filled in. */
export function bedrockBaseUrl(baseUrl: string, region: string): string {
  return baseUrl.replaceAll('{region}', region);
}
