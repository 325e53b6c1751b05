import { sql, type Kysely } from 'kysely';

/**
 * The first schema: customers → teams → virtual keys, provider configs and keys, budgets, rate
 * limits, usage records (durable spend), config seed state and settings. Column types are the
 * ones SQLite and PostgreSQL share (see `database-schema.ts`). Never edit a migration that has
 * shipped; add the next one instead.
 */

const OWNER_TYPE_CHECK = sql`owner_type in ('customer', 'team', 'virtual_key')`;

export async function up(database: Kysely<unknown>): Promise<void> {
  await database.schema
    .createTable('customers')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await database.schema
    .createTable('teams')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('customer_id', 'text', (column) => column.references('customers.id'))
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await database.schema
    .createTable('virtual_keys')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('secret_hash', 'text', (column) => column.notNull().unique())
    .addColumn('key_prefix', 'text', (column) => column.notNull())
    .addColumn('team_id', 'text', (column) => column.references('teams.id'))
    .addColumn('customer_id', 'text', (column) => column.references('customers.id'))
    .addColumn('active', 'integer', (column) => column.notNull().defaultTo(1))
    .addColumn('expires_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('allowed_providers', 'text', (column) => column.notNull())
    .addColumn('allowed_models', 'text', (column) => column.notNull())
    .addColumn('allowed_provider_keys', 'text', (column) => column.notNull())
    .addColumn('log_content', 'integer', (column) => column.notNull().defaultTo(0))
    .addColumn('mcp_tools', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('virtual_keys_single_owner', sql`team_id is null or customer_id is null`)
    .execute();
  await database.schema.createIndex('virtual_keys_team_id').on('virtual_keys').column('team_id').execute();
  await database.schema.createIndex('virtual_keys_customer_id').on('virtual_keys').column('customer_id').execute();

  await database.schema
    .createTable('provider_configs')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull().unique())
    .addColumn('type', 'text', (column) => column.notNull())
    .addColumn('base_url', 'text')
    .addColumn('encrypted_headers', 'text')
    .addColumn('models', 'text', (column) => column.notNull())
    .addColumn('max_output_tokens', 'integer')
    .addColumn('connect_timeout_ms', 'integer')
    .addColumn('first_byte_timeout_ms', 'integer')
    .addColumn('idle_timeout_ms', 'integer')
    .addColumn('encrypted_options', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .execute();

  await database.schema
    .createTable('provider_keys')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('provider_id', 'text', (column) => column.notNull().references('provider_configs.id').onDelete('cascade'))
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('encrypted_value', 'text', (column) => column.notNull())
    .addColumn('weight', 'double precision', (column) => column.notNull())
    .addColumn('models', 'text', (column) => column.notNull())
    .addColumn('deployments', 'text', (column) => column.notNull())
    .addColumn('encrypted_options', 'text')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addUniqueConstraint('provider_keys_provider_name', ['provider_id', 'name'])
    .execute();

  await database.schema
    .createTable('budgets')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('owner_type', 'text', (column) => column.notNull())
    .addColumn('owner_id', 'text', (column) => column.notNull())
    .addColumn('limit_usd', 'double precision', (column) => column.notNull())
    .addColumn('period', 'text', (column) => column.notNull())
    .addColumn('alignment', 'text', (column) => column.notNull())
    .addColumn('anchor_at', 'bigint', (column) => column.notNull())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('budgets_owner_type', OWNER_TYPE_CHECK)
    .addCheckConstraint('budgets_alignment', sql`alignment in ('calendar', 'rolling')`)
    .addUniqueConstraint('budgets_owner_period', ['owner_type', 'owner_id', 'period'])
    .execute();

  await database.schema
    .createTable('rate_limits')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('owner_type', 'text', (column) => column.notNull())
    .addColumn('owner_id', 'text', (column) => column.notNull())
    .addColumn('provider', 'text', (column) => column.notNull())
    .addColumn('window_length', 'text', (column) => column.notNull())
    .addColumn('max_requests', 'integer')
    .addColumn('max_tokens', 'bigint')
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('updated_at', 'bigint', (column) => column.notNull())
    .addCheckConstraint('rate_limits_owner_type', OWNER_TYPE_CHECK)
    .addUniqueConstraint('rate_limits_owner_scope', ['owner_type', 'owner_id', 'provider', 'window_length'])
    .execute();

  await database.schema
    .createTable('usage_records')
    .addColumn('id', 'text', (column) => column.primaryKey())
    .addColumn('created_at', 'bigint', (column) => column.notNull())
    .addColumn('virtual_key_id', 'text')
    .addColumn('team_id', 'text')
    .addColumn('customer_id', 'text')
    .addColumn('provider', 'text', (column) => column.notNull())
    .addColumn('model', 'text', (column) => column.notNull())
    .addColumn('input_tokens', 'bigint', (column) => column.notNull())
    .addColumn('output_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cache_read_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cache_write_tokens', 'bigint', (column) => column.notNull())
    .addColumn('cost_micro_usd', 'bigint', (column) => column.notNull())
    .addColumn('priced', 'integer', (column) => column.notNull())
    .execute();
  // Budget windows are rebuilt from these by owner and time (see UsageRepository.sumCost).
  await database.schema.createIndex('usage_records_virtual_key_time').on('usage_records').columns(['virtual_key_id', 'created_at']).execute();
  await database.schema.createIndex('usage_records_team_time').on('usage_records').columns(['team_id', 'created_at']).execute();
  await database.schema.createIndex('usage_records_customer_time').on('usage_records').columns(['customer_id', 'created_at']).execute();
  await database.schema.createIndex('usage_records_time').on('usage_records').column('created_at').execute();

  await database.schema
    .createTable('config_seed_state')
    .addColumn('entity_type', 'text', (column) => column.notNull())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('config_hash', 'text', (column) => column.notNull())
    .addColumn('seeded_at', 'bigint', (column) => column.notNull())
    .addPrimaryKeyConstraint('config_seed_state_pk', ['entity_type', 'name'])
    .execute();

  await database.schema
    .createTable('settings')
    .addColumn('name', 'text', (column) => column.primaryKey())
    .addColumn('value', 'text', (column) => column.notNull())
    .execute();
}

export async function down(database: Kysely<unknown>): Promise<void> {
  for (const table of [
    'settings',
    'config_seed_state',
    'usage_records',
    'rate_limits',
    'budgets',
    'provider_keys',
    'provider_configs',
    'virtual_keys',
    'teams',
    'customers',
  ]) {
    await database.schema.dropTable(table).ifExists().execute();
  }
}
