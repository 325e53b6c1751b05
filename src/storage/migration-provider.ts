import type { Migration, MigrationProvider } from 'kysely';
import * as initialSchema from './migrations/0001-initial-schema.js';
import * as adminUsers from './migrations/0002-admin-users.js';
import * as requestLogs from './migrations/0003-request-logs.js';
import * as routingRules from './migrations/0004-routing-rules.js';
import * as virtualKeyFallbacks from './migrations/0005-virtual-key-fallbacks.js';
import * as mcpUpstreams from './migrations/0006-mcp-upstreams.js';
import * as gatewaySettings from './migrations/0007-gateway-settings.js';
import * as upstreamLogBodies from './migrations/0008-upstream-log-bodies.js';

/**
 * Every migration, imported statically so that they ship inside `dist/` with the rest of the code
 * (Kysely's `FileMigrationProvider` reads a folder at run time, which breaks once bundled or
 * installed elsewhere). Kysely runs them in the alphabetical order of their names; add new ones
 * with the next number.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial-schema': initialSchema,
  '0002-admin-users': adminUsers,
  '0003-request-logs': requestLogs,
  '0004-routing-rules': routingRules,
  '0005-virtual-key-fallbacks': virtualKeyFallbacks,
  '0006-mcp-upstreams': mcpUpstreams,
  '0007-gateway-settings': gatewaySettings,
  '0008-upstream-log-bodies': upstreamLogBodies,
};

/** A Kysely `MigrationProvider` over the statically imported migrations. */
export const staticMigrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
