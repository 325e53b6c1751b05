import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on 127.0.0.1 that forwards nothing: every `CONNECT host:port` (HTTPS) and every
 * absolute-URL request (HTTP) is recorded and refused with 502. Point a program's `HTTPS_PROXY` /
 * `HTTP_PROXY` here to keep it off the network and to learn which outside hosts it tried to reach.
 */
export interface RefusingProxy {
  url: string;
  /** What was attempted, in order: `CONNECT host:port` or `METHOD url`. */
  attempts: string[];
  close(): Promise<void>;
}

/** Starts a refusing proxy on a free port. */
export async function startRefusingProxy(): Promise<RefusingProxy> {
  const attempts: string[] = [];
  const server: Server = createServer((request, response) => {
    attempts.push(`${request.method ?? 'GET'} ${request.url ?? ''}`);
    response.writeHead(502, { 'content-type': 'text/plain' });
    response.end('refused by the test proxy');
  });
  server.on('connect', (request, socket) => {
    attempts.push(`CONNECT ${request.url ?? ''}`);
    socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
