import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { AWS_EVENT_STREAM_CONTENT_TYPE, encodeChunkMessage, encodeEventMessage, encodeExceptionMessage } from '../providers/bedrock/aws-event-stream.js';
import { BEDROCK_SIGNING_SERVICE, NodeSha256, type AwsCredentials } from '../providers/bedrock/bedrock-auth.js';
import type { AnthropicStreamEvent } from './anthropic-sse.js';

/**
 * A local stand-in for Bedrock's runtime API (`/model/{modelId}/{operation}`) on 127.0.0.1 and a
 * free port. Every request's credentials are checked the way AWS does: a SigV4 `Authorization`
 * header is recomputed with `@smithy/signature-v4` from the test credentials and the request as
 * received (method, path, query, signed headers, body) and refused with 403
 * `InvalidSignatureException` on any mismatch; a Bearer token must equal the test API key
 * (else 403 `UnrecognizedClientException`). Answers are written in Bedrock's real wire formats:
 * JSON, or the binary AWS event stream (`chunk` events with base64 Anthropic events for
 * InvokeModelWithResponseStream; `messageStart` … `metadata` events for ConverseStream).
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */

/** A request the mock accepted (or refused, with `refusal` set). */
export interface BedrockRecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  json: unknown;
  /** The decoded model id of `/model/{modelId}/…`. */
  modelId: string;
  /** `invoke`, `invoke-with-response-stream`, `converse`, `converse-stream`, `count-tokens`, or the raw path. */
  operation: string;
  /** How the caller authenticated. */
  authentication: 'sigv4' | 'bearer' | 'none';
  /** Why the request was refused, when it was. */
  refusal?: string;
}

export type MockBedrockHandler = (request: BedrockRecordedRequest, response: ServerResponse) => void | Promise<void>;

/** What credentials the mock accepts. */
export interface MockBedrockCredentials {
  /** SigV4 credentials; requests signed with anything else are refused. */
  aws?: AwsCredentials;
  /** A Bedrock API key accepted as `Authorization: Bearer`. */
  apiKey?: string;
  /** The region the signature must name. Default us-east-1. */
  region?: string;
}

export interface MockBedrock {
  url: string;
  /** Every request, refused ones included. */
  requests: BedrockRecordedRequest[];
  setHandler(handler: MockBedrockHandler): void;
  close(): Promise<void>;
}

/** Test credentials (not real). */
export const TEST_AWS_CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIDHEIMDALLTEST0001',
  secretAccessKey: 'heimdall-test-secret-access-key/0000000000',
};

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** `20250102T030405Z` → Date. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  return new Date(Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)));
}

const AUTHORIZATION_PATTERN = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Checks a SigV4-signed request against `credentials` by signing it again.
 * @returns undefined when the signature is valid, else why not
 */
export async function verifySigV4Request(
  request: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  credentials: AwsCredentials,
  region: string,
): Promise<string | undefined> {
  const authorization = request.headers.authorization ?? '';
  const match = AUTHORIZATION_PATTERN.exec(authorization);
  if (match === null) return 'Authorization header is not AWS4-HMAC-SHA256';
  const [, accessKeyId, , signedRegion, service, signedHeaderList, signature] = match;
  if (accessKeyId !== credentials.accessKeyId) return `unknown access key ${accessKeyId}`;
  if (signedRegion !== region) return `signed for region ${signedRegion}, expected ${region}`;
  if (service !== BEDROCK_SIGNING_SERVICE) return `signed for service ${service}`;
  const signingDate = parseAmzDate(String(request.headers['x-amz-date'] ?? ''));
  if (signingDate === undefined) return 'missing or malformed x-amz-date';
  const headers: Record<string, string> = {};
  for (const name of signedHeaderList.split(';')) {
    const value = request.headers[name];
    if (value === undefined) return `signed header ${name} is missing`;
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(request.url, `http://${headers.host ?? '127.0.0.1'}`);
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = value;
  const signer = new SignatureV4({ credentials, region, service: BEDROCK_SIGNING_SERVICE, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers, body: request.body },
    { signingDate },
  );
  const expected = AUTHORIZATION_PATTERN.exec(String(signed.headers.authorization ?? ''))?.[6];
  return expected === signature ? undefined : 'The request signature we calculated does not match the signature you provided.';
}

/** Writes a Bedrock error: the status, `x-amzn-ErrorType` and `{"message": …}`. */
export function writeBedrockError(response: ServerResponse, status: number, errorType: string, message: string): void {
  response.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    'x-amzn-requestid': 'mock-request-id',
  });
  response.end(JSON.stringify({ message }));
}

