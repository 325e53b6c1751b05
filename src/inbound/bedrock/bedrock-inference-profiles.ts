import type { ServerResponse } from 'node:http';
import type { GatewaySettings } from '../../config/gateway-settings.js';
import { anthropicModelNameFromBedrockId, isAnthropicBedrockId } from '../../providers/bedrock/bedrock-model-ids.js';
import { resolveModel } from '../../routing/resolve-model.js';

/**
 * Bedrock's system-defined cross-region inference profiles for current Claude models, offered on
 * `/bedrock/inference-profiles` when the gateway can serve them through its Anthropic provider.
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 */
export const KNOWN_CLAUDE_INFERENCE_PROFILES: readonly string[] = [
  'us.anthropic.claude-opus-4-5-20251101-v1:0',
  'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
  'us.anthropic.claude-haiku-4-5-20251001-v1:0',
  'us.anthropic.claude-opus-4-1-20250805-v1:0',
  'us.anthropic.claude-opus-4-20250514-v1:0',
  'us.anthropic.claude-sonnet-4-20250514-v1:0',
  'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  'us.anthropic.claude-3-5-haiku-20241022-v1:0',
];

/** The account id placed in generated ARNs (the gateway has none). */
const PLACEHOLDER_ACCOUNT = '000000000000';
const CREATED_AT = '2025-01-01T00:00:00Z';

/** One `InferenceProfileSummary`. @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_InferenceProfileSummary.html */
export interface InferenceProfileSummary {
  inferenceProfileName: string;
  description: string;
  createdAt: string;
  updatedAt: string;
  inferenceProfileArn: string;
  models: Array<{ modelArn: string }>;
  inferenceProfileId: string;
  status: 'ACTIVE';
  type: 'SYSTEM_DEFINED' | 'APPLICATION';
}

function summary(id: string, region: string, type: InferenceProfileSummary['type']): InferenceProfileSummary {
  const foundationModel = id.replace(/^[a-z-]+\.(?=anthropic\.)/, '');
  const isArn = id.startsWith('arn:');
  return {
    inferenceProfileName: (anthropicModelNameFromBedrockId(id) ?? id.slice(id.lastIndexOf('/') + 1)).slice(0, 64),
    description: `${id} through Heimdall`,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    inferenceProfileArn: isArn ? id : `arn:aws:bedrock:${region}:${PLACEHOLDER_ACCOUNT}:inference-profile/${id}`,
    models: [{ modelArn: `arn:aws:bedrock:${region}::foundation-model/${foundationModel}` }],
    inferenceProfileId: isArn ? id.slice(id.lastIndexOf('/') + 1) : id,
    status: 'ACTIVE',
    type,
  };
}

/**
 * The inference profiles the gateway serves: the Claude ids and profile ARNs configured on Bedrock
 * providers (`models`, `deployments` names and values), and — when an Anthropic-speaking provider
 * resolves them — the known system-defined Claude profiles. `type` filters SYSTEM_DEFINED (ids)
 * or APPLICATION (application-inference-profile ARNs).
 */
export function listInferenceProfiles(settings: GatewaySettings, type: string | null, region: string): InferenceProfileSummary[] {
  const systemIds = new Set<string>();
  const applicationArns = new Set<string>();
  for (const instance of settings.providers.values()) {
    if (instance.definition.kind !== 'bedrock') continue;
    const deployments = instance.deployments ?? {};
    for (const id of [...instance.models, ...Object.keys(deployments), ...Object.values(deployments)]) {
      if (id.includes(':application-inference-profile/')) applicationArns.add(id);
      else if (isAnthropicBedrockId(id) && !id.startsWith('arn:')) systemIds.add(id);
    }
  }
  for (const id of KNOWN_CLAUDE_INFERENCE_PROFILES) {
    const name = anthropicModelNameFromBedrockId(id);
    if (name === undefined) continue;
    try {
      resolveModel(name, settings.providers);
      systemIds.add(id);
    } catch {
      // not served here
    }
  }
  const profiles: InferenceProfileSummary[] = [];
  if (type === null || type === 'SYSTEM_DEFINED') profiles.push(...[...systemIds].map((id) => summary(id, region, 'SYSTEM_DEFINED')));
  if (type === null || type === 'APPLICATION') profiles.push(...[...applicationArns].map((id) => summary(id, region, 'APPLICATION')));
  return profiles;
}

/**
 * `GET /bedrock/inference-profiles` in ListInferenceProfiles' shape (`type`, `maxResults`,
 * `nextToken` — an offset — are honoured). Claude Code calls it with `type=SYSTEM_DEFINED`.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListInferenceProfiles.html
 */
export function handleBedrockInferenceProfiles(url: URL, response: ServerResponse, settings: GatewaySettings, region: string): void {
  const all = listInferenceProfiles(settings, url.searchParams.get('type') ?? url.searchParams.get('typeEquals'), region);
  const maxResults = Math.min(Math.max(Number(url.searchParams.get('maxResults') ?? 1000) || 1000, 1), 1000);
  const start = Math.max(Number(url.searchParams.get('nextToken') ?? 0) || 0, 0);
  const page = all.slice(start, start + maxResults);
  const payload: { inferenceProfileSummaries: InferenceProfileSummary[]; nextToken?: string } = { inferenceProfileSummaries: page };
  if (start + maxResults < all.length) payload.nextToken = String(start + maxResults);
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(JSON.stringify(payload));
}
