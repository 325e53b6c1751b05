import type { Kysely } from 'kysely';
import type { HeimdallDatabase } from '../database-schema.js';
import { StorageError } from '../storage-errors.js';
import type { Clock } from './repository-support.js';

/**
 * Gateway settings saved through the admin API (table `gateway_settings`, migration 0007): one
 * JSON value per setting name. The repository stores what it is given; `src/admin/runtime-settings.ts`
 * validates and applies them.
 */
export class GatewaySettingsRepository {
  readonly #database: Kysely<HeimdallDatabase>;
  readonly #clock: Clock;

  constructor(database: Kysely<HeimdallDatabase>, clock: Clock) {
    this.#database = database;
    this.#clock = clock;
  }

  /** Every saved setting by name. @throws StorageError when a stored value is not JSON */
  async list(): Promise<Record<string, unknown>> {
    const rows = await this.#database.selectFrom('gateway_settings').selectAll().orderBy('name').execute();
    const settings: Record<string, unknown> = {};
    for (const row of rows) {
      try {
        settings[row.name] = JSON.parse(row.value) as unknown;
      } catch (error) {
        throw new StorageError(`gateway setting '${row.name}': stored value is not JSON`, { cause: error });
      }
    }
    return settings;
  }

  /** Saves `changes` in one transaction: a value is stored (replacing the saved one), `null` deletes the saved one. */
  async apply(changes: Readonly<Record<string, unknown>>): Promise<void> {
    const now = this.#clock();
    await this.#database.transaction().execute(async (transaction) => {
      for (const [name, value] of Object.entries(changes)) {
        if (value === undefined) continue;
        if (value === null) {
          await transaction.deleteFrom('gateway_settings').where('name', '=', name).execute();
          continue;
        }
        const text = JSON.stringify(value);
        await transaction
          .insertInto('gateway_settings')
          .values({ name, value: text, updated_at: now })
          .onConflict((conflict) => conflict.column('name').doUpdateSet({ value: text, updated_at: now }))
          .execute();
      }
    });
  }
}
