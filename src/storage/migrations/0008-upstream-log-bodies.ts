import type { Kysely } from 'kysely';

/**
 * The request log keeps what Heimdall sent to the provider and the provider's raw answer, per
 * upstream exchange, as one JSON body in `log_bodies` referenced by `request_logs.upstream_body_hash`
 * (null when content logging is off). Never edit a migration that has shipped; add the next one.
 */

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('request_logs').addColumn('upstream_body_hash', 'text').execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  await database.schema.alterTable('request_logs').dropColumn('upstream_body_hash').execute();
}
