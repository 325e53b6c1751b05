import type { Kysely } from 'kysely';

/**
 * Routing rules saved through the admin API (`/api/routing/rules`; see `src/routing/`). The rule
 * itself is JSON text in `definition` (the engine's input shape: expression, scope, priority,
 * targets, fallbacks, enabled), so the rule format can grow without a migration; `name` is unique.
 * Rules from the config file are not stored. Never edit a migration that has shipped; add the next
 * one instead.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('routing_rules')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('definition', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();
  await database.schema.createIndex('routing_rules_created_at').on('routing_rules').column('created_at').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('routing_rules').ifExists().execute();
}
