import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the mock upstream received. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type MockHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

/** A local HTTP server standing in for a provider, on 127.0.0.1 and a free port. */
export interface MockUpstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Replaces the handler for the following requests. */
  setHandler(handler: MockHandler): void;
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

/** Starts a mock upstream that records every request and answers with `handler`. */
export async function startMockUpstream(handler: MockHandler): Promise<MockUpstream> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((request, response) => {
    readBody(request)
      .then(async (body) => {
        let json: unknown;
        try {
          json = body.length > 0 ? JSON.parse(body.toString('utf8')) : undefined;
        } catch {
          json = undefined;
        }
        const recorded: RecordedRequest = { method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body, json };
        requests.push(recorded);
        await current(recorded, response);
      })
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500);
        response.end(String(error));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
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

/** Writes SSE events (`event:` line optional) with the given pause between them, then ends. */
export async function writeSseEvents(
  response: ServerResponse,
  events: Array<{ event?: string; data: string }>,
  options: { pauseMs?: number; headers?: Record<string, string> } = {},
): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', ...options.headers });
  for (const item of events) {
    response.write(`${item.event === undefined ? '' : `event: ${item.event}\n`}data: ${item.data}\n\n`);
    if (options.pauseMs !== undefined && options.pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  response.end();
}
