import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Mock Google upstreams for tests, on 127.0.0.1 and a free port, in one server:
 *
 * - `POST /token`: an OAuth 2.0 token endpoint for a test service account (JWT-bearer grant). It
 *   verifies the assertion's RS256 signature with the account's public key, its issuer, scope and
 *   expiry, and issues a fresh access token.
 * - Vertex AI: `/v1/projects/{p}/locations/{l}/publishers/{publisher}/models/{model}:{method}`,
 *   answered only with `authorization: Bearer <a token this endpoint issued>` (401 otherwise).
 * - Gemini API: `/v1beta/models/{model}:{method}`, answered only with the configured
 *   `x-goog-api-key` (400 `API_KEY_INVALID` otherwise, as Google answers).
 *
 * Requests that pass authentication are recorded and handed to the test's handler.
 */

/** A service-account JSON key file, as Google Cloud issues them. */
export interface ServiceAccountJson {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

/** A test service account: its JSON (with `token_uri` pointing at the mock) and its public key. */
export interface TestServiceAccount {
  json: ServiceAccountJson;
  publicKey: KeyObject;
}

/** Creates a service account with a fresh RSA key pair (node:crypto) whose tokens come from `tokenUri`. */
export function createTestServiceAccount(tokenUri: string, projectId = 'heimdall-test-project'): TestServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    json: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: randomBytes(20).toString('hex'),
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: `heimdall-test@${projectId}.iam.gserviceaccount.com`,
      client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(4).readUInt32BE())),
      token_uri: tokenUri,
    },
    publicKey,
  };
}

/** A request the mock accepted, with its route taken apart. */
export interface GoogleRecordedRequest {
  api: 'vertex' | 'gemini-api';
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
  project?: string;
  location?: string;
  /** `google`, `anthropic`, … (Vertex); `google` for the Gemini API. */
  publisher: string;
  model: string;
  /** `generateContent`, `streamGenerateContent`, `countTokens`, `rawPredict`, `streamRawPredict`. */
  rpc: string;
  /** The `alt` query parameter (`sse` for SSE streams). */
  alt: string | null;
}

