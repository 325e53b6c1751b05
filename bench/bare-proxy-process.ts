import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

/**
 * The bench's reference point: a bare Node proxy on an `undici` Pool, run as its own process
 * (`child_process.fork`, like the mock upstream) so that `npm run bench` can say how far the
 * gateway is from the cheapest honest Node proxy on the same machine in the same run, instead of
 * quoting a figure taken elsewhere (the performance goal is stated relative to such a proxy).
 *
 * Per request it does only what any proxy must: reads the client's body into one Buffer, sends it
 * through `pool.dispatch` (undici's handler API, its cheapest: measured here ~30% less CPU per
 * request than `pool.request`, which wraps each body in a `Readable`) to the mock's Anthropic route (`POST /v1/messages`, with the upstream
 * credential `x-api-key: bench` and the client's `anthropic-version`), then relays the status, the
 * content type and the body chunks as they arrive. No routing, translation, logging, metrics or
 * header filtering; an upstream failure becomes a bare 502. The Pool is configured like the
 * gateway's (`src/upstream/upstream-http.ts`: keep-alive, 256 connections, no pipelining) and the
 * server like the gateway's (`keepAliveTimeout` 65 s), so that the difference is the gateway's work.
 *
 * Usage: `fork('bench/bare-proxy-process.ts', [mockUrl], { execArgv: ['--import', 'tsx'] })`.
 * Sends `{type:'ready', port}` over IPC once listening on 127.0.0.1; exits when the IPC channel
 * closes.
 */

const mockUrl = process.argv[2];
if (mockUrl === undefined || mockUrl === '') throw new Error('usage: bare-proxy-process.ts <mock upstream URL>');

const poolOrigin = new URL(mockUrl).origin;
const pool = new Pool(poolOrigin, { connections: 256, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000 });

const server = createServer({ keepAliveTimeout: 65_000 }, (request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const version = request.headers['anthropic-version'];
    const handler: Dispatcher.DispatchHandler = {
      // undici takes a handler as one of its new-API kind by this method's presence
      onRequestStart: () => undefined,
      onResponseStart: (_controller, statusCode, headers) => {
        const contentType = headers['content-type'];
        response.writeHead(statusCode, { 'content-type': typeof contentType === 'string' ? contentType : 'application/octet-stream', 'cache-control': 'no-cache' });
      },
      // Relay chunk by chunk, as the gateway's streaming passthrough does (no buffering of the answer).
      onResponseData: (_controller, chunk) => {
        response.write(chunk);
      },
      onResponseEnd: () => {
        response.end();
      },
      onResponseError: () => {
        if (response.headersSent) {
          response.destroy();
          return;
        }
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end('bad gateway');
      },
    };
    pool.dispatch(
      {
        origin: poolOrigin,
        path: '/v1/messages',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'bench', 'anthropic-version': typeof version === 'string' ? version : '2023-06-01' },
        body,
      },
      handler,
    );
  });
  request.on('error', () => response.destroy());
});

server.listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('disconnect', () => process.exit(0));
