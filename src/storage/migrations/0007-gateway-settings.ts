import type { Kysely } from 'kysely';

/**
 * Gateway settings changed at run time through the admin API (`/api/settings`; see
 * `src/admin/runtime-settings.ts`): CORS origins and headers, auth enforcement on inference,
 * request logging and retention. One row per setting that overrides the config file; `value` is
 * the setting's JSON text. A setting without a row takes the config's value. Never holds secrets.
 * Never edit a migration that has shipped; add the next one instead.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('gateway_settings')
    .addColumn('name', 'text', (column) => column.primaryKey())
    .addColumn('value', 'text', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('gateway_settings').ifExists().execute();
}
