import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EncryptionStorageError } from './storage-errors.js';

/**
 * Encryption at rest of provider secrets: AES-256-GCM (node:crypto) under one 32-byte master key.
 *
 * Stored format, all parts base64 (standard alphabet):
 *
 *     v1:<iv, 12 random bytes>:<auth tag, 16 bytes>:<ciphertext>
 *
 * Every value gets a fresh random IV. The caller passes a `context` string (e.g.
 * `provider-key:<id>`) that is authenticated as additional data but not stored, so a ciphertext
 * copied onto another row fails to decrypt. The `v1` prefix leaves room for a later format or
 * key rotation.
 *
 * The master key comes from `HEIMDALL_ENCRYPTION_KEY` (32 bytes written as 64 hex characters, or
 * as base64 / base64url, 43-44 characters), else from `<appDir>/encryption.key` (base64, created
 * with mode 0600 on first start).
 */

/** Length of the master key, bytes (AES-256). */
export const ENCRYPTION_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT_VERSION = 'v1';

/** The environment variable holding the master key. */
export const ENCRYPTION_KEY_VARIABLE = 'HEIMDALL_ENCRYPTION_KEY';
/** The key file's name inside the app directory. */
export const ENCRYPTION_KEY_FILE_NAME = 'encryption.key';

/**
 * Parses a master key written as 64 hex characters or as base64 / base64url (padding optional).
 * @param source where the text came from, for the error message (never the text itself)
 * @throws EncryptionStorageError when the text is neither or does not hold exactly 32 bytes
 */
export function parseEncryptionKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64');
    if (decoded.length === ENCRYPTION_KEY_BYTES) return decoded;
  }
  throw new EncryptionStorageError(
    `${source}: expected a 32-byte key written as 64 hex characters or as base64 (44 characters); got ${trimmed.length} characters that are not one. Generate one with: openssl rand -base64 32`,
  );
}

/** Where the master key in use came from. */
export type EncryptionKeySource = 'environment' | 'file' | 'generated';

/** The master key and where it came from. */
export interface LoadedEncryptionKey {
  key: Buffer;
  source: EncryptionKeySource;
  /** The key file, when the key came from or was written to one. */
  path?: string;
}

/**
 * Loads the master key: `HEIMDALL_ENCRYPTION_KEY` when set, else `<appDirectory>/encryption.key`,
 * else generates a random key into that file (mode 0600, created exclusively so that two processes
 * starting together end up with the same key).
 * @throws EncryptionStorageError when the variable or the file holds no valid key
 */
export function loadOrCreateEncryptionKey(appDirectory: string, environment: NodeJS.ProcessEnv = process.env): LoadedEncryptionKey {
  const fromEnvironment = environment[ENCRYPTION_KEY_VARIABLE];
  if (fromEnvironment !== undefined && fromEnvironment.trim() !== '') {
    return { key: parseEncryptionKey(fromEnvironment, ENCRYPTION_KEY_VARIABLE), source: 'environment' };
  }
  const path = join(appDirectory, ENCRYPTION_KEY_FILE_NAME);
  const generated = randomBytes(ENCRYPTION_KEY_BYTES);
  try {
    writeFileSync(path, `${generated.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return { key: generated, source: 'generated', path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // The file existed: keep it private even if someone loosened its mode.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { key: parseEncryptionKey(readFileSync(path, 'utf8'), path), source: 'file', path };
}

/**
 * Encrypts and decrypts secrets with AES-256-GCM under one master key. Holds the key; never
 * exposes it.
 */
export class SecretCipher {
  readonly #key: Buffer;

  /** @throws EncryptionStorageError when `key` is not 32 bytes */
  constructor(key: Buffer) {
    if (key.length !== ENCRYPTION_KEY_BYTES) {
      throw new EncryptionStorageError(`encryption key must be ${ENCRYPTION_KEY_BYTES} bytes, got ${key.length}`);
    }
    this.#key = Buffer.from(key);
  }

  /**
   * Encrypts `plaintext` bound to `context` (authenticated, not stored).
   * @returns `v1:<iv>:<tag>:<ciphertext>`, base64 parts
   */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT_VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
  }

  /**
   * Decrypts a value made by {@link encrypt} with the same `context`.
   * @throws EncryptionStorageError when the format is unknown, the value was altered, it belongs to
   *   another context, or it was encrypted under another key (the message says which context, never
   *   the value)
   */
  decrypt(encoded: string, context: string): string {
    const parts = encoded.split(':');
    if (parts.length !== 4 || parts[0] !== FORMAT_VERSION) {
      throw new EncryptionStorageError(`${context}: not an encrypted value in a known format`);
    }
    const iv = Buffer.from(parts[1], 'base64');
    const tag = Buffer.from(parts[2], 'base64');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
      throw new EncryptionStorageError(`${context}: malformed encrypted value`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(Buffer.from(parts[3], 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new EncryptionStorageError(
        `${context}: the encrypted value failed authentication (altered, or encrypted under another ${ENCRYPTION_KEY_VARIABLE})`,
      );
    }
  }

  /**
   * HMAC-SHA256 of `data` under a key derived from the master key, hex. Used for fingerprints
   * that must not reveal the data (config seed hashes hold resolved secrets).
   */
  fingerprint(data: string): string {
    return createHmac('sha256', this.#key).update('heimdall-fingerprint\0').update(data, 'utf8').digest('hex');
  }

  /**
   * A check value of the master key (not the key): stored in the database on first start, so a
   * later start with another key fails clearly instead of failing on every provider key.
   */
  keyCheck(): string {
    return createHmac('sha256', this.#key).update('heimdall-encryption-key-check').digest('hex').slice(0, 32);
  }
}
