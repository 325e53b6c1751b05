import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { readRequestBody } from '../server/read-request-body.js';
import type { AdminAuthenticator } from './admin-auth.js';
import { AdminApiError, toAdminApiError } from './admin-api-errors.js';
import { ADMIN_ROUTES } from './admin-routes.js';
import { findRoute, type AdminReply, type AdminRoute, type AdminServices } from './admin-router.js';

/**
 * The admin API's HTTP entry: `/api/…` except `/api/mcp/…` (the MCP gateway's). For each request:
 * find the route (404 / 405 otherwise), authenticate (401 / 403, see `admin-auth.ts`) unless the
 * route is public, read and validate the JSON body against the route's schema (400 naming the
 * field), run the handler, and answer JSON. Every failure is answered here as
 * `{"error": {"message", "type", "param", "code"}}`; nothing escapes to the gateway's
 * Anthropic-shaped error handler. Responses are `cache-control: no-store` (one of them may carry a
 * new virtual key's secret).
 */

/** The admin side of a gateway: who is an admin (for every admin surface), and the `/api/…` routes when the store runs. */
export interface GatewayAdmin {
  authenticator: AdminAuthenticator;
  /** Absent when the gateway runs without its store (no `/api/…` routes then, besides the MCP gateway's). */
  api?: AdminApi;
}

/** Whether a path belongs to this API rather than to the MCP gateway or the inference surfaces. */
export function isAdminApiPath(path: string): boolean {
  if (path !== '/api' && !path.startsWith('/api/')) return false;
  return path !== '/api/mcp' && !path.startsWith('/api/mcp/');
}

const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: false });
const validators = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = ajv.compile(schema);
    validators.set(schema, validator);
  }
  return validator;
}

function dotted(instancePath: string): string {
  return instancePath.slice(1).replaceAll('/', '.');
}

/** An Ajv error as a field name and what is wrong with it. */
function describeValidationError(error: ErrorObject): { param: string; problem: string } {
  const base = dotted(error.instancePath);
  const join = (field: string) => (base === '' ? field : `${base}.${field}`);
  if (error.keyword === 'additionalProperties') return { param: join((error.params as { additionalProperty: string }).additionalProperty), problem: 'unknown field' };
  if (error.keyword === 'required') return { param: join((error.params as { missingProperty: string }).missingProperty), problem: 'required' };
  return { param: base === '' ? '(body)' : base, problem: error.message ?? 'invalid' };
}

/**
 * Validates a body; the error names the first field at fault (and lists the others).
 * @throws AdminApiError 400
 */
export function validateBody(schema: TSchema, body: unknown): void {
  const validate = validatorFor(schema);
  if (validate(body)) return;
  const problems = (validate.errors ?? []).filter((error) => error.keyword !== 'anyOf').map(describeValidationError);
  const [first] = problems.length > 0 ? problems : [{ param: '(body)', problem: 'invalid' }];
  const distinct = [...new Map(problems.map((problem) => [`${problem.param}: ${problem.problem}`, problem])).keys()];
  throw new AdminApiError(400, 'invalid_request_error', distinct.length > 1 ? distinct.join('; ') : `${first.param}: ${first.problem}`, {
    param: first.param,
    code: 'validation_failed',
  });
}

/** Reads the JSON body of a route that takes one (an empty body reads as `{}`). @throws AdminApiError 400 / 413 */
async function readJsonBody(request: IncomingMessage, maxBodyBytes: number): Promise<unknown> {
  const raw = await readRequestBody(request, maxBodyBytes);
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new AdminApiError(400, 'invalid_request_error', 'request body is not valid JSON', { code: 'invalid_json' });
  }
}

function send(request: IncomingMessage, response: ServerResponse, reply: AdminReply): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const headers: Record<string, string | string[]> = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...reply.headers };
  if (reply.body === undefined) {
    response.writeHead(reply.status, headers);
    response.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  response.writeHead(reply.status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  response.end(request.method === 'HEAD' ? undefined : text);
}

/** What an {@link AdminApi} needs beyond the services. */
export interface AdminApiOptions {
  maxBodyBytes: number;
  /** Where unexpected errors are reported. Default `console.error`. */
  log?: (line: string, error: unknown) => void;
  /** The route table (tests). Default {@link ADMIN_ROUTES}. */
  routes?: readonly AdminRoute[];
}

/** Serves the admin API. */
export class AdminApi {
  readonly services: AdminServices;
  readonly #options: AdminApiOptions;
  readonly #routes: readonly AdminRoute[];

  constructor(services: AdminServices, options: AdminApiOptions) {
    this.services = services;
    this.#options = options;
    this.#routes = options.routes ?? ADMIN_ROUTES;
  }

  /** Answers one request under `/api/` (see {@link isAdminApiPath}). Never throws. */
  async handle(request: IncomingMessage, response: ServerResponse, url: URL, path: string): Promise<void> {
    try {
      send(request, response, await this.#serve(request, url, path));
    } catch (error) {
      const apiError = toAdminApiError(error);
      if (apiError.status >= 500) (this.#options.log ?? ((line, cause) => console.error(line, cause)))(`[heimdall] admin API ${request.method} ${path} failed:`, error);
      // An unread body would otherwise be left on the connection.
      if (!request.readableEnded) request.resume();
      send(request, response, { status: apiError.status, body: apiError.body(), headers: apiError.headers });
    }
  }

  async #serve(request: IncomingMessage, url: URL, path: string): Promise<AdminReply> {
    const method = request.method ?? 'GET';
    const match = findRoute(this.#routes, method, path);
    if (match.kind === 'not-found') throw new AdminApiError(404, 'not_found_error', `no admin API route for ${method} ${path} (see GET /api/openapi.json)`, { code: 'no_route' });
    if (match.kind === 'method-not-allowed') {
      throw new AdminApiError(405, 'invalid_request_error', `method ${method} is not allowed on ${path}; allowed: ${match.allowed.join(', ')}`, {
        code: 'method_not_allowed',
        headers: { allow: match.allowed.join(', ') },
      });
    }
    const { route, params } = match;
    let principal;
    if (!route.public) {
      const outcome = await this.services.authenticator.check(request);
      if (outcome.kind === 'refused') {
        throw new AdminApiError(outcome.status, outcome.status === 401 ? 'authentication_error' : 'permission_error', outcome.message, {
          code: outcome.code,
          headers: outcome.status === 401 ? { 'www-authenticate': 'Bearer realm="heimdall-admin"' } : {},
        });
      }
      principal = outcome.principal;
    }
    let body: unknown;
    if (route.body !== undefined) {
      body = await readJsonBody(request, this.#options.maxBodyBytes);
      validateBody(route.body, body);
    } else {
      request.resume();
    }
    return route.handler({ request, params, query: url.searchParams, body, principal, services: this.services });
  }
}
