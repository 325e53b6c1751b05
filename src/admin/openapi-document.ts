import type { TSchema } from '@sinclair/typebox';
import { NAMED_SCHEMAS } from './admin-api-schemas.js';
import type { AdminRoute } from './admin-router.js';

/**
 * The OpenAPI 3.1 document of the admin API, made from the route table and the TypeBox schemas the
 * router validates with (so it lists exactly the routes the router serves, with the bodies it
 * accepts). OpenAPI 3.1 schemas are JSON Schema 2020-12, which is what TypeBox emits; a schema
 * registered in `NAMED_SCHEMAS` becomes a `$ref` to `#/components/schemas/<name>` wherever it is
 * used. Served at `GET /api/openapi.json`.
 */

/** A JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** The document's top level (the fields Heimdall fills). */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
  [key: string]: Json | undefined;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request; `error.param` names the field.',
  401: 'No admin credential, or a wrong one.',
  403: 'Refused: a remote request while no admin credential is configured (loopback only), or a cross-origin request with the session cookie.',
  404: 'No such entity.',
  405: 'Method not allowed on this path.',
  409: 'Conflicts with the current state (a name taken, an entity still in use, a revoked key).',
  413: 'Request body too large.',
  429: 'Too many attempts; see `retry-after`.',
  500: 'The gateway failed (database or counters unreachable).',
};

const TAGS: Record<string, string> = {
  auth: 'Dashboard logins (session cookie).',
  'admin-users': 'Users who may log in to the admin API and dashboard.',
  customers: 'Customers: the top of customer → team → virtual key.',
  teams: 'Teams, optionally under a customer.',
  'virtual-keys': 'Virtual keys (`hk-…`) that callers send; secrets shown once.',
  providers: 'Provider instances and their keys (secrets masked).',
  budgets: 'USD budgets per period, with current spend.',
  'rate-limits': 'Requests and tokens per window.',
  usage: 'Recorded usage and cost.',
  routing: 'Routing rules (CEL), validation, route explanation and aliases.',
  meta: 'This document.',
};

/** `schema` as plain JSON (TypeBox's symbol keys dropped), registered sub-schemas as `$ref`s. */
export function schemaToJson(schema: TSchema, names: ReadonlyMap<object, string>, root = true): Json {
  const name = names.get(schema);
  if (!root && name !== undefined) return { $ref: `#/components/schemas/${name}` };
  return plainJson(schema, names);
}

function plainJson(value: unknown, names: ReadonlyMap<object, string>): Json {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((item) => (typeof item === 'object' && item !== null ? schemaToJson(item as TSchema, names, false) : plainJson(item, names)));
  if (typeof value === 'object') {
    const result: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      result[key] = typeof item === 'object' && item !== null && !Array.isArray(item) ? schemaToJson(item as TSchema, names, false) : plainJson(item, names);
    }
    return result;
  }
  return null;
}

function errorResponse(status: number): Json {
  return { description: ERROR_DESCRIPTIONS[status] ?? 'Error.', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

/** Builds the document for `routes`. */
export function buildOpenApiDocument(routes: readonly AdminRoute[], version: string): OpenApiDocument {
  const names = new Map<object, string>(Object.entries(NAMED_SCHEMAS).map(([name, schema]) => [schema, name]));
  const schemas: Record<string, Json> = {};
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) schemas[name] = schemaToJson(schema, names);

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const parameters: Json[] = [
      ...route.segments
        .filter((segment) => segment.startsWith('{'))
        .map((segment) => ({ name: segment.slice(1, -1), in: 'path', required: true, schema: { type: 'string' }, description: 'An id (or a unique name where the entity has one).' })),
      ...route.query.map((parameter) => ({ name: parameter.name, in: 'query', required: false, schema: { type: 'string' }, description: parameter.description })),
    ];
    const errors = new Set<number>([...route.errors, 500]);
    if (!route.public) {
      errors.add(401);
      errors.add(403);
    }
    if (route.body !== undefined) {
      errors.add(400);
      errors.add(413);
    }
    if (route.query.length > 0) errors.add(400);
    const responses: Record<string, Json> = {
      [String(route.success.status)]:
        route.success.schema === undefined
          ? { description: route.success.description }
          : { description: route.success.description, content: { 'application/json': { schema: schemaToJson(route.success.schema, names) } } },
    };
    for (const status of [...errors].sort((left, right) => left - right)) responses[String(status)] = errorResponse(status);
    const operation: { [key: string]: Json } = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      responses,
      security: route.public ? [] : [{ adminToken: [] }, { session: [] }],
    };
    if (route.description !== undefined) operation.description = route.description;
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.body !== undefined) {
      operation.requestBody = { required: true, content: { 'application/json': { schema: schemaToJson(route.body, names, false) } } };
    }
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation;
  }

  const usedTags = [...new Set(routes.map((route) => route.tag))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Heimdall admin API',
      version,
      description:
        'Manage providers, virtual keys, customers, teams, budgets, rate limits and admin users of a Heimdall gateway. ' +
        'Authenticate with `Authorization: Bearer <admin token>` or the `heimdall_session` cookie from `POST /api/auth/login`; ' +
        'with no admin credential configured the API answers loopback requests only. Errors are `{"error": {"message", "type", "param", "code"}}`.',
    },
    tags: usedTags.map((name) => ({ name, description: TAGS[name] ?? name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        adminToken: { type: 'http', scheme: 'bearer', description: 'The admin token: config `admin.token` or env HEIMDALL_ADMIN_TOKEN.' },
        session: { type: 'apiKey', in: 'cookie', name: 'heimdall_session', description: 'Set by POST /api/auth/login.' },
      },
    },
  };
}
