import { sendUpstreamRequest } from '../../upstream/upstream-http.js';
import type { ProviderInstance, RawUpstreamResponse, UpstreamCall } from '../provider.js';
import { resolveDeployment } from '../resolve-deployment.js';
import { BedrockAuthenticator } from './bedrock-auth.js';
import { bedrockBaseUrl, bedrockRuntimeUrl, type BedrockRuntimeOperation } from './bedrock-model-ids.js';

/** Region used when neither the config nor `AWS_REGION` / `AWS_DEFAULT_REGION` name one. */
export const DEFAULT_BEDROCK_REGION = 'us-east-1';

/** The region of an instance: its `region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`, else us-east-1. */
export function bedrockRegion(instance: ProviderInstance, environment: NodeJS.ProcessEnv = process.env): string {
  return instance.region ?? environment.AWS_REGION ?? environment.AWS_DEFAULT_REGION ?? DEFAULT_BEDROCK_REGION;
}

/**
 * HTTP to Bedrock's runtime API for one provider instance: builds `/model/{modelId}/{operation}`
 * URLs on the instance's base URL (region filled in), maps the caller's model name to its
 * deployment, adds credentials (SigV4 or Bearer) and sends through the shared undici pools.
 * @see https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html
 */
export class BedrockTransport {
  readonly region: string;
  private readonly baseUrl: string;
  private readonly authenticator: BedrockAuthenticator;

  constructor(private readonly instance: ProviderInstance) {
    this.region = bedrockRegion(instance);
    this.baseUrl = bedrockBaseUrl(instance.baseUrl, this.region);
    this.authenticator = new BedrockAuthenticator(instance, this.region);
  }

  /** The Bedrock model id (or profile / ARN) a call goes to. */
  modelIdFor(call: UpstreamCall): string {
    return resolveDeployment(this.instance, call.key, call.model);
  }

  /**
   * POSTs a JSON body to an operation of the call's model. Resolves for any HTTP status.
   * @param accept `application/json` or the event-stream content type
   * @throws ProviderCallError on network failures, timeouts and missing credentials
   */
  async post(call: UpstreamCall, operation: BedrockRuntimeOperation, body: string | Buffer, accept: string): Promise<RawUpstreamResponse> {
    const url = bedrockRuntimeUrl(this.baseUrl, this.modelIdFor(call), operation);
    const unsigned: Record<string, string> = { 'content-type': 'application/json', accept };
    for (const [name, value] of Object.entries(this.instance.headers)) unsigned[name.toLowerCase()] = value;
    const headers = await this.authenticator.authenticate({ method: 'POST', url, headers: unsigned, body }, call.key);
    return sendUpstreamRequest({ provider: this.instance.name, url, headers, body, signal: call.signal, capture: call.capture, timeouts: this.instance.timeouts });
  }
}
