import type { AddressInfo } from 'node:net';
import type { GatewayAdmin } from './admin/admin-api.js';
import { AdminAuthenticator } from './admin/admin-auth.js';
import type { GatewaySettings } from './config/gateway-settings.js';
import type { RunningGovernance } from './governance/start-governance.js';
import { GovernanceMcpIdentityResolver } from './mcp/governance-mcp-identity.js';
import { McpGateway } from './mcp/mcp-gateway.js';
import { startObservability, type Observability } from './observability/observability.js';
import { RedisLogTailChannel } from './observability/logs/redis-log-tail-channel.js';
import { createGatewayServer } from './server/create-gateway-server.js';
import { closeUpstreamPools } from './upstream/upstream-http.js';

/** A running gateway. */
export interface RunningGateway {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /** The MCP gateway (`/mcp`, its upstreams and admin API; see src/mcp). */
  mcp: McpGateway;
  /** Storage and governance when the gateway was started with them (see {@link StartGatewayOptions}). */
  governance?: RunningGovernance;
  /** Admin authentication (every admin surface) and the admin API (`/api/…`, with governance). */
  admin: GatewayAdmin;
  /** Metrics, traces and the request log (see src/observability). */
  observability: Observability;
  /** Stops accepting connections, lets in-flight requests finish, closes upstream pools. */
  close(): Promise<void>;
}

/** Optional parts of a gateway (a gateway without them serves inference and MCP only). */
export interface StartGatewayOptions {
  /**
   * Storage and governance (`startGovernance`), for the request path and the admin API. The
   * gateway does not close it: its owner closes it after the gateway.
   */
  governance?: RunningGovernance;
  /** The admin side (see src/admin). Default: the admin token (`admin.token` / `HEIMDALL_ADMIN_TOKEN`) only, no `/api/…` routes. */
  admin?: GatewayAdmin;
  /**
   * Metrics, traces and the request log (`startObservability`); the gateway owns it (its `close`
   * flushes the request log). Default: built from `settings.observability`, logging into the
   * governance store when there is one.
   */
  observability?: Observability;
}

/** Starts the gateway's HTTP server on `settings.host:settings.port`. */
export async function startGateway(settings: GatewaySettings, options: StartGatewayOptions = {}): Promise<RunningGateway> {
  const redis = options.governance?.redis;
  const observability =
    options.observability ??
    (await startObservability({
      settings: settings.observability,
      gateway: settings,
      ...(options.governance === undefined
        ? {}
        : { database: { database: options.governance.store.database, backend: options.governance.store.backend }, costs: options.governance.costs }),
      // Replicas sharing Redis share the live tail of the request log.
      ...(redis === undefined || settings.observability?.logging.enabled === false
        ? {}
        : { tailChannel: await RedisLogTailChannel.connect({ url: redis.url, publisher: redis.connection, keyPrefix: redis.keyPrefix }) }),
    }));
  // With governance, /mcp identifies callers by the store's virtual keys (their `mcp_tools`).
  const mcpGateway = new McpGateway(settings, options.governance === undefined ? {} : { resolver: new GovernanceMcpIdentityResolver(options.governance.service) });
  const admin: GatewayAdmin = options.admin ?? { authenticator: new AdminAuthenticator({ token: settings.mcp.adminToken }) };
  const server = createGatewayServer(settings, mcpGateway, admin, observability, options.governance?.service);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  mcpGateway.start();
  const port = (server.address() as AddressInfo).port;
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  return {
    port,
    url: `http://${host}:${port}`,
    mcp: mcpGateway,
    ...(options.governance === undefined ? {} : { governance: options.governance }),
    admin,
    observability,
    close: async () => {
      await mcpGateway.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await closeUpstreamPools();
      await observability.close(); // flushes the request log
    },
  };
}
