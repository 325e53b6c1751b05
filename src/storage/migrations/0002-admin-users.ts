import type { Kysely } from 'kysely';

/**
 * Admin users (dashboard and admin API logins, passwords as scrypt hashes) and their sessions
 * (only the SHA-256 of a session token is stored; deleting a user deletes its sessions). See
 * `src/admin/`. Never edit a migration that has shipped; add the next one instead.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('admin_users')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('username', 'text', (column) => column.notNull().unique())
    .addColumn('password_hash', 'text', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addColumn('last_login_at', 'bigint')
    .execute();

  await database.schema
    .createTable('admin_sessions')
    .addColumn('token_hash', 'text', (column) => column.primaryKey())
    .addColumn('user_id', 'text', (column) => column.notNull().references('admin_users.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('expires_at', 'bigint', (column) => column.notNull())
    .execute();
  await database.schema.createIndex('admin_sessions_user_id').on('admin_sessions').column('user_id').execute();
  await database.schema.createIndex('admin_sessions_expires_at').on('admin_sessions').column('expires_at').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.dropTable('admin_sessions').ifExists().execute();
  await database.schema.dropTable('admin_users').ifExists().execute();
}
