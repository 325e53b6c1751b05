import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Admin passwords are stored as scrypt hashes (node:crypto), a memory-hard function:
 * `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`. The parameters travel with the hash, so
 * raising them later keeps old hashes verifiable (and `needsRehash` tells when to upgrade one).
 *
 * Defaults: N = 2^15, r = 8, p = 1 (32 MiB, ~50–100 ms per hash on a server core), a 16-byte
 * random salt, a 32-byte hash: OWASP's minimum scrypt recommendation is N = 2^17 with r = 8, p = 1
 * *or* an equivalent cost trade-off; 2^15 keeps a login fast on small machines while costing an
 * attacker 32 MiB per guess. The hashing runs on libuv's thread pool (asynchronous `scrypt`), not on
 * the event loop.
 */

/** Cost parameters of a new hash. */
export interface ScryptParameters {
  /** log2 of the CPU/memory cost N. */
  logCost: number;
  blockSize: number;
  parallelization: number;
}

export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = { logCost: 15, blockSize: 8, parallelization: 1 };

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const HASH_PATTERN = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, derived) => (error === null ? resolve(derived) : reject(error)));
  });
}

function scryptOptions(parameters: ScryptParameters): ScryptOptions {
  const cost = 2 ** parameters.logCost;
  // scrypt needs 128 * N * r bytes; leave headroom over Node's 32 MiB default.
  return { N: cost, r: parameters.blockSize, p: parameters.parallelization, maxmem: 256 * cost * parameters.blockSize };
}

/** Hashes a password with a fresh random salt. */
export async function hashPassword(password: string, parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const derived = await scryptAsync(password.normalize('NFC'), salt, HASH_BYTES, scryptOptions(parameters));
  return `scrypt$${parameters.logCost}$${parameters.blockSize}$${parameters.parallelization}$${salt.toString('base64')}$${derived.toString('base64')}`;
}

function parseHash(stored: string): { parameters: ScryptParameters; salt: Buffer; hash: Buffer } | undefined {
  const match = HASH_PATTERN.exec(stored);
  if (match === null) return undefined;
  const parameters = { logCost: Number(match[1]), blockSize: Number(match[2]), parallelization: Number(match[3]) };
  if (parameters.logCost < 1 || parameters.logCost > 22 || parameters.blockSize < 1 || parameters.parallelization < 1) return undefined;
  return { parameters, salt: Buffer.from(match[4], 'base64'), hash: Buffer.from(match[5], 'base64') };
}

/**
 * Whether `password` matches a stored hash, compared in constant time. A malformed stored hash
 * never matches.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined || parsed.hash.length === 0) return false;
  const derived = await scryptAsync(password.normalize('NFC'), parsed.salt, parsed.hash.length, scryptOptions(parsed.parameters));
  return timingSafeEqual(derived, parsed.hash);
}

/** Whether a stored hash uses weaker parameters than `parameters` (re-hash at the next login). */
export function needsRehash(stored: string, parameters: ScryptParameters = DEFAULT_SCRYPT_PARAMETERS): boolean {
  const parsed = parseHash(stored);
  if (parsed === undefined) return true;
  return (
    parsed.parameters.logCost < parameters.logCost ||
    parsed.parameters.blockSize < parameters.blockSize ||
    parsed.parameters.parallelization < parameters.parallelization
  );
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the time of one verification against a throw-away hash, so that a login with an unknown
 * user name takes as long as one with a wrong password (no user-name probing by timing).
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
  return false;
}
