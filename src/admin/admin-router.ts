import type { IncomingMessage } from 'node:http';
import type { Static, TSchema } from '@sinclair/typebox';
import type { RunningGovernance } from '../governance/start-governance.js';
import type { AdminAuthenticator, AdminPrincipal } from './admin-auth.js';
import type { AdminUserStore } from './admin-user-store.js';
import type { LoginThrottle } from './login-throttle.js';
import type { RuntimeSettings } from './runtime-settings.js';
import type { ServedProviders } from './served-providers.js';

/**
 * The admin API's route table: each route says its method, path (OpenAPI template syntax,
 * `/api/customers/{id}`), documentation, request body schema, success response and handler. The
 * router, the body validation and the OpenAPI document all read this one table.
 */

export type AdminHttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What handlers work with. */
export interface AdminServices {
  governance: RunningGovernance;
  authenticator: AdminAuthenticator;
  users: AdminUserStore;
  throttle: LoginThrottle;
  /** Resolves `env.NAME` in provider entries checked before they are stored. */
  environment: NodeJS.ProcessEnv;
  /** ms since the epoch. */
  clock: () => number;
  /** The running gateway's providers: reloaded after a provider change, consulted before a removal. Absent in tests of the API alone. */
  servedProviders?: ServedProviders;
  /** The settings changeable at run time (`/api/settings`). Absent in tests of the API alone. */
  runtimeSettings?: RuntimeSettings;
}

/** A query parameter, for the documentation (handlers read `query`). */
export interface QueryParameter {
  name: string;
  description: string;
}

/** What a handler answers. */
export interface AdminReply {
  status: number;
  /** JSON body; none for 204. */
  body?: unknown;
  headers?: Record<string, string | string[]>;
}

/** What a handler gets. */
export interface RouteContext<Body> {
  request: IncomingMessage;
  /** Path parameters by name, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The body, validated against the route's schema (undefined for routes without one). */
  body: Body;
  /** Undefined only on public routes. */
  principal: AdminPrincipal | undefined;
  services: AdminServices;
}

/** A route as written in the table. */
export interface RouteSpecification<BodySchema extends TSchema | undefined> {
  method: AdminHttpMethod;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Reachable without an admin credential (login, logout, session, the OpenAPI document). */
  public?: boolean;
  body?: BodySchema;
  query?: QueryParameter[];
  success: { status: number; description: string; schema?: TSchema };
  /** Error statuses worth documenting beyond 401 (and 400 for routes with a body). */
  errors?: number[];
  handler(context: RouteContext<BodySchema extends TSchema ? Static<BodySchema> : undefined>): Promise<AdminReply>;
}

/** A route of the table, its body type erased (the router validates the body before the handler runs). */
export interface AdminRoute {
  method: AdminHttpMethod;
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  public: boolean;
  body?: TSchema;
  query: QueryParameter[];
  success: { status: number; description: string; schema?: TSchema };
  errors: number[];
  handler(context: RouteContext<unknown>): Promise<AdminReply>;
  /** Path segments; `{name}` segments are parameters. */
  segments: string[];
}

/** Adds a route to a table with its body type checked against its schema. */
export function defineRoute<BodySchema extends TSchema | undefined = undefined>(specification: RouteSpecification<BodySchema>): AdminRoute {
  return {
    method: specification.method,
    path: specification.path,
    operationId: specification.operationId,
    summary: specification.summary,
    description: specification.description,
    tag: specification.tag,
    public: specification.public ?? false,
    body: specification.body,
    query: specification.query ?? [],
    success: specification.success,
    errors: specification.errors ?? [],
    // The router validates the body against `specification.body` before calling the handler.
    handler: specification.handler as (context: RouteContext<unknown>) => Promise<AdminReply>,
    segments: specification.path.split('/').filter((segment) => segment !== ''),
  };
}

/** Path parameters when `path` fits the route's template, else undefined. */
export function matchRoutePath(route: Pick<AdminRoute, 'segments'>, path: string): Record<string, string> | undefined {
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments.length !== route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index += 1) {
    const template = route.segments[index];
    if (template.startsWith('{') && template.endsWith('}')) {
      let value: string;
      try {
        value = decodeURIComponent(segments[index]);
      } catch {
        return undefined;
      }
      if (value === '') return undefined;
      params[template.slice(1, -1)] = value;
    } else if (template !== segments[index]) {
      return undefined;
    }
  }
  return params;
}

/** The outcome of looking a request up in the table. */
export type RouteMatch =
  | { kind: 'found'; route: AdminRoute; params: Record<string, string> }
  /** The path exists with other methods. */
  | { kind: 'method-not-allowed'; allowed: AdminHttpMethod[] }
  | { kind: 'not-found' };

/**
 * Finds the route for a method and path. Literal segments win over parameters
 * (`/api/auth/session` over `/api/auth/{x}`), so the table's order does not matter.
 */
export function findRoute(routes: readonly AdminRoute[], method: string, path: string): RouteMatch {
  const candidates = routes
    .map((route) => ({ route, params: matchRoutePath(route, path) }))
    .filter((candidate): candidate is { route: AdminRoute; params: Record<string, string> } => candidate.params !== undefined)
    .sort((left, right) => Object.keys(left.params).length - Object.keys(right.params).length);
  if (candidates.length === 0) return { kind: 'not-found' };
  const wanted = method === 'HEAD' ? 'GET' : method;
  const exact = candidates.find((candidate) => candidate.route.method === wanted);
  if (exact !== undefined) return { kind: 'found', route: exact.route, params: exact.params };
  return { kind: 'method-not-allowed', allowed: [...new Set(candidates.map((candidate) => candidate.route.method))] };
}
