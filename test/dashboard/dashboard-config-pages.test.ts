/**
 * The gateway-configuration pages in Debian's Chromium (skipped with a notice where
 * /usr/bin/chromium is absent unless HEIMDALL_REQUIRE_SERVICES=1; needs `npm run build`):
 * Providers (add a provider with a key, add a second key, press "Test" on both: the answer through
 * the good key, the upstream's 401 through the bad one; a header set through the form arrives
 * upstream, its value never shown; an Azure provider added with Entra ID credentials), Routing rules (a CEL error shown with its
 * position while typing, a rule saved, "Try it" naming the rule and its target), MCP (a stdio
 * server connected, its tools listed; a second one added through the form, its allowed tools listed,
 * then deleted), Claude Code setup (the settings.json env block and the
 * `claude mcp add` command for a chosen key) and Settings (auth enforcement switched on, seen by
 * the next inference request). A screenshot of each page goes to `.test-artifacts/dashboard/`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { anthropicTextMessage } from '../../src/testing/anthropic-sse.js';
import { launchDashboardBrowser, skipWithoutChromium, startDashboardTestGateway, type DashboardBrowser, logInToDashboard, adminCallFromPage } from '../../src/testing/dashboard-browser.js';
import type { GovernedTestGateway } from '../../src/testing/governed-test-gateway.js';
import { everythingStdioConfig } from '../../src/testing/mcp-test-servers.js';
import { startMockUpstream, type MockUpstream } from '../../src/testing/mock-upstream.js';
import { openAiChatCompletion, openAiUsage, writeOpenAiError } from '../../src/testing/openai-chat-sse.js';

describe('dashboard configuration pages', { skip: skipWithoutChromium() }, () => {
  let upstream: MockUpstream;
  let gateway: GovernedTestGateway;
  let browser: DashboardBrowser;
  let page: Page;

  before(async () => {
    upstream = await startMockUpstream((request, response) => {
      const model = (request.json as { model?: string } | undefined)?.model ?? 'unknown';
      if (request.url.startsWith('/v1/chat/completions')) {
        if (String(request.headers.authorization).includes('sk-revoked')) return writeOpenAiError(response, 401, 'Incorrect API key provided: sk-revo****');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(openAiChatCompletion({ model, text: 'OK', usage: openAiUsage(9, 1) })));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(anthropicTextMessage({ model, text: 'Hello from the mock', outputTokens: 4 })));
    });
    gateway = await startDashboardTestGateway({
      providers: { anthropic: { base_url: upstream.url, keys: [{ name: 'primary', value: 'sk-ant-dashboard-test' }] } },
      mcp: { servers: { everything: everythingStdioConfig() } },
    });
    browser = await launchDashboardBrowser();
    page = await browser.newPage();
    await logInToDashboard(page, `${gateway.url}/providers`);
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  /** An admin API call from the logged-in page (its session cookie, same origin). */
  const adminCall = (method: string, path: string, body?: unknown) => adminCallFromPage(page, method, path, body);

  it('adds a provider and its keys, and tests each key', async () => {
    await page.getByRole('button', { name: 'Add provider' }).click();
    const form = page.getByRole('form', { name: 'Add provider' });
    await form.getByLabel('Name', { exact: true }).fill('openai-mock');
    await form.getByLabel('Kind').selectOption('openai');
    await form.getByLabel('Base URL').fill(`${upstream.url}/v1`);
    await form.getByLabel('Models (comma-separated, optional)').fill('gpt-test');
    await form.getByLabel('Key name').fill('main');
    await form.getByLabel('Key value').fill('sk-main-0123456789abcdef');
    await form.getByRole('button', { name: 'Create provider' }).click();
    const card = page.getByTestId('provider-openai-mock');
    await card.waitFor();
    // The value is masked: first and last 4 characters at most.
    await card.getByTestId('key-main').getByText('sk-m…cdef').waitFor();
    assert.equal(await page.getByText('sk-main-0123456789abcdef').count(), 0);

    const addKey = page.getByRole('form', { name: 'Add key to openai-mock' });
    await addKey.getByLabel('New key name').fill('revoked');
    await addKey.getByLabel('Key value').fill('sk-revoked-0123456789abcdef');
    await addKey.getByLabel('Weight').fill('2');
    await addKey.getByRole('button', { name: 'Add key' }).click();
    await card.getByTestId('key-revoked').waitFor();

    await card.getByTestId('key-main').getByRole('button', { name: 'Test' }).click();
    const good = card.getByTestId('key-main').getByTestId('provider-test-result');
    await good.filter({ hasText: 'answered: “OK”' }).waitFor();
    assert.match((await good.textContent()) ?? '', /✓ 200 .* gpt-test/);

    await card.getByTestId('key-revoked').getByRole('button', { name: 'Test' }).click();
    const bad = card.getByTestId('key-revoked').getByTestId('provider-test-result');
    await bad.filter({ hasText: 'Incorrect API key' }).waitFor();
    assert.match((await bad.textContent()) ?? '', /✗ 401/);
    assert.equal(upstream.requests.filter((request) => request.url.startsWith('/v1/chat/completions')).length, 2);
    await browser.screenshot(page, 'providers');
  });

  it('sets a provider header through the form: it arrives upstream, and its value is never shown', async () => {
    const card = page.getByTestId('provider-openai-mock');
    const headers = card.getByTestId('headers-openai-mock');
    await headers.getByRole('button', { name: 'add header' }).click();
    await headers.getByLabel('Header 1 name').fill('X-Tenant-Token');
    await headers.getByLabel('Header 1 value').fill('tenant-secret-0123456789');
    await headers.getByRole('button', { name: 'Save headers' }).click();
    // Stored: the name comes back (lower-case), its value field is empty and write-only.
    await headers.locator('input[readonly]').waitFor();
    assert.equal(await headers.getByLabel('Header 1 name').inputValue(), 'x-tenant-token');
    assert.equal(await headers.getByLabel('Header 1 value').inputValue(), '');
    assert.equal(await page.getByText('tenant-secret-0123456789').count(), 0);
    const stored = await adminCall('GET', '/api/providers/openai-mock');
    assert.deepEqual((stored.data as { headers: Record<string, string> }).headers, { 'x-tenant-token': 'tena…6789' });

    const before = upstream.requests.length;
    await card.getByTestId('key-main').getByRole('button', { name: 'Test' }).click();
    await card.getByTestId('key-main').getByTestId('provider-test-result').filter({ hasText: '✓ 200' }).waitFor();
    const sent = upstream.requests.slice(before).filter((request) => request.url.startsWith('/v1/chat/completions'));
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.headers['x-tenant-token'], 'tenant-secret-0123456789');
    await browser.screenshot(page, 'provider-headers');

    // Saving without re-entering the stored value is refused in the page (the API would drop it).
    await headers.getByRole('button', { name: 'add header' }).click();
    await headers.getByLabel('Header 2 name').fill('x-second');
    await headers.getByLabel('Header 2 value').fill('second-value');
    await headers.getByRole('button', { name: 'Save headers' }).click();
    await headers.getByText('Enter a value for x-tenant-token').waitFor();
    // Removing the header: the next request goes without it.
    await headers.getByRole('button', { name: 'remove' }).first().click();
    await headers.getByRole('button', { name: 'remove' }).first().click();
    await headers.getByRole('button', { name: 'Save headers' }).click();
    await headers.getByLabel('Header 1 name').waitFor({ state: 'detached' });
    assert.deepEqual(((await adminCall('GET', '/api/providers/openai-mock')).data as { headers: Record<string, string> }).headers, {});
  });

  it('adds an Azure provider with Entra ID client credentials, write-only', async () => {
    await page.getByRole('button', { name: 'Add provider' }).click();
    const form = page.getByRole('form', { name: 'Add provider' });
    await form.getByLabel('Name', { exact: true }).fill('azure-entra');
    await form.getByLabel('Kind').selectOption('azure');
    await form.getByLabel('Base URL').fill(`${upstream.url}/azure`);
    await form.getByLabel('Entra tenant id').fill('tenant-1');
    await form.getByLabel('Entra client id').fill('client-1');
    await form.getByLabel('Entra client secret').fill('entra-secret-0123456789');
    await form.getByLabel('Entra authority host (optional)').fill(upstream.url);
    await form.getByRole('button', { name: 'Create provider' }).click();
    const credentials = page.getByTestId('credentials-azure-entra');
    await credentials.getByText('Stored: entra (values not shown)').waitFor();
    assert.equal(await page.getByText('entra-secret-0123456789').count(), 0);
    const stored = await adminCall('GET', '/api/providers/azure-entra');
    assert.ok((stored.data as { option_names: string[] }).option_names.includes('entra'), JSON.stringify(stored.data));
    assert.ok(!JSON.stringify(stored.data).includes('entra-secret'));
    await browser.screenshot(page, 'provider-credentials');
    await credentials.getByRole('button', { name: 'remove entra' }).click();
    await credentials.getByText('No entra setting stored.').waitFor();
  });

  it('creates a routing rule with validation as you type, and the "try it" panel names it', async () => {
    await page.getByRole('link', { name: 'Routing rules' }).click();
    await page.getByRole('heading', { name: 'Routing rules' }).waitFor();
    await page.getByRole('button', { name: 'New rule' }).click();
    const editor = page.getByRole('form', { name: 'Routing rule editor' });
    await editor.getByLabel('Name', { exact: true }).fill('background-to-openai');
    await editor.getByLabel('CEL expression').fill('request_kind == "background" &&');
    const status = editor.getByTestId('expression-status');
    await status.filter({ hasText: /line 1, column \d+/ }).waitFor();
    await browser.screenshot(page, 'routing-rule-editor-error');
    await editor.getByLabel('CEL expression').fill('request_kind == "background" && model.startsWith("claude-haiku")');
    await status.filter({ hasText: 'expression is valid' }).waitFor();
    await editor.getByLabel('Target 1 provider').fill('openai-mock');
    await editor.getByLabel('Target 1 model').fill('gpt-test');
    await editor.getByRole('button', { name: 'Save rule' }).click();
    await page.getByTestId('routing-rule-row').filter({ hasText: 'background-to-openai' }).waitFor();

    const tryIt = page.getByRole('form', { name: 'Try it' });
    await tryIt.getByLabel('Sample model').fill('claude-haiku-4-5');
    await tryIt.getByLabel('Request kind').selectOption('background');
    await tryIt.getByRole('button', { name: 'Evaluate' }).click();
    const result = tryIt.getByTestId('try-it-result');
    await result.getByText('Rule “background-to-openai” matched').waitFor();
    await result.getByText('openai-mock/gpt-test').waitFor();
    await browser.screenshot(page, 'routing-rules');

    // The same request for the main model goes elsewhere: the rule does not match.
    await tryIt.getByLabel('Request kind').selectOption('main');
    await tryIt.getByRole('button', { name: 'Evaluate' }).click();
    await result.getByText('No rule matched: default routing').waitFor();
  });

  it('shows the MCP servers with their tools, reconnects one, and sets a key\'s tool access', async () => {
    const key = await adminCall('POST', '/api/virtual-keys', { name: 'mcp-user' });
    assert.equal(key.status, 201, JSON.stringify(key.data));
    await page.getByRole('link', { name: 'MCP' }).click();
    await page.getByRole('heading', { name: 'MCP' }).waitFor();
    const server = page.getByTestId('mcp-server-everything');
    for (let attempt = 0; attempt < 60 && (await server.getByText('connected', { exact: true }).count()) === 0; attempt += 1) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
    await server.getByText('connected', { exact: true }).waitFor();
    await server.getByRole('button', { name: /Show \d+ tools/ }).click();
    await server.getByTestId('mcp-tool-list').getByText('everything__echo').waitFor();

    const access = page.getByTestId('mcp-access-mcp-user');
    await access.getByLabel('every tool').uncheck();
    await access.getByLabel('MCP tools of mcp-user').fill('everything__echo, everything__get-sum');
    await access.getByText(/^2 of \d+$/).waitFor();
    await access.getByRole('button', { name: 'Save' }).click();
    const stored = async () => ((await adminCall('GET', '/api/virtual-keys/mcp-user')).data as { mcp_tools: string[] | null }).mcp_tools;
    for (let attempt = 0; attempt < 40 && (await stored()) === null; attempt += 1) await page.waitForTimeout(100);
    assert.deepEqual(await stored(), ['everything__echo', 'everything__get-sum']);
    await browser.screenshot(page, 'mcp');

    await server.getByRole('button', { name: 'Reconnect' }).click();
    await server.getByText('connected', { exact: true }).waitFor();
  });

  it('adds an MCP server over stdio, lists its allowed tools, and deletes it', async () => {
    const config = everythingStdioConfig();
    assert.equal(await page.getByTestId('mcp-server-everything').getByRole('button', { name: 'Delete' }).count(), 0, 'config-file servers are read-only');
    await page.getByRole('button', { name: 'Add MCP server' }).click();
    const form = page.getByRole('form', { name: 'Add MCP server' });
    await form.getByLabel('Name', { exact: true }).fill('everything2');
    await form.getByLabel('Transport', { exact: true }).selectOption('stdio');
    await form.getByLabel('Command', { exact: true }).fill(String(config.command));
    await form.getByLabel('Arguments (one per line)').fill((config.args ?? []).join('\n'));
    await form.getByRole('button', { name: 'Add environment variable' }).click();
    await form.getByLabel('Environment variables name').fill('EVERYTHING_TEST_TOKEN');
    await form.getByLabel('Environment variables value').fill('env-secret-4711');
    assert.equal(await form.getByLabel('Environment variables value').getAttribute('type'), 'password');
    await form.getByLabel('expose every tool').uncheck();
    await form.getByLabel("Tools to expose (the server's own names, comma-separated)").fill('echo, get-sum');
    await form.getByRole('button', { name: 'Add server' }).click();

    const server = page.getByTestId('mcp-server-everything2');
    await server.waitFor();
    await page.getByRole('form', { name: 'Add MCP server' }).waitFor({ state: 'detached', timeout: 5000 }); // closed once added
    for (let attempt = 0; attempt < 60 && (await server.getByText('connected', { exact: true }).count()) === 0; attempt += 1) {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(500);
    }
    await server.getByText('connected', { exact: true }).waitFor();
    await server.getByText(/added here/).waitFor();
    await server.getByRole('button', { name: /^Show \d+ tools \(2 exposed\)$/ }).click();
    const exposed = await server.getByTestId('mcp-tool-list').locator('li[data-exposed="true"] code').allTextContents();
    assert.deepEqual(exposed.sort(), ['everything2__echo', 'everything2__get-sum']);
    assert.ok((await server.getByTestId('mcp-tool-list').getByText('not exposed').count()) > 0, 'the other tools are listed as not exposed');
    const status = await adminCall('GET', '/api/mcp/clients/everything2');
    assert.equal(status.status, 200);
    assert.equal((status.data as { source: string }).source, 'api');
    assert.doesNotMatch(JSON.stringify((await adminCall('GET', '/api/mcp/clients')).data), /env-secret-4711/, 'the environment value is never sent back');
    await browser.screenshot(page, 'mcp-added');

    page.once('dialog', (dialog) => void dialog.accept());
    await server.getByRole('button', { name: 'Delete' }).click();
    await server.waitFor({ state: 'detached' });
    assert.equal((await adminCall('GET', '/api/mcp/clients/everything2')).status, 404);
    await page.getByTestId('mcp-server-everything').waitFor();
  });

  it('writes the Claude Code settings block and the claude mcp add command for a key', async () => {
    const created = await adminCall('POST', '/api/virtual-keys', { name: 'laptop' });
    assert.equal(created.status, 201, JSON.stringify(created.data));
    const secret = (created.data as { secret: string }).secret;
    await page.getByRole('link', { name: 'Claude Code setup' }).click();
    await page.getByRole('heading', { name: 'Claude Code setup' }).waitFor();
    await page.getByLabel('Virtual key').selectOption({ label: `laptop (${(created.data as { virtual_key: { key_prefix: string } }).virtual_key.key_prefix})` });
    await page.getByLabel('Key secret').fill(secret);
    await page.getByLabel('Sonnet tier (main model)').fill('openai-mock/gpt-test');
    const settings = JSON.parse((await page.getByTestId('claude-settings').textContent()) ?? '') as { env: Record<string, string> };
    assert.deepEqual(settings.env, { ANTHROPIC_BASE_URL: `${gateway.url}/anthropic`, ANTHROPIC_AUTH_TOKEN: secret, ANTHROPIC_DEFAULT_SONNET_MODEL: 'openai-mock/gpt-test' });
    assert.equal(await page.getByTestId('claude-mcp-command').textContent(), `claude mcp add --transport http heimdall ${gateway.url}/mcp --header "Authorization: Bearer ${secret}"`);
    await browser.screenshot(page, 'claude-code-setup');

    // The block works: a request with that key through the gateway.
    const response = await fetch(`${settings.env.ANTHROPIC_BASE_URL}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', authorization: `Bearer ${settings.env.ANTHROPIC_AUTH_TOKEN}` },
      body: JSON.stringify({ model: settings.env.ANTHROPIC_DEFAULT_SONNET_MODEL, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    await response.text();
  });

  it('switches auth enforcement on from the Settings page, seen by the next inference request', async () => {
    const send = () =>
      fetch(`${gateway.url}/anthropic/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const before = await send();
    assert.equal(before.status, 200);
    await before.text();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByLabel('Require a virtual key on inference').check();
    await page.getByRole('status').filter({ hasText: 'Auth enforcement saved' }).waitFor();
    await page.getByText('changed here').first().waitFor();
    const after = await send();
    assert.equal(after.status, 401);
    await after.text();
    await browser.screenshot(page, 'settings');

    await page.getByRole('button', { name: 'reset' }).first().click();
    await page.getByRole('status').filter({ hasText: 'Reset saved' }).waitFor();
    // The saved message appears once the form shows what is in force.
    assert.equal(await page.getByLabel('Require a virtual key on inference').isChecked(), false);
    assert.equal(await page.getByText('changed here').count(), 0);
    assert.deepEqual(browser.pageErrors, []);
  });
});
