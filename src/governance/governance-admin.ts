import type { ChangeNotifier, GovernanceChange } from '../storage/counters/change-notifier.js';
import type { HeimdallStore } from '../storage/heimdall-store.js';
import type {
  BudgetAlignment,
  BudgetPeriod,
  BudgetRecord,
  CustomerRecord,
  OwnerReference,
  ProviderKeyRecord,
  ProviderRecord,
  RateLimitRecord,
  TeamRecord,
  VirtualKeyRecord,
} from '../storage/records.js';
import type { NewBudget, NewRateLimit } from '../storage/repositories/limit-repositories.js';
import type { NewProvider, NewProviderKey, ProviderKeyPatch, ProviderPatch } from '../storage/repositories/provider-repository.js';
import type { UsageTotals } from '../storage/repositories/usage-repository.js';
import type { VirtualKeyPatch } from '../storage/repositories/virtual-key-repository.js';
import { NotFoundStorageError } from '../storage/storage-errors.js';
import type { BudgetStatus, GovernanceService } from './governance-service.js';
import { generateVirtualKeySecret, hashVirtualKeySecret, virtualKeyDisplayPrefix } from './virtual-key-secret.js';

/** What a new virtual key is given; the secret is generated. */
export interface NewVirtualKeyInput {
  name: string;
  /** At most one of `teamId` and `customerId`. */
  teamId?: string;
  customerId?: string;
  active?: boolean;
  /** ms since epoch. */
  expiresAt?: number;
  allowedProviders?: string[];
  allowedModels?: string[];
  allowedProviderKeys?: string[];
  logContent?: boolean;
  mcpTools?: string[];
  /** Fallback chain (model references, validated by the caller). Default `[]`. */
  fallbacks?: string[];
}

/** A key and its plaintext secret: returned once, at creation or rotation. */
export interface IssuedVirtualKey {
  virtualKey: VirtualKeyRecord;
  /** `hk-…`. Not stored; show it to the user once. */
  secret: string;
}

/**
 * The write side of governance, for the admin API and the dashboard: every change goes to the
 * store and is published, so caches of every replica drop what it affects (a revoked key stops
 * working on this replica at once, on others within the pub/sub delay with Redis, or within
 * `authCacheTtlMs` without). Results are records; turn them into responses with `public-views.ts`.
 *
 * Errors are the store's typed errors: `NotFoundStorageError` (→ 404), `ConflictStorageError`
 * (→ 409), `InvalidValueStorageError` (→ 400).
 */
export class GovernanceAdmin {
  constructor(
    private readonly store: HeimdallStore,
    private readonly notifier: ChangeNotifier,
    private readonly service: GovernanceService,
  ) {}

  // Customers and teams

  async createCustomer(input: { name: string }): Promise<CustomerRecord> {
    return this.store.customers.create(input);
  }

  listCustomers(): Promise<CustomerRecord[]> {
    return this.store.customers.list();
  }

  async updateCustomer(id: string, patch: { name?: string }): Promise<CustomerRecord> {
    return this.#changed(await this.store.customers.update(id, patch), { kind: 'all' });
  }

  async deleteCustomer(id: string): Promise<void> {
    await this.store.customers.delete(id);
    await this.#publish({ kind: 'all' });
  }

  async createTeam(input: { name: string; customerId?: string }): Promise<TeamRecord> {
    return this.store.teams.create(input);
  }

  listTeams(filter: { customerId?: string } = {}): Promise<TeamRecord[]> {
    return this.store.teams.list(filter);
  }

  async updateTeam(id: string, patch: { name?: string; customerId?: string | null }): Promise<TeamRecord> {
    return this.#changed(await this.store.teams.update(id, patch), { kind: 'all' });
  }

  async deleteTeam(id: string): Promise<void> {
    await this.store.teams.delete(id);
    await this.#publish({ kind: 'all' });
  }

  // Virtual keys

  /** Creates a key with a fresh `hk-…` secret; the secret is in the result and nowhere else. */
  async createVirtualKey(input: NewVirtualKeyInput): Promise<IssuedVirtualKey> {
    const secret = generateVirtualKeySecret();
    const virtualKey = await this.store.virtualKeys.create({ ...input, secretHash: hashVirtualKeySecret(secret), keyPrefix: virtualKeyDisplayPrefix(secret) });
    // A lookup of this secret may have been cached as unknown.
    await this.#publish({ kind: 'all' });
    return { virtualKey, secret };
  }

  listVirtualKeys(filter: { teamId?: string; customerId?: string } = {}): Promise<VirtualKeyRecord[]> {
    return this.store.virtualKeys.list(filter);
  }

  getVirtualKey(id: string): Promise<VirtualKeyRecord | undefined> {
    return this.store.virtualKeys.get(id);
  }

  async updateVirtualKey(id: string, patch: VirtualKeyPatch): Promise<VirtualKeyRecord> {
    return this.#changed(await this.store.virtualKeys.update(id, patch), { kind: 'virtual-key', virtualKeyId: id });
  }

