import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A transparent HTTP forwarder on 127.0.0.1 placed between a client and the gateway: it records
 * each request exactly as the client sent it (method, URL, headers, body) and the status it got
 * back, and relays the response unbuffered (SSE streams keep flowing). Used to capture what a real
 * client such as Claude Code sends, independently of what the gateway does with it.
 */
export interface ForwardedExchange {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The response status, once the target answered; undefined while pending or when it failed. */
  status?: number;
  /** The response headers, once the target answered. */
  responseHeaders?: IncomingHttpHeaders;
  /** Set when the exchange could not be relayed. */
  error?: string;
}

export interface RecordingForwarder {
  /** Base URL of the forwarder (`http://127.0.0.1:PORT`); paths are appended as received. */
  url: string;
  exchanges: ForwardedExchange[];
  close(): Promise<void>;
}

/** Starts a forwarder relaying every request to `targetUrl` (an `http://` origin on this machine). */
export async function startRecordingForwarder(targetUrl: string): Promise<RecordingForwarder> {
  const target = new URL(targetUrl);
  const exchanges: ForwardedExchange[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const exchange: ForwardedExchange = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      exchanges.push(exchange);
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: exchange.method,
          path: exchange.url,
          headers: { ...incoming.headers, host: target.host },
        },
        (answer) => {
          exchange.status = answer.statusCode;
          exchange.responseHeaders = answer.headers;
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          outgoing.flushHeaders();
          answer.pipe(outgoing);
          answer.on('error', () => outgoing.destroy());
        },
      );
      upstream.on('error', (error) => {
        exchange.error = error.message;
        if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`forwarder: ${error.message}`);
      });
      outgoing.on('close', () => {
        if (!outgoing.writableFinished) upstream.destroy();
      });
      upstream.end(exchange.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
