/**
 * Typed storage failures. Messages name the entity and its (non-secret) name, never a secret value,
 * a ciphertext or a connection URL with its password.
 */

/** Base class of every failure the storage layer reports. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
  }
}

/** The entity asked for does not exist. */
export class NotFoundStorageError extends StorageError {
  readonly entity: string;
  constructor(entity: string, reference: string) {
    super(`${entity} '${reference}' does not exist`);
    this.name = 'NotFoundStorageError';
    this.entity = entity;
  }
}

/** A write would break a uniqueness or reference rule (duplicate name, owner still in use, …). */
export class ConflictStorageError extends StorageError {
  readonly entity: string;
  constructor(entity: string, message: string, options?: { cause?: unknown }) {
    super(`${entity}: ${message}`, options);
    this.name = 'ConflictStorageError';
    this.entity = entity;
  }
}

/** A value that cannot be stored (bad period, bad window, negative limit, …). */
export class InvalidValueStorageError extends StorageError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidValueStorageError';
  }
}

/**
 * Encryption-key problems: a malformed `HEIMDALL_ENCRYPTION_KEY`, a key that does not match the
 * one the database was encrypted with, or a ciphertext that fails authentication.
 */
export class EncryptionStorageError extends StorageError {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionStorageError';
  }
}

/** Whether a database error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/** Whether a database error is a foreign-key violation (SQLite or PostgreSQL). */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = databaseErrorCode(error);
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

function databaseErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
