import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAdminApiPath } from './admin-api.js';
import { ADMIN_ROUTES } from './admin-routes.js';
import { findRoute, matchRoutePath } from './admin-router.js';

describe('admin API routing', () => {
  it('matches templates and decodes parameters', () => {
    const route = { segments: ['api', 'providers', '{name}', 'keys', '{key}'] };
    assert.deepEqual(matchRoutePath(route, '/api/providers/openai/keys/my%20key'), { name: 'openai', key: 'my key' });
    assert.equal(matchRoutePath(route, '/api/providers/openai/keys'), undefined);
    assert.equal(matchRoutePath(route, '/api/providers/%E0%A4%A/keys/x'), undefined, 'bad escapes do not match');
  });

  it('finds routes, answers 405 with the allowed methods, and prefers literal segments', () => {
    const found = findRoute(ADMIN_ROUTES, 'POST', '/api/virtual-keys/ci/revoke');
    assert.equal(found.kind === 'found' && found.route.operationId, 'revokeVirtualKey');
    assert.deepEqual(found.kind === 'found' && found.params, { id: 'ci' });
    const wrongMethod = findRoute(ADMIN_ROUTES, 'PUT', '/api/customers/acme');
    assert.deepEqual(wrongMethod.kind === 'method-not-allowed' && wrongMethod.allowed.sort(), ['DELETE', 'GET', 'PATCH']);
    assert.equal(findRoute(ADMIN_ROUTES, 'GET', '/api/nothing-here').kind, 'not-found');
    const head = findRoute(ADMIN_ROUTES, 'HEAD', '/api/customers');
    assert.equal(head.kind === 'found' && head.route.operationId, 'listCustomers');
  });

  it('has one route per method and path, unique operation ids, and leaves /api/mcp/… to the MCP gateway', () => {
    const keys = ADMIN_ROUTES.map((route) => `${route.method} ${route.path}`);
    assert.equal(new Set(keys).size, keys.length);
    const operationIds = ADMIN_ROUTES.map((route) => route.operationId);
    assert.equal(new Set(operationIds).size, operationIds.length);
    for (const route of ADMIN_ROUTES) assert.equal(isAdminApiPath(route.path.replace(/\{[^}]+\}/g, 'x')), true, route.path);
    assert.equal(isAdminApiPath('/api/mcp/clients'), false);
    assert.equal(isAdminApiPath('/api/mcp'), false);
    assert.equal(isAdminApiPath('/apiary'), false);
    assert.equal(isAdminApiPath('/anthropic/v1/messages'), false);
  });
});
