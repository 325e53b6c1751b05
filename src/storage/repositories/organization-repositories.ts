import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { CustomerTable, HeimdallDatabase, OwnerType, TeamTable } from '../database-schema.js';
import type { CustomerRecord, TeamRecord } from '../records.js';
import { ConflictStorageError, NotFoundStorageError } from '../storage-errors.js';
import { guardedWrite, inTransaction, nullable, optional, type Clock } from './repository-support.js';

function toCustomer(row: Selectable<CustomerTable>): CustomerRecord {
  return { id: row.id, name: row.name, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toTeam(row: Selectable<TeamTable>): TeamRecord {
  return { id: row.id, name: row.name, customerId: optional(row.customer_id), createdAt: row.created_at, updatedAt: row.updated_at };
}

/** Deletes the budgets and rate limits attached to an owner (there is no foreign key to cascade them). */
export async function deleteOwnedLimits(database: Kysely<HeimdallDatabase>, ownerType: OwnerType, ownerId: string): Promise<void> {
  await database.deleteFrom('budgets').where('owner_type', '=', ownerType).where('owner_id', '=', ownerId).execute();
  await database.deleteFrom('rate_limits').where('owner_type', '=', ownerType).where('owner_id', '=', ownerId).execute();
}

/** Customers: the top of the customer → team → virtual key chain. Names are unique. */
export class CustomerRepository {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock,
  ) {}

  /** @throws ConflictStorageError when the name is taken */
  async create(input: { name: string }): Promise<CustomerRecord> {
    const now = this.clock();
    const row = { id: randomUUID(), name: input.name, created_at: now, updated_at: now };
    await guardedWrite('customer', `name '${input.name}' is taken`, () => this.database.insertInto('customers').values(row).execute());
    return toCustomer(row);
  }

  async get(id: string): Promise<CustomerRecord | undefined> {
    const row = await this.database.selectFrom('customers').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toCustomer(row);
  }

  async findByName(name: string): Promise<CustomerRecord | undefined> {
    const row = await this.database.selectFrom('customers').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toCustomer(row);
  }

  /** Every customer, by name. */
  async list(): Promise<CustomerRecord[]> {
    const rows = await this.database.selectFrom('customers').selectAll().orderBy('name').execute();
    return rows.map(toCustomer);
  }

  /**
   * @throws NotFoundStorageError when there is no such customer
   * @throws ConflictStorageError when the new name is taken
   */
  async update(id: string, patch: { name?: string }): Promise<CustomerRecord> {
    const now = this.clock();
    const result = await guardedWrite('customer', `name '${patch.name ?? ''}' is taken`, () =>
      this.database
        .updateTable('customers')
        .set({ ...(patch.name === undefined ? {} : { name: patch.name }), updated_at: now })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('customer', id);
    return (await this.get(id)) as CustomerRecord;
  }

  /**
   * Deletes a customer and its budgets and rate limits.
   * @throws ConflictStorageError while teams or virtual keys still belong to it
   * @throws NotFoundStorageError when there is no such customer
   */
  async delete(id: string): Promise<void> {
    await inTransaction(this.database, async (transaction) => {
      const teams = await transaction.selectFrom('teams').select('id').where('customer_id', '=', id).execute();
      const keys = await transaction.selectFrom('virtual_keys').select('id').where('customer_id', '=', id).execute();
      if (teams.length > 0 || keys.length > 0) {
        throw new ConflictStorageError('customer', `still has ${teams.length} team(s) and ${keys.length} virtual key(s); move or delete them first`);
      }
      await deleteOwnedLimits(transaction, 'customer', id);
      const result = await transaction.deleteFrom('customers').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFoundStorageError('customer', id);
    });
  }
}

/** Teams: belong to a customer or to none. Names are unique. */
export class TeamRepository {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock,
  ) {}

  /**
   * @throws ConflictStorageError when the name is taken or the customer does not exist
   */
  async create(input: { name: string; customerId?: string }): Promise<TeamRecord> {
    const now = this.clock();
    const row = { id: randomUUID(), name: input.name, customer_id: nullable(input.customerId), created_at: now, updated_at: now };
    await guardedWrite('team', `name '${input.name}' is taken`, () => this.database.insertInto('teams').values(row).execute());
    return toTeam(row);
  }

  async get(id: string): Promise<TeamRecord | undefined> {
    const row = await this.database.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toTeam(row);
  }

  async findByName(name: string): Promise<TeamRecord | undefined> {
    const row = await this.database.selectFrom('teams').selectAll().where('name', '=', name).executeTakeFirst();
    return row === undefined ? undefined : toTeam(row);
  }

  /** Every team (of one customer when `customerId` is given), by name. */
  async list(filter: { customerId?: string } = {}): Promise<TeamRecord[]> {
    let query = this.database.selectFrom('teams').selectAll();
    if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId);
    const rows = await query.orderBy('name').execute();
    return rows.map(toTeam);
  }

  /**
   * `customerId: null` detaches the team from its customer.
   * @throws NotFoundStorageError when there is no such team
   * @throws ConflictStorageError when the new name is taken or the customer does not exist
   */
  async update(id: string, patch: { name?: string; customerId?: string | null }): Promise<TeamRecord> {
    const now = this.clock();
    const result = await guardedWrite('team', `name '${patch.name ?? ''}' is taken`, () =>
      this.database
        .updateTable('teams')
        .set({
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.customerId === undefined ? {} : { customer_id: patch.customerId }),
          updated_at: now,
        })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('team', id);
    return (await this.get(id)) as TeamRecord;
  }

  /**
   * Deletes a team and its budgets and rate limits.
   * @throws ConflictStorageError while virtual keys still belong to it
   * @throws NotFoundStorageError when there is no such team
   */
  async delete(id: string): Promise<void> {
    await inTransaction(this.database, async (transaction) => {
      const keys = await transaction.selectFrom('virtual_keys').select('id').where('team_id', '=', id).execute();
      if (keys.length > 0) throw new ConflictStorageError('team', `still has ${keys.length} virtual key(s); move or delete them first`);
      await deleteOwnedLimits(transaction, 'team', id);
      const result = await transaction.deleteFrom('teams').where('id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw new NotFoundStorageError('team', id);
    });
  }
}
