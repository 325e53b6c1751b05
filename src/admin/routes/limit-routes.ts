import { fromMicroUsd } from '../../governance/cost-calculator.js';
import { publicBudget, publicRateLimit } from '../../governance/public-views.js';
import type { OwnerReference } from '../../storage/records.js';
import { invalidField } from '../admin-api-errors.js';
import {
  BudgetCreateSchema,
  BudgetSchema,
  BudgetUpdateSchema,
  listOf,
  RateLimitCreateSchema,
  RateLimitSchema,
  RateLimitUpdateSchema,
  UsageTotalsSchema,
} from '../admin-api-schemas.js';
import { findBudget, findOwner, findRateLimit, inField, parseIsoTime, parseOwnerType } from '../admin-references.js';
import { defineRoute, type AdminRoute, type AdminServices } from '../admin-router.js';

/**
 * Budgets (with their current window: spent, held by requests in progress, remaining), rate limits
 * and usage totals. Owners are given as `owner_type` (`customer`, `team`, `virtual_key`) and
 * `owner_id` (an id or a name).
 */

/** The `owner_type` / `owner_id` query filter, both or neither. @throws AdminApiError 400 */
async function ownerFilter(query: URLSearchParams, services: AdminServices): Promise<OwnerReference[] | undefined> {
  const type = query.get('owner_type');
  const reference = query.get('owner_id');
  if (type === null && reference === null) return undefined;
  if (type === null) throw invalidField('owner_type', 'required with owner_id');
  if (reference === null) throw invalidField('owner_id', 'required with owner_type');
  return [await inField('owner_id', findOwner(services.governance.store, parseOwnerType('owner_type', type), reference))];
}

/** A budget with its current window. */
async function budgetWithStatus(id: string, services: AdminServices) {
  const status = await services.governance.admin.budgetStatus(id);
  return publicBudget(status.budget, status);
}

/** Start of the current UTC month, ms. */
function startOfMonthUtc(nowMs: number): number {
  const now = new Date(nowMs);
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
}

const OWNER_QUERY = [
  { name: 'owner_type', description: 'customer, team or virtual_key (with owner_id).' },
  { name: 'owner_id', description: 'The owner\'s id or name (with owner_type).' },
];

