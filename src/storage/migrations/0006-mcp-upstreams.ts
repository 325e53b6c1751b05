import type { Kysely } from 'kysely';

/**
 * The MCP gateway's stored state (see `src/mcp/`):
 *
 * - `mcp_upstreams`: upstream MCP servers added through the admin API (`/api/mcp/clients`), so
 *   they survive a restart. `definition` is the config entry as JSON text (the shape of
 *   `mcp.servers.<name>`) without its secrets; `encrypted_secrets` holds those (static header
 *   values, stdio environment values, OAuth client secrets) as one AES-256-GCM value. Upstreams
 *   from the config file are not stored.
 * - `mcp_credentials`: what Heimdall holds per upstream and caller (`identity`, e.g.
 *   `virtual-key:<id>`): per-user headers, OAuth tokens, and per upstream (`identity` empty) the
 *   OAuth client registration; `kind` says which. The value is always encrypted.
 *
 * Never edit a migration that has shipped; add the next one instead.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('mcp_upstreams')
    .addColumn('name', 'text', (column) => column.primaryKey())
    .addColumn('definition', 'text', (column) => column.notNull())
    .addColumn('encrypted_secrets', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await database.schema
    .createTable('mcp_credentials')
    .addColumn('upstream', 'text', (column) => column.notNull())
    .addColumn('identity', 'text', (column) => column.notNull())
    .addColumn('kind', 'text', (column) => column.notNull())
    .addColumn('encrypted_value', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('mcp_credentials_pk', ['upstream', 'identity', 'kind'])
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('mcp_credentials').ifExists().execute();
  await database.schema.dropTable('mcp_upstreams').ifExists().execute();
}