  /** Replaces the key's secret; the old one stops working. */
  async rotateVirtualKey(id: string): Promise<IssuedVirtualKey> {
    const secret = generateVirtualKeySecret();
    const virtualKey = await this.store.virtualKeys.replaceSecret(id, hashVirtualKeySecret(secret), virtualKeyDisplayPrefix(secret));
    await this.#publish({ kind: 'virtual-key', virtualKeyId: id });
    return { virtualKey, secret };
  }

  /** Revokes a key for good; requests with it are refused from now on (401 "was revoked"). */
  async revokeVirtualKey(id: string): Promise<VirtualKeyRecord> {
    return this.#changed(await this.store.virtualKeys.revoke(id), { kind: 'virtual-key', virtualKeyId: id });
  }

  async deleteVirtualKey(id: string): Promise<void> {
    await this.store.virtualKeys.delete(id);
    await this.#publish({ kind: 'virtual-key', virtualKeyId: id });
  }

  // Budgets and rate limits

  async createBudget(input: NewBudget): Promise<BudgetRecord> {
    return this.#changed(await this.store.budgets.create(input), { kind: 'all' });
  }

  listBudgets(owners?: readonly OwnerReference[]): Promise<BudgetRecord[]> {
    return owners === undefined ? this.store.budgets.list() : this.store.budgets.listForOwners(owners);
  }

  async updateBudget(id: string, patch: { limitUsd?: number; period?: BudgetPeriod; alignment?: BudgetAlignment }): Promise<BudgetRecord> {
    return this.#changed(await this.store.budgets.update(id, patch), { kind: 'all' });
  }

  /** Starts the budget's window over from now, at zero spend. */
  async resetBudget(id: string): Promise<BudgetRecord> {
    return this.#changed(await this.store.budgets.reset(id), { kind: 'all' });
  }

  async deleteBudget(id: string): Promise<void> {
    await this.store.budgets.delete(id);
    await this.#publish({ kind: 'all' });
  }

  /**
   * A budget's spend in its current window.
   * @throws NotFoundStorageError when there is no such budget
   */
  async budgetStatus(id: string): Promise<BudgetStatus> {
    const budget = await this.store.budgets.get(id);
    if (budget === undefined) throw new NotFoundStorageError('budget', id);
    const [status] = await this.service.budgetStatuses([budget]);
    return status;
  }

  async createRateLimit(input: NewRateLimit): Promise<RateLimitRecord> {
    return this.#changed(await this.store.rateLimits.create(input), { kind: 'all' });
  }

  listRateLimits(owners?: readonly OwnerReference[]): Promise<RateLimitRecord[]> {
    return owners === undefined ? this.store.rateLimits.list() : this.store.rateLimits.listForOwners(owners);
  }

  async updateRateLimit(id: string, patch: { maxRequests?: number | null; maxTokens?: number | null }): Promise<RateLimitRecord> {
    return this.#changed(await this.store.rateLimits.update(id, patch), { kind: 'all' });
  }

  async deleteRateLimit(id: string): Promise<void> {
    await this.store.rateLimits.delete(id);
    await this.#publish({ kind: 'all' });
  }

  // Providers

  async createProvider(input: NewProvider): Promise<ProviderRecord> {
    return this.#changed(await this.store.providers.create(input), { kind: 'providers' });
  }

  listProviders(): Promise<ProviderRecord[]> {
    return this.store.providers.list();
  }

  async updateProvider(id: string, patch: ProviderPatch): Promise<ProviderRecord> {
    return this.#changed(await this.store.providers.update(id, patch), { kind: 'providers' });
  }

  async deleteProvider(id: string): Promise<void> {
    await this.store.providers.delete(id);
    await this.#publish({ kind: 'providers' });
  }

  async addProviderKey(providerId: string, input: NewProviderKey): Promise<ProviderKeyRecord> {
    return this.#changed(await this.store.providers.addKey(providerId, input), { kind: 'providers' });
  }

  async updateProviderKey(keyId: string, patch: ProviderKeyPatch): Promise<ProviderKeyRecord> {
    return this.#changed(await this.store.providers.updateKey(keyId, patch), { kind: 'providers' });
  }

  async deleteProviderKey(keyId: string): Promise<void> {
    await this.store.providers.deleteKey(keyId);
    await this.#publish({ kind: 'providers' });
  }

  // Usage

  /** Usage totals over `[fromMs, toMs)`, for one owner when given (cost in micro-USD). Writes buffered records first. */
  async usageTotals(filter: { owner?: OwnerReference; fromMs: number; toMs: number }): Promise<UsageTotals> {
    await this.service.flushUsage();
    return this.store.usage.totals(filter);
  }

  async #changed<T>(result: T, change: GovernanceChange): Promise<T> {
    await this.#publish(change);
    return result;
  }

  async #publish(change: GovernanceChange): Promise<void> {
    await this.notifier.publish(change);
  }
}
