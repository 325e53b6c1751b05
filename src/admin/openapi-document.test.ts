import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ADMIN_ROUTES, adminOpenApiDocument } from './admin-routes.js';
import type { Json } from './openapi-document.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function collectRefs(value: Json, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) collectRefs(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else collectRefs(item, found);
    }
  }
  return found;
}

describe('the admin API OpenAPI document', () => {
  const document = adminOpenApiDocument();

  it('lists every route of the router, and nothing else', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routed = ADMIN_ROUTES.map((route) => `${route.method} ${route.path}`);
    assert.deepEqual([...documented].sort(), [...routed].sort());
  });

  it('is OpenAPI 3.1 with resolvable references, path parameters declared, and security on every non-public operation', () => {
    assert.equal(document.openapi, '3.1.0');
    for (const reference of collectRefs(document as unknown as Json)) {
      const name = /^#\/components\/schemas\/(.+)$/.exec(reference)?.[1];
      assert.ok(name !== undefined && document.components.schemas[name] !== undefined, `unresolved ${reference}`);
    }
    for (const route of ADMIN_ROUTES) {
      const operation = document.paths[route.path][route.method.toLowerCase()] as { parameters?: Array<{ name: string; in: string }>; security: unknown[]; responses: Record<string, unknown> };
      const pathParameters = (route.path.match(/\{([^}]+)\}/g) ?? []).map((segment) => segment.slice(1, -1));
      assert.deepEqual(
        (operation.parameters ?? []).filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        pathParameters,
        route.path,
      );
      assert.equal(operation.security.length === 0, route.public, `${route.method} ${route.path} security`);
      assert.ok(operation.responses[String(route.success.status)] !== undefined);
      if (!route.public) assert.ok(operation.responses['401'] !== undefined);
      if (route.body !== undefined) assert.ok(operation.responses['400'] !== undefined);
    }
  });

  it('has component schemas that compile as JSON Schema 2020-12 (strict), references included', () => {
    const validator = new Ajv2020({ strict: true });
    validator.addVocabulary(['components']); // the document's container, not a schema keyword
    validator.addSchema({ $id: 'https://heimdall.invalid/openapi.json', components: document.components } as object);
    for (const name of Object.keys(document.components.schemas)) {
      assert.doesNotThrow(() => validator.compile({ $ref: `https://heimdall.invalid/openapi.json#/components/schemas/${name}` }), name);
    }
    const created = validator.compile({ $ref: 'https://heimdall.invalid/openapi.json#/components/schemas/CreatedVirtualKey' });
    assert.equal(created({ virtual_key: {}, secret: 'hk-x', budgets: [], rate_limits: [] }), false, 'nested $ref to VirtualKey is enforced');
  });
});
