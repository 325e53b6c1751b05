import { apiRequest, queryString } from './api-client.js';
import type {
  Budget,
  BudgetInput,
  CreatedVirtualKey,
  Customer,
  ListOf,
  LoginResult,
  LogDimension,
  LogFilter,
  LogPage,
  LogRecord,
  LogStats,
  OwnerType,
  RateLimit,
  RateLimitInput,
  Session,
  Team,
  UsageTotals,
  VirtualKey,
  VirtualKeyCreate,
  VirtualKeyUpdate,
} from './api-types.js';

/**
 * Typed calls of the admin API (`/api/…`, see src/admin/routes/*) and the logs API
 * (`/api/logs…`, see src/observability/observability-routes.ts). Each throws `ApiError` on a
 * non-2xx answer.
 */

const encode = encodeURIComponent;

export const authApi = {
  session: () => apiRequest<Session>('GET', '/api/auth/session'),
  login: (username: string, password: string) => apiRequest<LoginResult>('POST', '/api/auth/login', { username, password }),
  logout: () => apiRequest<void>('POST', '/api/auth/logout'),
};

export const customersApi = {
  list: async () => (await apiRequest<ListOf<Customer>>('GET', '/api/customers')).data,
  create: (name: string) => apiRequest<Customer>('POST', '/api/customers', { name }),
  remove: (id: string) => apiRequest<void>('DELETE', `/api/customers/${encode(id)}`),
};

export const teamsApi = {
  list: async () => (await apiRequest<ListOf<Team>>('GET', '/api/teams')).data,
  create: (name: string, customerId?: string) => apiRequest<Team>('POST', '/api/teams', { name, ...(customerId === undefined ? {} : { customer_id: customerId }) }),
  update: (id: string, patch: { name?: string; customer_id?: string | null }) => apiRequest<Team>('PATCH', `/api/teams/${encode(id)}`, patch),
  remove: (id: string) => apiRequest<void>('DELETE', `/api/teams/${encode(id)}`),
};

export const virtualKeysApi = {
  list: async () => (await apiRequest<ListOf<VirtualKey>>('GET', '/api/virtual-keys')).data,
  create: (body: VirtualKeyCreate) => apiRequest<CreatedVirtualKey>('POST', '/api/virtual-keys', body),
  update: (id: string, patch: VirtualKeyUpdate) => apiRequest<VirtualKey>('PATCH', `/api/virtual-keys/${encode(id)}`, patch),
  revoke: (id: string) => apiRequest<VirtualKey>('POST', `/api/virtual-keys/${encode(id)}/revoke`),
  rotate: (id: string) => apiRequest<CreatedVirtualKey>('POST', `/api/virtual-keys/${encode(id)}/rotate`),
  remove: (id: string) => apiRequest<void>('DELETE', `/api/virtual-keys/${encode(id)}`),
};

export const budgetsApi = {
  list: async () => (await apiRequest<ListOf<Budget>>('GET', '/api/budgets')).data,
  create: (ownerType: OwnerType, ownerId: string, budget: BudgetInput) => apiRequest<Budget>('POST', '/api/budgets', { owner_type: ownerType, owner_id: ownerId, ...budget }),
  update: (id: string, patch: Partial<BudgetInput>) => apiRequest<Budget>('PATCH', `/api/budgets/${encode(id)}`, patch),
  reset: (id: string) => apiRequest<Budget>('POST', `/api/budgets/${encode(id)}/reset`),
  remove: (id: string) => apiRequest<void>('DELETE', `/api/budgets/${encode(id)}`),
};

export const rateLimitsApi = {
  list: async () => (await apiRequest<ListOf<RateLimit>>('GET', '/api/rate-limits')).data,
  create: (ownerType: OwnerType, ownerId: string, limit: RateLimitInput) => apiRequest<RateLimit>('POST', '/api/rate-limits', { owner_type: ownerType, owner_id: ownerId, ...limit }),
  remove: (id: string) => apiRequest<void>('DELETE', `/api/rate-limits/${encode(id)}`),
};

export const usageApi = {
  totals: (parameters: { from?: string; to?: string; owner_type?: OwnerType; owner_id?: string }) => apiRequest<UsageTotals>('GET', `/api/usage${queryString(parameters)}`),
};

export const logsApi = {
  list: (filter: LogFilter, limit = 50, cursor?: string) => apiRequest<LogPage>('GET', `/api/logs${queryString({ ...filter, limit, cursor })}`),
  get: (id: string) => apiRequest<LogRecord>('GET', `/api/logs/${encode(id)}`),
  stats: (filter: LogFilter, shape: { bucket?: string; group_by?: LogDimension[]; group_limit?: number } = {}) =>
    apiRequest<LogStats>('GET', `/api/logs/stats${queryString({ ...filter, bucket: shape.bucket, group_by: shape.group_by?.join(','), group_limit: shape.group_limit })}`),
};
