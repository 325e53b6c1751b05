import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { defineRoute, type AdminRoute } from './admin-router.js';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi-document.js';
import { authRoutes } from './routes/auth-routes.js';
import { limitRoutes } from './routes/limit-routes.js';
import { organizationRoutes } from './routes/organization-routes.js';
import { providerRoutes } from './routes/provider-routes.js';
import { providerTestRoutes } from './routes/provider-test-routes.js';
import { routingRoutes } from './routes/routing-routes.js';
import { settingsRoutes } from './routes/settings-routes.js';
import { virtualKeyRoutes } from './routes/virtual-key-routes.js';

/** The path of the OpenAPI document. */
export const OPENAPI_DOCUMENT_PATH = '/api/openapi.json';

function packageVersion(): string {
  try {
    // src/admin/ and dist/admin/ are both two levels below the package root.
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

let cachedDocument: OpenApiDocument | undefined;

/** The OpenAPI document of {@link ADMIN_ROUTES} (built once). */
export function adminOpenApiDocument(): OpenApiDocument {
  cachedDocument ??= buildOpenApiDocument(ADMIN_ROUTES, packageVersion());
  return cachedDocument;
}

/** Every route of the admin API (`/api/…` except the MCP gateway's `/api/mcp/…`). */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  ...authRoutes,
  ...organizationRoutes,
  ...virtualKeyRoutes,
  ...providerRoutes,
  ...providerTestRoutes,
  ...limitRoutes,
  ...routingRoutes,
  ...settingsRoutes,
  defineRoute({
    method: 'GET',
    path: OPENAPI_DOCUMENT_PATH,
    operationId: 'getOpenApiDocument',
    summary: 'This OpenAPI 3.1 document',
    tag: 'meta',
    public: true,
    success: { status: 200, description: 'The document.', schema: Type.Object({ openapi: Type.String() }, { additionalProperties: true }) },
    handler: async () => ({ status: 200, body: adminOpenApiDocument() }),
  }),
];
