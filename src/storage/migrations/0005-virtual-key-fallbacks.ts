import type { Kysely } from 'kysely';

/**
 * Routing state that belongs to governance and the admin API:
 *
 * - `virtual_keys.fallbacks`: the virtual key's fallback chain, JSON text `string[]` of model
 *   references (`provider/model` or an alias), tried after the request's and the matching rule's
 *   fallbacks; `[]` (the default, also for existing keys) = none.
 * - `routing_aliases`: model aliases saved through the admin API (`PUT /api/routing/aliases/{name}`),
 *   loaded after the config file's `aliases` like saved routing rules; `name` is unique.
 *
 * Never edit a migration that has shipped; add the next one instead.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('virtual_keys').addColumn('fallbacks', 'text', (column) => column.notNull().defaultTo('[]')).execute();
  await database.schema
    .createTable('routing_aliases')
    .addColumn('name', 'text', (column) => column.primaryKey())
    .addColumn('target', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('routing_aliases').ifExists().execute();
  await database.schema.alterTable('virtual_keys').dropColumn('fallbacks').execute();
}
