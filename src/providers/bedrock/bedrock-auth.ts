import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { ProviderCallError } from '../../core/errors.js';
import type { ProviderInstance, ProviderKey } from '../provider.js';

/**
 * Authentication of Bedrock requests, per call:
 * - a key with `accessKeyId`: AWS Signature Version 4 with that key pair (and session token);
 * - a key without one: a Bedrock API key, sent as `Authorization: Bearer <key>`;
 * - no key and `aws.credential_chain`: SigV4 with the AWS default credential chain (environment,
 *   shared config/credentials profiles, SSO, role assumption, web identity, container and
 *   instance roles), resolved once and refreshed by the chain when it expires.
 * Signers are created once per key / instance and reused.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
 * @see https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
 */

/** The SigV4 service name of Bedrock's runtime API. */
export const BEDROCK_SIGNING_SERVICE = 'bedrock';

/** AWS credentials as SigV4 takes them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials expire. */
  expiration?: Date;
}

type ByteSource = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: ByteSource): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * SHA-256 (or HMAC-SHA-256 when given a secret) on `node:crypto`, in the checksum shape the
 * SigV4 signer takes — native hashing rather than a JavaScript implementation.
 */
export class NodeSha256 {
  private readonly secret: Buffer | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: ByteSource) {
    this.secret = secret === undefined ? undefined : toBuffer(secret);
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }

  update(chunk: ByteSource): void {
    this.hash.update(toBuffer(chunk));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }

  reset(): void {
    this.hash = this.create();
  }
}

/** A SigV4 signer for Bedrock in `region` with fixed credentials or a credential provider. */
export function createBedrockSigner(credentials: AwsCredentials | (() => Promise<AwsCredentials>), region: string): SignatureV4 {
  return new SignatureV4({ credentials, region, service: BEDROCK_SIGNING_SERVICE, sha256: NodeSha256, applyChecksum: false });
}

/** One request to sign: everything SigV4 covers. */
export interface SignableRequest {
  method: 'GET' | 'POST';
  url: URL;
  /** Lower-case header names. `host` is added from the URL. */
  headers: Record<string, string>;
  body: string | Buffer;
}

/**
 * Signs a request and returns its headers with `authorization`, `x-amz-date` and, for temporary
 * credentials, `x-amz-security-token` added (`host` is left out: the HTTP client sets it).
 */
export async function signRequest(signer: SignatureV4, request: SignableRequest): Promise<Record<string, string>> {
  const query: Record<string, string> = {};
  for (const [name, value] of request.url.searchParams) query[name] = value;
  const signed = await signer.sign({
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    port: request.url.port === '' ? undefined : Number(request.url.port),
    path: request.url.pathname,
    query,
    headers: { ...request.headers, host: request.url.host },
    body: request.body,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    if (name.toLowerCase() !== 'host') headers[name.toLowerCase()] = String(value);
  }
  return headers;
}

/** Creates the credential provider of the AWS default chain (loaded only when configured). */
async function defaultChainProvider(profile: string | undefined): Promise<() => Promise<AwsCredentials>> {
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const provider = fromNodeProviderChain(profile === undefined ? {} : { profile });
  return () => provider();
}

/** Adds Bedrock credentials to requests of one provider instance. */
export class BedrockAuthenticator {
  private readonly keySigners = new WeakMap<ProviderKey, SignatureV4>();
  private chainSigner: Promise<SignatureV4> | undefined;

  constructor(
    private readonly instance: ProviderInstance,
    private readonly region: string,
  ) {}

  /**
   * The request's headers with credentials added.
   * @throws ProviderCallError (`authentication_error`) when the instance has no credentials or
   *   the credential chain finds none
   */
  async authenticate(request: SignableRequest, key: ProviderKey | undefined): Promise<Record<string, string>> {
    if (key !== undefined && key.accessKeyId !== undefined) {
      return signRequest(this.signerForKey(key), request);
    }
    if (key !== undefined) return { ...request.headers, authorization: `Bearer ${key.value}` };
    if (this.instance.aws?.credentialChain === true) {
      this.chainSigner ??= defaultChainProvider(this.instance.aws.profile).then((provider) => createBedrockSigner(provider, this.region));
      try {
        return await signRequest(await this.chainSigner, request);
      } catch (error) {
        throw new ProviderCallError({
          provider: this.instance.name,
          kind: 'authentication_error',
          message: `${this.instance.name}: the AWS credential chain found no usable credentials: ${error instanceof Error ? error.message : String(error)}`,
          retryable: false,
          cause: error,
        });
      }
    }
    throw new ProviderCallError({
      provider: this.instance.name,
      kind: 'authentication_error',
      message: `${this.instance.name} has no AWS credentials: add keys (a Bedrock API key, or access_key_id + secret) or set "aws": {"credential_chain": true}`,
      retryable: false,
    });
  }

  private signerForKey(key: ProviderKey): SignatureV4 {
    let signer = this.keySigners.get(key);
    if (signer === undefined) {
      const credentials: AwsCredentials = { accessKeyId: key.accessKeyId ?? '', secretAccessKey: key.value };
      if (key.sessionToken !== undefined) credentials.sessionToken = key.sessionToken;
      signer = createBedrockSigner(credentials, this.region);
      this.keySigners.set(key, signer);
    }
    return signer;
  }
}
