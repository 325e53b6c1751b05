import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { RoutingRuleInput } from '../../routing/routing-rule.js';
import type { HeimdallDatabase } from '../database-schema.js';
import { NotFoundStorageError, StorageError } from '../storage-errors.js';
import { guardedWrite, type Clock } from './repository-support.js';

/** A routing rule as stored: the engine's input plus when it was saved. */
export interface StoredRoutingRule {
  id: string;
  name: string;
  definition: RoutingRuleInput;
  /** ms since the epoch. */
  createdAt: number;
  updatedAt: number;
}

/**
 * The routing rules saved through the admin API (table `routing_rules`, migration 0004). The
 * repository stores what it is given; the caller validates a rule with the routing engine first.
 * Rules are listed in the order they were first saved, which is their definition order in the
 * engine (it breaks ties between equal priorities).
 */
export class RoutingRuleRepository {
  readonly #database: Kysely<HeimdallDatabase>;
  readonly #clock: Clock;

  constructor(database: Kysely<HeimdallDatabase>, clock: Clock) {
    this.#database = database;
    this.#clock = clock;
  }

  /** Every stored rule, oldest first. */
  async list(): Promise<StoredRoutingRule[]> {
    const rows = await this.#database.selectFrom('routing_rules').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toStoredRule);
  }

  /** The stored rule of that name, if any. */
  async find(name: string): Promise<StoredRoutingRule | undefined> {
    const row = await this.#database.selectFrom('routing_rules').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toStoredRule(row);
  }

  /** Stores a new rule. @throws ConflictStorageError when a stored rule has the same name */
  async create(definition: RoutingRuleInput): Promise<StoredRoutingRule> {
    const now = this.#clock();
    const row = { id: randomUUID(), name: definition.name, definition: JSON.stringify(definition), created_at: now, updated_at: now };
    await guardedWrite('routing rule', `a routing rule named '${definition.name}' exists already`, () => this.#database.insertInto('routing_rules').values(row).execute());
    return toStoredRule(row);
  }

  /**
   * Replaces the rule called `name` (which may be renamed by `definition.name`), keeping its place.
   * @throws NotFoundStorageError when no stored rule has that name
   * @throws ConflictStorageError when the new name belongs to another stored rule
   */
  async update(name: string, definition: RoutingRuleInput): Promise<StoredRoutingRule> {
    const now = this.#clock();
    const result = await guardedWrite('routing rule', `a routing rule named '${definition.name}' exists already`, () =>
      this.#database
        .updateTable('routing_rules')
        .set({ name: definition.name, definition: JSON.stringify(definition), updated_at: now })
        .where('name', '=', name)
        .executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('routing rule', name);
    const updated = await this.find(definition.name);
    if (updated === undefined) throw new NotFoundStorageError('routing rule', definition.name);
    return updated;
  }

  /** Deletes the rule called `name`. @returns whether a rule was deleted */
  async remove(name: string): Promise<boolean> {
    const result = await this.#database.deleteFrom('routing_rules').where('name', '=', name).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toStoredRule(row: HeimdallDatabase['routing_rules']): StoredRoutingRule {
  let definition: unknown;
  try {
    definition = JSON.parse(row.definition);
  } catch (error) {
    throw new StorageError(`routing rule '${row.name}': stored definition is not JSON`, { cause: error });
  }
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new StorageError(`routing rule '${row.name}': stored definition is not an object`);
  }
  return { id: row.id, name: row.name, definition: { ...(definition as RoutingRuleInput), name: row.name }, createdAt: Number(row.created_at), updatedAt: Number(row.updated_at) };
}
