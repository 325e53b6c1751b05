import type { Kysely } from 'kysely';
import type { HeimdallDatabase } from './database-schema.js';
import { ENCRYPTION_KEY_VARIABLE, SecretCipher } from './encryption.js';
import { openDatabase, type DatabaseBackend, type DatabaseHandle } from './open-database.js';
import { BudgetRepository, RateLimitRepository } from './repositories/limit-repositories.js';
import { CustomerRepository, TeamRepository } from './repositories/organization-repositories.js';
import { ProviderRepository } from './repositories/provider-repository.js';
import { inTransaction, systemClock, type Clock } from './repositories/repository-support.js';
import { SeedStateRepository, SettingsRepository, UsageRepository } from './repositories/usage-repository.js';
import { VirtualKeyRepository } from './repositories/virtual-key-repository.js';
import { EncryptionStorageError } from './storage-errors.js';

/** Every repository, bound to one database connection or transaction. */
export interface StoreRepositories {
  customers: CustomerRepository;
  teams: TeamRepository;
  virtualKeys: VirtualKeyRepository;
  providers: ProviderRepository;
  budgets: BudgetRepository;
  rateLimits: RateLimitRepository;
  usage: UsageRepository;
  seedState: SeedStateRepository;
  settings: SettingsRepository;
}

/**
 * Heimdall's persistent store: the repositories over SQLite or PostgreSQL (same code on both), the
 * cipher for secrets at rest, and transactions across repositories.
 */
export interface HeimdallStore extends StoreRepositories {
  backend: DatabaseBackend;
  /** Where the data lives, safe to print (no password). */
  location: string;
  cipher: SecretCipher;
  /** The Kysely instance, for code that needs a query the repositories do not offer. */
  database: Kysely<HeimdallDatabase>;
  /**
   * Runs `work` in one transaction; it commits when `work` resolves and rolls back when it rejects.
   * `database` is the transaction itself, for queries the repositories do not offer.
   */
  transaction<T>(work: (repositories: StoreRepositories, database: Kysely<HeimdallDatabase>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The `settings` row holding the encryption key check value. */
export const ENCRYPTION_KEY_CHECK_SETTING = 'encryption_key_check';

/** What {@link openHeimdallStore} needs. */
export interface OpenStoreOptions {
  /** Database URL (`postgres://…`, `sqlite:<path>`); absent for `<appDirectory>/heimdall.db`. */
  url?: string;
  appDirectory: string;
  /** The 32-byte master key (see `loadOrCreateEncryptionKey`). */
  encryptionKey: Buffer;
  clock?: Clock;
  postgresPoolSize?: number;
}

/** Repositories bound to `database` (a connection pool or a transaction). */
export function createRepositories(database: Kysely<HeimdallDatabase>, cipher: SecretCipher, clock: Clock): StoreRepositories {
  return {
    customers: new CustomerRepository(database, clock),
    teams: new TeamRepository(database, clock),
    virtualKeys: new VirtualKeyRepository(database, clock),
    providers: new ProviderRepository(database, clock, cipher),
    budgets: new BudgetRepository(database, clock),
    rateLimits: new RateLimitRepository(database, clock),
    usage: new UsageRepository(database),
    seedState: new SeedStateRepository(database),
    settings: new SettingsRepository(database),
  };
}

/**
 * Opens (and migrates) the database, and checks that the master key is the one the database was
 * first used with (a check value, not the key, is stored in `settings` on first start).
 *
 * @throws StorageError when the database cannot be opened or migrated
 * @throws EncryptionStorageError when the master key differs from the one the database was used with
 */
export async function openHeimdallStore(options: OpenStoreOptions): Promise<HeimdallStore> {
  const clock = options.clock ?? systemClock;
  const cipher = new SecretCipher(options.encryptionKey);
  const handle: DatabaseHandle = await openDatabase({ url: options.url, appDirectory: options.appDirectory, postgresPoolSize: options.postgresPoolSize });
  const repositories = createRepositories(handle.database, cipher, clock);
  try {
    const stored = await repositories.settings.setIfAbsent(ENCRYPTION_KEY_CHECK_SETTING, cipher.keyCheck());
    if (stored !== cipher.keyCheck()) {
      throw new EncryptionStorageError(
        `the encryption key in use (${ENCRYPTION_KEY_VARIABLE}, or encryption.key in the app directory) is not the one the database at ${handle.location} was encrypted with; ` +
          `start with the original key (every replica sharing a database needs the same ${ENCRYPTION_KEY_VARIABLE})`,
      );
    }
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return {
    ...repositories,
    backend: handle.backend,
    location: handle.location,
    cipher,
    database: handle.database,
    transaction: (work) => inTransaction(handle.database, (transaction) => work(createRepositories(transaction, cipher, clock), transaction)),
    close: () => handle.close(),
  };
}
