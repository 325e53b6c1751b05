import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildGatewaySettings } from '../config/gateway-settings.js';
import { ConfigError, validateConfigObject } from '../config/load-config.js';
import { effectiveAllowedHosts } from './mcp-settings.js';

describe('mcp config', () => {
  it('builds upstreams, access and defaults from the config', () => {
    const config = validateConfigObject(
      {
        providers: {},
        mcp: {
          servers: {
            everything: { command: 'node', args: ['server.js', 'stdio'], tools: ['echo'] },
            remote: { url: 'http://127.0.0.1:3001/mcp', headers: { Authorization: 'env.REMOTE_TOKEN' }, namespace: false },
            personal: { transport: 'sse', url: 'http://127.0.0.1:3002/sse', per_user_headers: ['X-User-Token'] },
          },
          access: { 'env.VK_ALICE': { everything: ['echo'], remote: '*' } },
          health_check: { interval_ms: 100, failure_threshold: 3 },
        },
        admin: { token: 'env.ADMIN' },
      },
      'test',
    );
    const settings = buildGatewaySettings(config, { REMOTE_TOKEN: 'Bearer r', VK_ALICE: 'vk-alice', ADMIN: 'admin-secret' }).mcp;
    assert.deepEqual(
      settings.upstreams.map((upstream) => [upstream.id, upstream.transport.kind, upstream.namespace, upstream.tools]),
      [
        ['everything', 'stdio', true, ['echo']],
        ['personal', 'sse', true, '*'],
        ['remote', 'streamable-http', false, '*'],
      ],
    );
    assert.deepEqual(settings.upstreams[2].headers, { authorization: 'Bearer r' });
    assert.deepEqual(settings.upstreams[1].perUserHeaders, ['x-user-token']);
    assert.deepEqual([...settings.access.keys()], ['vk-alice']);
    assert.equal(settings.adminToken, 'admin-secret');
    assert.equal(settings.health.intervalMs, 100);
    assert.equal(settings.health.failureThreshold, 3);
    assert.equal(settings.health.timeoutMs, 5000);
    assert.equal(settings.enforceAuth, false);
    assert.equal(settings.injectTools, false);
    assert.equal(settings.maxToolNameLength, 64);
  });

  it('takes the admin token from HEIMDALL_ADMIN_TOKEN when the config has none', () => {
    assert.equal(buildGatewaySettings({ providers: {} }, { HEIMDALL_ADMIN_TOKEN: 't' }).mcp.adminToken, 't');
    assert.equal(buildGatewaySettings({ providers: {} }, {}).mcp.adminToken, undefined);
  });

  it('rejects upstream names that would break tool-name prefixes, and per-user headers on stdio', () => {
    assert.throws(() => validateConfigObject({ mcp: { servers: { 'a__b': { command: 'x' } } } }, 'test'), /mcp\.servers/);
    assert.throws(() => validateConfigObject({ mcp: { servers: { 'a.b': { command: 'x' } } } }, 'test'), /mcp\.servers/);
    const stdioWithHeaders = validateConfigObject({ providers: {}, mcp: { servers: { local: { command: 'x', per_user_headers: ['x-token'] } } } }, 'test');
    assert.throws(() => buildGatewaySettings(stdioWithHeaders, {}), (error: unknown) => error instanceof ConfigError && /need an HTTP transport/.test(error.message));
    const noCommand = validateConfigObject({ providers: {}, mcp: { servers: { local: { transport: 'stdio' } } } }, 'test');
    assert.throws(() => buildGatewaySettings(noCommand, {}), /mcp\.servers\.local\.command: required/);
  });

  it('checks Host/Origin against loopback names when bound to loopback, and not otherwise unless configured', () => {
    const settings = buildGatewaySettings({ providers: {} }, {}).mcp;
    assert.deepEqual(effectiveAllowedHosts(settings, '127.0.0.1'), ['localhost', '127.0.0.1', '[::1]']);
    assert.equal(effectiveAllowedHosts(settings, '0.0.0.0'), undefined);
    const configured = buildGatewaySettings({ providers: {}, mcp: { allowed_hosts: ['gateway.internal'] } }, {}).mcp;
    assert.deepEqual(effectiveAllowedHosts(configured, '0.0.0.0'), ['gateway.internal']);
  });
});
