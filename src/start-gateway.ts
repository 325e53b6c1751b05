import type { AddressInfo } from 'node:net';
import type { GatewaySettings } from './config/gateway-settings.js';
import { createGatewayServer } from './server/create-gateway-server.js';
import { closeUpstreamPools } from './upstream/upstream-http.js';

/** A running gateway. */
export interface RunningGateway {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, closes upstream pools. */
  close(): Promise<void>;
}

/** Starts the gateway's HTTP server on `settings.host:settings.port`. */
export async function startGateway(settings: GatewaySettings): Promise<RunningGateway> {
  const server = createGatewayServer(settings);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    port,
    url: `http://${host}:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await closeUpstreamPools();
    },
  };
}
