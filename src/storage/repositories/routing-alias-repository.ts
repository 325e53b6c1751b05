import type { Kysely } from 'kysely';
import type { HeimdallDatabase } from '../database-schema.js';
import type { Clock } from './repository-support.js';

/** A model alias as stored: the made-up name, the model reference it stands for, and when it was saved. */
export interface StoredRoutingAlias {
  name: string;
  /** A model reference: `provider/model` or a configured bare name (never another alias). */
  target: string;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/**
 * The model aliases saved through the admin API (table `routing_aliases`, migration 0005). The
 * repository stores what it is given; the caller validates the alias with the routing engine
 * first.
 */
export class RoutingAliasRepository {
  readonly #database: Kysely<HeimdallDatabase>;
  readonly #clock: Clock;

  constructor(database: Kysely<HeimdallDatabase>, clock: Clock) {
    this.#database = database;
    this.#clock = clock;
  }

  /** Every stored alias, by name. */
  async list(): Promise<StoredRoutingAlias[]> {
    const rows = await this.#database.selectFrom('routing_aliases').selectAll().orderBy('name').execute();
    return rows.map(toStoredAlias);
  }

  /** The stored alias of that name, if any. */
  async find(name: string): Promise<StoredRoutingAlias | undefined> {
    const row = await this.#database.selectFrom('routing_aliases').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toStoredAlias(row);
  }

  /** Creates the alias or replaces its target (keeping its creation time). @returns the alias as stored */
  async put(name: string, target: string): Promise<StoredRoutingAlias> {
    const now = this.#clock();
    const row = { name, target, created_at: now, updated_at: now };
    await this.#database
      .insertInto('routing_aliases')
      .values(row)
      .onConflict((conflict) => conflict.column('name').doUpdateSet({ target, updated_at: now }))
      .execute();
    const stored = await this.find(name);
    if (stored === undefined) throw new Error(`routing alias '${name}' vanished while it was saved`);
    return stored;
  }

  /** Deletes the alias called `name`. @returns whether one was deleted */
  async remove(name: string): Promise<boolean> {
    const result = await this.#database.deleteFrom('routing_aliases').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toStoredAlias(row: HeimdallDatabase['routing_aliases']): StoredRoutingAlias {
  return { name: row.name, target: row.target, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}
