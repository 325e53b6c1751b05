import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { AdminUserTable, HeimdallDatabase } from '../storage/database-schema.js';
import { guardedWrite, optional, systemClock, type Clock } from '../storage/repositories/repository-support.js';
import { InvalidValueStorageError, NotFoundStorageError } from '../storage/storage-errors.js';
import { ADMIN_USERNAME_PATTERN, MINIMUM_ADMIN_PASSWORD_LENGTH } from './admin-config-schema.js';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from './password-hashing.js';

/** An admin user, without its password hash. Times in ms since the epoch. */
export interface AdminUserRecord {
  id: string;
  username: string;
  createdAt: number;
  updatedAt: number;
  lastLoginAt?: number;
}

/** A session just opened: `token` goes into the cookie and is not stored (only its SHA-256). */
export interface OpenedAdminSession {
  token: string;
  user: AdminUserRecord;
  expiresAt: number;
}

/** A live session found by its token. */
export interface AdminSession {
  /** SHA-256 of the token (the session's id; not a secret by itself). */
  tokenHash: string;
  user: AdminUserRecord;
  createdAt: number;
  expiresAt: number;
}

const usernamePattern = new RegExp(ADMIN_USERNAME_PATTERN);

function toUser(row: Selectable<AdminUserTable>): AdminUserRecord {
  return { id: row.id, username: row.username, createdAt: row.created_at, updatedAt: row.updated_at, lastLoginAt: optional(row.last_login_at) };
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * @throws InvalidValueStorageError naming what is wrong with the user name
 */
export function checkAdminUsername(username: string): void {
  if (!usernamePattern.test(username)) {
    throw new InvalidValueStorageError('username: 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
  }
}

/**
 * @throws InvalidValueStorageError when the password is too short
 */
export function checkAdminPassword(password: string): void {
  if ([...password].length < MINIMUM_ADMIN_PASSWORD_LENGTH) {
    throw new InvalidValueStorageError(`password: at least ${MINIMUM_ADMIN_PASSWORD_LENGTH} characters`);
  }
}

/**
 * Admin users and their login sessions, in the governance store's database (tables `admin_users`
 * and `admin_sessions`, migration 0002). Passwords are scrypt hashes; sessions are random 32-byte
 * tokens of which only the SHA-256 is stored, so a database dump opens no session. Sessions live in
 * the database so that every replica sharing it accepts them.
 */
export class AdminUserStore {
  constructor(
    private readonly database: Kysely<HeimdallDatabase>,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * @throws InvalidValueStorageError for a bad user name or a short password
   * @throws ConflictStorageError when the user name is taken
   */
  async createUser(input: { username: string; password: string }): Promise<AdminUserRecord> {
    checkAdminUsername(input.username);
    checkAdminPassword(input.password);
    const now = this.clock();
    const row: Selectable<AdminUserTable> = {
      id: randomUUID(),
      username: input.username,
      password_hash: await hashPassword(input.password),
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    await guardedWrite('admin user', `username '${input.username}' is taken`, () => this.database.insertInto('admin_users').values(row).execute());
    return toUser(row);
  }

  async getUser(id: string): Promise<AdminUserRecord | undefined> {
    const row = await this.database.selectFrom('admin_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  async findByUsername(username: string): Promise<AdminUserRecord | undefined> {
    const row = await this.database.selectFrom('admin_users').selectAll().where('username', '=', username).executeTakeFirst();
    return row === undefined ? undefined : toUser(row);
  }

  /** Every admin user, by user name. */
  async listUsers(): Promise<AdminUserRecord[]> {
    const rows = await this.database.selectFrom('admin_users').selectAll().orderBy('username').execute();
    return rows.map(toUser);
  }

  /** Whether at least one admin user exists. */
  async hasUsers(): Promise<boolean> {
    const row = await this.database.selectFrom('admin_users').select('id').limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Sets a new password and ends every session of the user.
   * @throws InvalidValueStorageError when the password is too short
   * @throws NotFoundStorageError when there is no such user
   */
  async setPassword(id: string, password: string): Promise<AdminUserRecord> {
    checkAdminPassword(password);
    const passwordHash = await hashPassword(password);
    const result = await this.database
      .updateTable('admin_users')
      .set({ password_hash: passwordHash, updated_at: this.clock() })
      .where('id', '=', id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundStorageError('admin user', id);
    await this.database.deleteFrom('admin_sessions').where('user_id', '=', id).execute();
    return (await this.getUser(id)) as AdminUserRecord;
  }

  /**
   * Deletes a user and its sessions.
   * @throws NotFoundStorageError when there is no such user
   */
  async deleteUser(id: string): Promise<void> {
    await this.database.deleteFrom('admin_sessions').where('user_id', '=', id).execute();
    const result = await this.database.deleteFrom('admin_users').where('id', '=', id).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundStorageError('admin user', id);
  }

  /**
   * Checks a user name and password. An unknown user name costs the same time as a wrong
   * password. A hash with outdated parameters is upgraded on success.
   * @returns the user, or undefined when the pair does not match
   */
  async verifyLogin(username: string, password: string): Promise<AdminUserRecord | undefined> {
    const row = await this.database.selectFrom('admin_users').selectAll().where('username', '=', username).executeTakeFirst();
    if (row === undefined) return verifyAgainstDummy(password).then(() => undefined);
    if (!(await verifyPassword(password, row.password_hash))) return undefined;
    const now = this.clock();
    const changes = needsRehash(row.password_hash) ? { password_hash: await hashPassword(password) } : {};
    await this.database.updateTable('admin_users').set({ ...changes, last_login_at: now }).where('id', '=', row.id).execute();
    return { ...toUser(row), lastLoginAt: now };
  }

  /** Opens a session for a user; expired sessions of every user are swept on the way. */
  async openSession(user: AdminUserRecord, ttlMs: number): Promise<OpenedAdminSession> {
    const now = this.clock();
    await this.database.deleteFrom('admin_sessions').where('expires_at', '<=', now).execute();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + ttlMs;
    await this.database.insertInto('admin_sessions').values({ token_hash: hashToken(token), user_id: user.id, created_at: now, expires_at: expiresAt }).execute();
    return { token, user, expiresAt };
  }

  /** The live session a token opens, if any (an expired one is deleted). */
  async findSession(token: string): Promise<AdminSession | undefined> {
    if (token === '' || token.length > 256) return undefined;
    const tokenHash = hashToken(token);
    const row = await this.database
      .selectFrom('admin_sessions')
      .innerJoin('admin_users', 'admin_users.id', 'admin_sessions.user_id')
      .select([
        'admin_sessions.token_hash as token_hash',
        'admin_sessions.created_at as session_created_at',
        'admin_sessions.expires_at as expires_at',
        'admin_users.id as id',
        'admin_users.username as username',
        'admin_users.password_hash as password_hash',
        'admin_users.created_at as created_at',
        'admin_users.updated_at as updated_at',
        'admin_users.last_login_at as last_login_at',
      ])
      .where('admin_sessions.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.expires_at <= this.clock()) {
      await this.database.deleteFrom('admin_sessions').where('token_hash', '=', tokenHash).execute();
      return undefined;
    }
    return { tokenHash, user: toUser(row), createdAt: row.session_created_at, expiresAt: row.expires_at };
  }

  /** Ends the session a token opens (nothing when there is none). */
  async closeSession(token: string): Promise<void> {
    await this.database.deleteFrom('admin_sessions').where('token_hash', '=', hashToken(token)).execute();
  }
}