export const limitRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/budgets',
    operationId: 'listBudgets',
    summary: 'List budgets with their current spend',
    tag: 'budgets',
    query: OWNER_QUERY,
    success: { status: 200, description: 'Budgets, each with `current` (its window, spent, reserved, remaining).', schema: listOf(BudgetSchema) },
    handler: async ({ query, services }) => {
      const budgets = await services.governance.admin.listBudgets(await ownerFilter(query, services));
      const statuses = budgets.length === 0 ? [] : await services.governance.service.budgetStatuses(budgets);
      return { status: 200, body: { data: statuses.map((status) => publicBudget(status.budget, status)) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/budgets',
    operationId: 'createBudget',
    summary: 'Create a budget on a customer, team or virtual key',
    tag: 'budgets',
    body: BudgetCreateSchema,
    success: { status: 201, description: 'The budget with its current window.', schema: BudgetSchema },
    errors: [409],
    handler: async ({ body, services }) => {
      const owner = await inField('owner_id', findOwner(services.governance.store, body.owner_type, body.owner_id));
      const budget = await services.governance.admin.createBudget({ owner, limitUsd: body.limit_usd, period: body.period, alignment: body.alignment });
      return { status: 201, body: await budgetWithStatus(budget.id, services) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/budgets/{id}',
    operationId: 'getBudget',
    summary: 'Get a budget and its current spend',
    tag: 'budgets',
    success: { status: 200, description: 'The budget with its current window.', schema: BudgetSchema },
    errors: [404],
    handler: async ({ params, services }) => ({ status: 200, body: await budgetWithStatus((await findBudget(services.governance.store, params.id)).id, services) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/budgets/{id}',
    operationId: 'updateBudget',
    summary: 'Change a budget (a new limit applies at once)',
    tag: 'budgets',
    body: BudgetUpdateSchema,
    success: { status: 200, description: 'The budget as changed.', schema: BudgetSchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => {
      const budget = await findBudget(services.governance.store, params.id);
      await services.governance.admin.updateBudget(budget.id, { limitUsd: body.limit_usd, period: body.period, alignment: body.alignment });
      return { status: 200, body: await budgetWithStatus(budget.id, services) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/budgets/{id}',
    operationId: 'deleteBudget',
    summary: 'Delete a budget',
    tag: 'budgets',
    success: { status: 204, description: 'Deleted.' },
    errors: [404],
    handler: async ({ params, services }) => {
      await services.governance.admin.deleteBudget((await findBudget(services.governance.store, params.id)).id);
      return { status: 204 };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/budgets/{id}/reset',
    operationId: 'resetBudget',
    summary: 'Start the budget\'s window over from now, at zero spend',
    tag: 'budgets',
    success: { status: 200, description: 'The budget with its new window.', schema: BudgetSchema },
    errors: [404],
    handler: async ({ params, services }) => {
      const budget = await services.governance.admin.resetBudget((await findBudget(services.governance.store, params.id)).id);
      return { status: 200, body: await budgetWithStatus(budget.id, services) };
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/api/rate-limits',
    operationId: 'listRateLimits',
    summary: 'List rate limits',
    tag: 'rate-limits',
    query: OWNER_QUERY,
    success: { status: 200, description: 'Rate limits.', schema: listOf(RateLimitSchema) },
    handler: async ({ query, services }) => ({
      status: 200,
      body: { data: (await services.governance.admin.listRateLimits(await ownerFilter(query, services))).map(publicRateLimit) },
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/rate-limits',
    operationId: 'createRateLimit',
    summary: 'Create a rate limit on a customer, team or virtual key',
    tag: 'rate-limits',
    body: RateLimitCreateSchema,
    success: { status: 201, description: 'The rate limit.', schema: RateLimitSchema },
    errors: [409],
    handler: async ({ body, services }) => {
      if (body.requests === undefined && body.tokens === undefined) throw invalidField('requests', 'give requests, tokens or both');
      const owner = await inField('owner_id', findOwner(services.governance.store, body.owner_type, body.owner_id));
      const limit = await services.governance.admin.createRateLimit({ owner, provider: body.provider, window: body.window, maxRequests: body.requests, maxTokens: body.tokens });
      return { status: 201, body: publicRateLimit(limit) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/rate-limits/{id}',
    operationId: 'getRateLimit',
    summary: 'Get a rate limit',
    tag: 'rate-limits',
    success: { status: 200, description: 'The rate limit.', schema: RateLimitSchema },
    errors: [404],
    handler: async ({ params, services }) => ({ status: 200, body: publicRateLimit(await findRateLimit(services.governance.store, params.id)) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/rate-limits/{id}',
    operationId: 'updateRateLimit',
    summary: 'Change a rate limit\'s request and token limits',
    tag: 'rate-limits',
    body: RateLimitUpdateSchema,
    success: { status: 200, description: 'The rate limit as changed.', schema: RateLimitSchema },
    errors: [404],
    handler: async ({ params, body, services }) => {
      const limit = await findRateLimit(services.governance.store, params.id);
      return { status: 200, body: publicRateLimit(await services.governance.admin.updateRateLimit(limit.id, { maxRequests: body.requests, maxTokens: body.tokens })) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/rate-limits/{id}',
    operationId: 'deleteRateLimit',
    summary: 'Delete a rate limit',
    tag: 'rate-limits',
    success: { status: 204, description: 'Deleted.' },
    errors: [404],
    handler: async ({ params, services }) => {
      await services.governance.admin.deleteRateLimit((await findRateLimit(services.governance.store, params.id)).id);
      return { status: 204 };
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/api/usage',
    operationId: 'getUsage',
    summary: 'Usage totals (requests, tokens, cost) over a time range',
    description: 'Over [from, to); by default from the start of the current UTC month until now. Give at most one owner filter.',
    tag: 'usage',
    query: [
      { name: 'from', description: 'Start, ISO 8601 (inclusive). Default: start of the current UTC month.' },
      { name: 'to', description: 'End, ISO 8601 (exclusive). Default: now.' },
      { name: 'virtual_key_id', description: 'Only this virtual key (id or name).' },
      { name: 'team_id', description: 'Only this team (id or name).' },
      { name: 'customer_id', description: 'Only this customer (id or name).' },
    ],
    success: { status: 200, description: 'The totals.', schema: UsageTotalsSchema },
    handler: async ({ query, services }) => {
      const now = services.clock();
      const fromText = query.get('from');
      const toText = query.get('to');
      const fromMs = fromText === null ? startOfMonthUtc(now) : (parseIsoTime('from', fromText) as number);
      const toMs = toText === null ? now + 1 : (parseIsoTime('to', toText) as number);
      if (toMs <= fromMs) throw invalidField('to', 'must be after from');
      const filters = (['virtual_key_id', 'team_id', 'customer_id'] as const).filter((name) => query.get(name) !== null);
      if (filters.length > 1) throw invalidField(filters[1], `give one of virtual_key_id, team_id and customer_id, not ${filters.join(' and ')}`);
      let owner: OwnerReference | undefined;
      if (filters.length === 1) {
        const type = ({ virtual_key_id: 'virtual_key', team_id: 'team', customer_id: 'customer' } as const)[filters[0]];
        owner = await inField(filters[0], findOwner(services.governance.store, type, query.get(filters[0]) as string));
      }
      const totals = await services.governance.admin.usageTotals({ owner, fromMs, toMs });
      return {
        status: 200,
        body: {
          from: new Date(fromMs).toISOString(),
          to: new Date(toMs).toISOString(),
          owner_type: owner?.type ?? null,
          owner_id: owner?.id ?? null,
          requests: totals.requests,
          input_tokens: totals.inputTokens,
          output_tokens: totals.outputTokens,
          cache_read_tokens: totals.cacheReadTokens,
          cache_write_tokens: totals.cacheWriteTokens,
          cost_usd: fromMicroUsd(totals.costMicroUsd),
        },
      };
    },
  }),
];
