import { publicCustomer, publicTeam } from '../../governance/public-views.js';
import { CustomerCreateSchema, CustomerSchema, CustomerUpdateSchema, listOf, TeamCreateSchema, TeamSchema, TeamUpdateSchema } from '../admin-api-schemas.js';
import { findCustomer, findTeam, inField } from '../admin-references.js';
import { defineRoute, type AdminRoute } from '../admin-router.js';

/** Customers (the top of customer → team → virtual key) and teams. `{id}` is an id or a name. */
export const organizationRoutes: AdminRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/api/customers',
    operationId: 'listCustomers',
    summary: 'List customers',
    tag: 'customers',
    success: { status: 200, description: 'Every customer, by name.', schema: listOf(CustomerSchema) },
    handler: async ({ services }) => ({ status: 200, body: { data: (await services.governance.admin.listCustomers()).map(publicCustomer) } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/api/customers',
    operationId: 'createCustomer',
    summary: 'Create a customer',
    tag: 'customers',
    body: CustomerCreateSchema,
    success: { status: 201, description: 'The customer.', schema: CustomerSchema },
    errors: [409],
    handler: async ({ body, services }) => ({ status: 201, body: publicCustomer(await services.governance.admin.createCustomer({ name: body.name })) }),
  }),
  defineRoute({
    method: 'GET',
    path: '/api/customers/{id}',
    operationId: 'getCustomer',
    summary: 'Get a customer',
    tag: 'customers',
    success: { status: 200, description: 'The customer.', schema: CustomerSchema },
    errors: [404],
    handler: async ({ params, services }) => ({ status: 200, body: publicCustomer(await findCustomer(services.governance.store, params.id)) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/customers/{id}',
    operationId: 'updateCustomer',
    summary: 'Rename a customer',
    tag: 'customers',
    body: CustomerUpdateSchema,
    success: { status: 200, description: 'The customer as changed.', schema: CustomerSchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => {
      const customer = await findCustomer(services.governance.store, params.id);
      return { status: 200, body: publicCustomer(await services.governance.admin.updateCustomer(customer.id, { name: body.name })) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/customers/{id}',
    operationId: 'deleteCustomer',
    summary: 'Delete a customer and its budgets and rate limits',
    description: 'Refused (409) while teams or virtual keys belong to it.',
    tag: 'customers',
    success: { status: 204, description: 'Deleted.' },
    errors: [404, 409],
    handler: async ({ params, services }) => {
      const customer = await findCustomer(services.governance.store, params.id);
      await services.governance.admin.deleteCustomer(customer.id);
      return { status: 204 };
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/api/teams',
    operationId: 'listTeams',
    summary: 'List teams',
    tag: 'teams',
    query: [{ name: 'customer_id', description: 'Only the teams of this customer (id or name).' }],
    success: { status: 200, description: 'Teams, by name.', schema: listOf(TeamSchema) },
    handler: async ({ query, services }) => {
      const customerReference = query.get('customer_id');
      const customerId = customerReference === null ? undefined : (await inField('customer_id', findCustomer(services.governance.store, customerReference))).id;
      return { status: 200, body: { data: (await services.governance.admin.listTeams({ customerId })).map(publicTeam) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/api/teams',
    operationId: 'createTeam',
    summary: 'Create a team',
    tag: 'teams',
    body: TeamCreateSchema,
    success: { status: 201, description: 'The team.', schema: TeamSchema },
    errors: [409],
    handler: async ({ body, services }) => {
      const store = services.governance.store;
      const customerId = body.customer_id === undefined ? undefined : (await inField('customer_id', findCustomer(store, body.customer_id))).id;
      return { status: 201, body: publicTeam(await services.governance.admin.createTeam({ name: body.name, customerId })) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/api/teams/{id}',
    operationId: 'getTeam',
    summary: 'Get a team',
    tag: 'teams',
    success: { status: 200, description: 'The team.', schema: TeamSchema },
    errors: [404],
    handler: async ({ params, services }) => ({ status: 200, body: publicTeam(await findTeam(services.governance.store, params.id)) }),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/api/teams/{id}',
    operationId: 'updateTeam',
    summary: 'Rename a team or move it to another customer',
    tag: 'teams',
    body: TeamUpdateSchema,
    success: { status: 200, description: 'The team as changed.', schema: TeamSchema },
    errors: [404, 409],
    handler: async ({ params, body, services }) => {
      const store = services.governance.store;
      const team = await findTeam(store, params.id);
      let customerId: string | null | undefined;
      if (body.customer_id === null) customerId = null;
      else if (body.customer_id !== undefined) customerId = (await inField('customer_id', findCustomer(store, body.customer_id))).id;
      return { status: 200, body: publicTeam(await services.governance.admin.updateTeam(team.id, { name: body.name, customerId })) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/api/teams/{id}',
    operationId: 'deleteTeam',
    summary: 'Delete a team and its budgets and rate limits',
    description: 'Refused (409) while virtual keys belong to it.',
    tag: 'teams',
    success: { status: 204, description: 'Deleted.' },
    errors: [404, 409],
    handler: async ({ params, services }) => {
      const team = await findTeam(services.governance.store, params.id);
      await services.governance.admin.deleteTeam(team.id);
      return { status: 204 };
    },
  }),
];
