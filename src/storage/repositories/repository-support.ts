import type { Kysely, Transaction } from 'kysely';
import type { HeimdallDatabase } from '../database-schema.js';
import { ConflictStorageError, isForeignKeyViolation, isUniqueViolation, StorageError } from '../storage-errors.js';

/** The current time, ms since the Unix epoch. Injectable for tests. */
export type Clock = () => number;

/** The system clock. */
export const systemClock: Clock = () => Date.now();

/** Parses a JSON `string[]` column; anything else reads as `fallback`. */
export function parseStringArray(text: string | null, fallback: string[]): string[] {
  if (text === null) return fallback;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  } catch {
    // fall through
  }
  return fallback;
}

/** Parses a JSON `Record<string, string>` column; anything else reads as `{}`. */
export function parseStringRecord(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const record: Record<string, string> = {};
      for (const [key, item] of Object.entries(value)) if (typeof item === 'string') record[key] = item;
      return record;
    }
  } catch {
    // fall through
  }
  return {};
}

/** `null` → `undefined`, for optional record fields. */
export function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** `undefined` → `null`, for nullable columns. */
export function nullable<T>(value: T | undefined): T | null {
  return value === undefined ? null : value;
}

/**
 * Runs a write, turning constraint violations into typed errors.
 * @throws ConflictStorageError on a unique or foreign-key violation (`describe` names the entity)
 * @throws StorageError for any other database failure
 */
export async function guardedWrite<T>(entity: string, describeConflict: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictStorageError(entity, describeConflict, { cause: error });
    if (isForeignKeyViolation(error)) {
      throw new ConflictStorageError(entity, 'refers to something that does not exist, or is still referred to', { cause: error });
    }
    if (error instanceof StorageError) throw error;
    throw new StorageError(`${entity}: database write failed: ${(error as Error).message}`, { cause: error });
  }
}


/**
 * Runs `work` in a transaction, or directly when `database` already is one (Kysely transactions
 * do not nest).
 */
export async function inTransaction<T>(
  database: Kysely<HeimdallDatabase>,
  work: (transaction: Kysely<HeimdallDatabase>) => Promise<T>,
): Promise<T> {
  if (database.isTransaction) return work(database);
  return database.transaction().execute((transaction: Transaction<HeimdallDatabase>) => work(transaction));
}