/** Writes a JSON 200 answer (InvokeModel / Converse). */
export function writeBedrockJson(response: ServerResponse, payload: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'mock-request-id' });
  response.end(JSON.stringify(payload));
}

/** Options for streamed answers. */
export interface BedrockStreamOptions {
  /** Ends the stream with this exception after the events. */
  exception?: { type: string; message: string };
  /** Splits the bytes into writes of this many bytes (frames cut across writes). */
  writeBytes?: number;
}

async function writeFrames(response: ServerResponse, frames: Buffer[], options: BedrockStreamOptions): Promise<void> {
  response.writeHead(200, { 'content-type': AWS_EVENT_STREAM_CONTENT_TYPE, 'x-amzn-requestid': 'mock-request-id' });
  const all = [...frames];
  if (options.exception !== undefined) all.push(encodeExceptionMessage(options.exception.type, options.exception.message));
  const bytes = Buffer.concat(all);
  const size = options.writeBytes ?? bytes.length;
  for (let offset = 0; offset < bytes.length; offset += size) {
    response.write(bytes.subarray(offset, offset + size));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  response.end();
}

/** InvokeModelWithResponseStream: each Anthropic event as a `chunk` event with base64 `bytes`. */
export function writeInvokeStream(response: ServerResponse, events: AnthropicStreamEvent[], options: BedrockStreamOptions = {}): Promise<void> {
  return writeFrames(response, events.map((event) => encodeChunkMessage(JSON.stringify(event))), options);
}

/**
 * ConverseStream: each event given as `{"<eventType>": payload}` (the shape of the recorded
 * `*.chunks.txt` lines) framed as an event with `:event-type: <eventType>`.
 */
export function writeConverseStream(response: ServerResponse, events: readonly unknown[], options: BedrockStreamOptions = {}): Promise<void> {
  const frames = events.map((event) => {
    const entries = Object.entries(event as Record<string, unknown>);
    if (entries.length !== 1) throw new Error(`a Converse stream event must have exactly one key: ${JSON.stringify(event)}`);
    const [eventType, payload] = entries[0];
    return encodeEventMessage(eventType, JSON.stringify(payload));
  });
  return writeFrames(response, frames, options);
}

/** Starts the mock with `handler` answering accepted requests. */
export async function startMockBedrock(handler: MockBedrockHandler, credentials: MockBedrockCredentials = { aws: TEST_AWS_CREDENTIALS }): Promise<MockBedrock> {
  let current = handler;
  const requests: BedrockRecordedRequest[] = [];
  const region = credentials.region ?? 'us-east-1';
  const server: Server = createServer((incoming, response) => {
    readBody(incoming)
      .then(async (body) => {
        let json: unknown;
        try {
          json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        const rawUrl = incoming.url ?? '/';
        const path = rawUrl.split('?')[0];
        const match = /^\/model\/([^/]+)\/([a-z-]+)$/.exec(path);
        const authorization = incoming.headers.authorization ?? '';
        const recorded: BedrockRecordedRequest = {
          method: incoming.method ?? 'GET',
          url: rawUrl,
          headers: incoming.headers,
          body,
          json,
          modelId: match === null ? '' : decodeURIComponent(match[1]),
          operation: match === null ? path : match[2],
          authentication: authorization.startsWith('AWS4-HMAC-SHA256') ? 'sigv4' : authorization.startsWith('Bearer ') ? 'bearer' : 'none',
        };
        requests.push(recorded);
        if (recorded.authentication === 'sigv4') {
          const problem =
            credentials.aws === undefined ? 'SigV4 is not accepted here' : await verifySigV4Request(recorded, credentials.aws, region);
          if (problem !== undefined) {
            recorded.refusal = problem;
            writeBedrockError(response, 403, 'InvalidSignatureException', problem);
            return;
          }
        } else if (recorded.authentication === 'bearer') {
          if (credentials.apiKey === undefined || authorization !== `Bearer ${credentials.apiKey}`) {
            recorded.refusal = 'unknown API key';
            writeBedrockError(response, 403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
            return;
          }
        } else {
          recorded.refusal = 'no credentials';
          writeBedrockError(response, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
          return;
        }
        await current(recorded, response);
      })
      .catch((error: unknown) => {
        if (!response.headersSent) writeBedrockError(response, 500, 'InternalServerException', String(error));
        else response.destroy();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
