import type { HeimdallStore } from '../storage/heimdall-store.js';
import type {
  BudgetRecord,
  CustomerRecord,
  OwnerReference,
  OwnerType,
  ProviderKeyRecord,
  ProviderRecord,
  RateLimitRecord,
  TeamRecord,
  VirtualKeyRecord,
} from '../storage/records.js';
import { AdminApiError, invalidField, notFound } from './admin-api-errors.js';
import type { AdminUserRecord, AdminUserStore } from './admin-user-store.js';

/**
 * Looking entities up by what an admin types: customers, teams, virtual keys, providers, provider
 * keys and admin users by id or by (unique) name; budgets and rate limits by id. In a path a
 * missing entity is a 404; in a body field it is a 400 naming the field (see {@link inField}).
 */

/** By id first, then by name. @throws AdminApiError 404 */
async function byIdOrName<T>(entity: string, reference: string, byId: (id: string) => Promise<T | undefined>, byName: (name: string) => Promise<T | undefined>): Promise<T> {
  const found = (await byId(reference)) ?? (await byName(reference));
  if (found === undefined) throw notFound(entity, reference);
  return found;
}

export function findCustomer(store: HeimdallStore, reference: string): Promise<CustomerRecord> {
  return byIdOrName('customer', reference, (id) => store.customers.get(id), (name) => store.customers.findByName(name));
}

export function findTeam(store: HeimdallStore, reference: string): Promise<TeamRecord> {
  return byIdOrName('team', reference, (id) => store.teams.get(id), (name) => store.teams.findByName(name));
}

export function findVirtualKey(store: HeimdallStore, reference: string): Promise<VirtualKeyRecord> {
  return byIdOrName('virtual key', reference, (id) => store.virtualKeys.get(id), (name) => store.virtualKeys.findByName(name));
}

export function findProvider(store: HeimdallStore, reference: string): Promise<ProviderRecord> {
  return byIdOrName('provider', reference, (id) => store.providers.get(id), (name) => store.providers.findByName(name));
}

/** @throws AdminApiError 404 */
export function findProviderKey(provider: ProviderRecord, reference: string): ProviderKeyRecord {
  const key = provider.keys.find((candidate) => candidate.id === reference) ?? provider.keys.find((candidate) => candidate.name === reference);
  if (key === undefined) throw notFound(`key of provider '${provider.name}'`, reference);
  return key;
}

export function findAdminUser(users: AdminUserStore, reference: string): Promise<AdminUserRecord> {
  return byIdOrName('admin user', reference, (id) => users.getUser(id), (name) => users.findByUsername(name));
}

export async function findBudget(store: HeimdallStore, id: string): Promise<BudgetRecord> {
  const budget = await store.budgets.get(id);
  if (budget === undefined) throw notFound('budget', id);
  return budget;
}

export async function findRateLimit(store: HeimdallStore, id: string): Promise<RateLimitRecord> {
  const limit = await store.rateLimits.get(id);
  if (limit === undefined) throw notFound('rate limit', id);
  return limit;
}

/** A budget or rate-limit owner from its type and id or name. @throws AdminApiError 404 */
export async function findOwner(store: HeimdallStore, type: OwnerType, reference: string): Promise<OwnerReference> {
  switch (type) {
    case 'customer':
      return { type, id: (await findCustomer(store, reference)).id };
    case 'team':
      return { type, id: (await findTeam(store, reference)).id };
    case 'virtual_key':
      return { type, id: (await findVirtualKey(store, reference)).id };
    default: {
      const unreachable: never = type;
      throw new Error(`unknown owner type ${String(unreachable)}`);
    }
  }
}

/**
 * Runs a lookup for a reference given in a body or query field: a missing entity becomes a 400
 * naming the field.
 * @throws AdminApiError 400
 */
export async function inField<T>(param: string, lookup: Promise<T>): Promise<T> {
  try {
    return await lookup;
  } catch (error) {
    if (error instanceof AdminApiError && error.status === 404) throw invalidField(param, error.message);
    throw error;
  }
}

/** `expires_at` (ISO 8601) → ms, `null` stays null. @throws AdminApiError 400 */
export function parseIsoTime(param: string, value: string | null): number | null {
  if (value === null) return null;
  const time = Date.parse(value);
  if (!Number.isFinite(time)) throw invalidField(param, `'${value}' is not a valid ISO 8601 time`);
  return time;
}

/** An owner type from a query parameter. @throws AdminApiError 400 */
export function parseOwnerType(param: string, value: string): OwnerType {
  if (value === 'customer' || value === 'team' || value === 'virtual_key') return value;
  throw invalidField(param, 'must be customer, team or virtual_key');
}