export type MockGoogleHandler = (request: GoogleRecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface MockGoogle {
  /** `http://127.0.0.1:PORT` (Vertex base URL). */
  url: string;
  /** The Gemini API base URL: `${url}/v1beta`. */
  geminiBaseUrl: string;
  /** The token endpoint: `${url}/token`. */
  tokenUrl: string;
  serviceAccount: TestServiceAccount;
  apiKey: string;
  /** Accepted model requests, in order. */
  requests: GoogleRecordedRequest[];
  /** Token requests whose assertion verified (one per token issued). */
  tokensIssued: string[];
  /** Requests refused for their credential, as `METHOD path → status`. */
  refused: string[];
  setHandler(handler: MockGoogleHandler): void;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Writes Google's error shape. */
export function writeGoogleError(response: ServerResponse, code: number, status: string, message: string, details?: unknown[]): void {
  response.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify({ error: { code, message, status, ...(details === undefined ? {} : { details }) } }));
}

/** Writes a 200 JSON response. */
export function writeGoogleJson(response: ServerResponse, payload: unknown): void {
  response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  response.end(JSON.stringify(payload));
}

/** Writes `streamGenerateContent?alt=sse` chunks (`data: <json>\r\n\r\n`), then ends. */
export function writeGeminiSse(response: ServerResponse, chunks: readonly unknown[]): void {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
  response.end();
}

function base64UrlJson(segment: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a JWT-bearer assertion: RS256 signature by `publicKey`, issuer `email`, a scope, not
 * expired. Returns why it is refused, or undefined when it is good.
 */
export function verifyServiceAccountAssertion(assertion: string, account: TestServiceAccount): string | undefined {
  const segments = assertion.split('.');
  if (segments.length !== 3) return 'assertion is not a JWT';
  const [headerSegment, payloadSegment, signatureSegment] = segments;
  const header = base64UrlJson(headerSegment);
  const payload = base64UrlJson(payloadSegment);
  if (header?.alg !== 'RS256') return 'assertion is not RS256';
  const signed = verify('RSA-SHA256', Buffer.from(`${headerSegment}.${payloadSegment}`), account.publicKey, Buffer.from(signatureSegment, 'base64url'));
  if (!signed) return 'assertion signature does not verify';
  if (payload?.iss !== account.json.client_email) return `assertion issuer ${String(payload?.iss)} is not the service account`;
  if (typeof payload.scope !== 'string' || !payload.scope.includes('https://www.googleapis.com/auth/cloud-platform')) return 'assertion lacks the cloud-platform scope';
  if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) return 'assertion expired';
  return undefined;
}

const VERTEX_ROUTE = /^\/v1(?:beta1)?\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/([^/]+)\/models\/(.+):([A-Za-z]+)$/;
const GEMINI_ROUTE = /^\/v1beta\/models\/(.+):([A-Za-z]+)$/;

/** Starts the mock. `apiKey` is the Gemini API key it accepts. */
export async function startMockGoogle(handler: MockGoogleHandler, options: { apiKey?: string; projectId?: string } = {}): Promise<MockGoogle> {
  let current = handler;
  const requests: GoogleRecordedRequest[] = [];
  const tokensIssued: string[] = [];
  const refused: string[] = [];
  const apiKey = options.apiKey ?? 'gemini-test-key';
  const issuedTokens = new Set<string>();
  let serviceAccount: TestServiceAccount | undefined;

  const server: Server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        const url = new URL(request.url ?? '/', 'http://mock.local');
        if (request.method === 'POST' && url.pathname === '/token') {
          const form = new URLSearchParams(body.toString('utf8'));
          const problem =
            form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer'
              ? 'unsupported grant_type'
              : verifyServiceAccountAssertion(form.get('assertion') ?? '', serviceAccount as TestServiceAccount);
          if (problem !== undefined) {
            refused.push(`POST /token → 400 (${problem})`);
            response.writeHead(400, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ error: 'invalid_grant', error_description: problem }));
            return;
          }
          const token = `ya29.test-${randomBytes(12).toString('hex')}`;
          issuedTokens.add(token);
          tokensIssued.push(token);
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ access_token: token, expires_in: 3600, token_type: 'Bearer' }));
          return;
        }
        let json: unknown;
        try {
          json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        const vertex = VERTEX_ROUTE.exec(url.pathname);
        const gemini = GEMINI_ROUTE.exec(url.pathname);
        if (vertex !== null) {
          const authorization = request.headers.authorization ?? '';
          const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
          if (!issuedTokens.has(token)) {
            refused.push(`${request.method ?? 'GET'} ${url.pathname} → 401`);
            writeGoogleError(response, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
            return;
          }
          const recorded: GoogleRecordedRequest = {
            api: 'vertex',
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: request.headers,
            body,
            json,
            project: decodeURIComponent(vertex[1]),
            location: decodeURIComponent(vertex[2]),
            publisher: decodeURIComponent(vertex[3]),
            model: decodeURIComponent(vertex[4]),
            rpc: vertex[5],
            alt: url.searchParams.get('alt'),
          };
          requests.push(recorded);
          await current(recorded, response);
          return;
        }
        if (gemini !== null) {
          if (request.headers['x-goog-api-key'] !== apiKey) {
            refused.push(`${request.method ?? 'GET'} ${url.pathname} → 400`);
            writeGoogleError(response, 400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
              { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
            ]);
            return;
          }
          const recorded: GoogleRecordedRequest = {
            api: 'gemini-api',
            method: request.method ?? 'GET',
            url: request.url ?? '/',
            headers: request.headers,
            body,
            json,
            publisher: 'google',
            model: decodeURIComponent(gemini[1]),
            rpc: gemini[2],
            alt: url.searchParams.get('alt'),
          };
          requests.push(recorded);
          await current(recorded, response);
          return;
        }
        writeGoogleError(response, 404, 'NOT_FOUND', `mock Google has no route for ${request.method ?? 'GET'} ${url.pathname}`);
      })
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  serviceAccount = createTestServiceAccount(`${url}/token`, options.projectId);
  return {
    url,
    geminiBaseUrl: `${url}/v1beta`,
    tokenUrl: `${url}/token`,
    serviceAccount,
    apiKey,
    requests,
    tokensIssued,
    refused,
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

/** A `GenerateContentResponse` chunk with `parts` from the model. */
export function geminiChunk(parts: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { candidates: [{ content: { role: 'model', parts }, index: 0 }], modelVersion: 'gemini-mock', responseId: 'mock-response-1', ...extra };
}

/** The last chunk: `finishReason` and usage. */
export function geminiFinalChunk(parts: unknown[], usage: { prompt: number; candidates: number; thoughts?: number; cached?: number }, finishReason = 'STOP'): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
    usageMetadata: {
      promptTokenCount: usage.prompt,
      candidatesTokenCount: usage.candidates,
      totalTokenCount: usage.prompt + usage.candidates + (usage.thoughts ?? 0),
      ...(usage.thoughts === undefined ? {} : { thoughtsTokenCount: usage.thoughts }),
      ...(usage.cached === undefined ? {} : { cachedContentTokenCount: usage.cached }),
    },
    modelVersion: 'gemini-mock',
    responseId: 'mock-response-1',
  };
}
