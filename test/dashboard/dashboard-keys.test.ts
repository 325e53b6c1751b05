/**
 * The Virtual keys, Teams, Customers and Overview pages in Debian's Chromium (skipped with a notice
 * where /usr/bin/chromium is absent unless HEIMDALL_REQUIRE_SERVICES=1; the dashboard is built first when stale):
 * create a team and a customer, create a virtual key with a budget and a rate limit and see its
 * secret once, send requests with it through `/anthropic/v1/messages` to a mock upstream, see the
 * spend in the key's budget and in the overview's charts and top spenders, restrict its MCP tools,
 * revoke it and see the gateway refuse it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { anthropicMessageFromEvents, anthropicTextEvents } from '../../src/testing/anthropic-sse.js';
import type { GovernedTestGateway } from '../../src/testing/governed-test-gateway.js';
import { startMockUpstream, type MockUpstream } from '../../src/testing/mock-upstream.js';
import { launchDashboardBrowser, skipWithoutChromium, startDashboardTestGateway, type DashboardBrowser, logInToDashboard } from '../../src/testing/dashboard-browser.js';

const MODEL = 'claude-sonnet-4-5';

describe('dashboard virtual keys, teams, customers and overview', { skip: skipWithoutChromium() }, () => {
  let upstream: MockUpstream;
  let gateway: GovernedTestGateway;
  let browser: DashboardBrowser;

  before(async () => {
    upstream = await startMockUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(anthropicMessageFromEvents(anthropicTextEvents({ model: MODEL, text: 'Hello from the mock.', inputTokens: 100_000, outputTokens: 20_000 }))));
    });
    gateway = await startDashboardTestGateway({
      providers: { anthropic: { base_url: upstream.url, keys: [{ name: 'primary', value: 'sk-ant-dashboard-test' }] } },
      pricing: { [`anthropic/${MODEL}`]: { input_per_mtok: 3, output_per_mtok: 15 } },
      governance: { enforce_auth_on_inference: true },
    });
    browser = await launchDashboardBrowser();
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
    await upstream?.close();
  });

  async function send(apiKey: string, model = MODEL): Promise<number> {
    const response = await fetch(`${gateway.url}/anthropic/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': apiKey },
      body: JSON.stringify({ model, max_tokens: 64, messages: [{ role: 'user', content: 'Hello' }] }),
    });
    await response.text();
    return response.status;
  }

  it('creates a key (secret shown once), shows its spend, restricts its MCP tools and revokes it', async () => {
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await logInToDashboard(page, `${gateway.url}/customers`);

    await page.getByLabel('New customer').fill('acme');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await page.getByRole('cell', { name: 'acme' }).waitFor();
    await page.getByRole('button', { name: 'Limits' }).click();
    await page.getByLabel('Budget limit (USD)').fill('100');
    await page.getByRole('button', { name: 'Add budget' }).click();
    await page.getByTestId('budget-meter').first().waitFor();
    await browser.screenshot(page, 'customers');

    await page.getByRole('link', { name: 'Teams' }).click();
    await page.getByLabel('New team').fill('platform');
    await page.getByLabel('Customer').selectOption({ label: 'acme' });
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('cell', { name: 'platform' }).waitFor();
    assert.equal(await page.getByRole('table', { name: 'teams' }).getByRole('cell', { name: 'acme' }).count(), 1);
    await browser.screenshot(page, 'teams');

    await page.getByRole('link', { name: 'Virtual keys' }).click();
    await page.getByRole('button', { name: 'New virtual key' }).click();
    const form = page.getByRole('form', { name: 'New virtual key' });
    await form.getByLabel('Name').fill('ci-bot');
    await form.getByLabel('Owner').selectOption({ label: 'team platform' });
    await form.getByLabel('Allowed models').fill(MODEL);
    await form.getByLabel('Budget (USD, optional)').fill('5');
    await form.getByLabel('Rate limit: requests').fill('100');
    await form.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('secret-value').textContent()) ?? '';
    assert.match(secret, /^hk-/);
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    await browser.screenshot(page, 'virtual-key-created');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('created-secret').waitFor({ state: 'detached' });
    assert.equal((await page.content()).includes(secret), false, 'the secret is not shown again');
    const row = page.getByTestId('virtual-key-row').filter({ hasText: 'ci-bot' });
    assert.match((await row.textContent()) ?? '', new RegExp(`${secret.slice(0, 7)}[\\s\\S]*active[\\s\\S]*team platform[\\s\\S]*100 requests per 1m`));

    // Requests with the key: two served, one refused for a model it may not use.
    assert.equal(await send(secret), 200);
    assert.equal(await send(secret), 200);
    assert.notEqual(await send(secret, 'claude-opus-4-1'), 200);
    // The rate-limit use below is read from the request log, written in batches: write them now.
    await gateway.running.gateway.observability.logQueue?.flush();

    await page.reload();
    // 2 × (100k input × $3 + 20k output × $15) per million = 2 × $0.60.
    await row.getByText('$1.20 of $5.00 per month').waitFor();
    await row.getByText('last 1m').count();
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByText(/last 1m: 3 requests/).waitFor();
    await page.getByLabel('Restrict MCP tools').first().check();
    await page.getByLabel('MCP tools (patterns; empty: none)').fill('github__*');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await row.getByText('github__*').waitFor();
    await browser.screenshot(page, 'virtual-keys');

    // The overview: totals, charts, the key among the top spenders and its budget use.
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('overview-tiles').getByText('3', { exact: true }).waitFor();
    const spenders = page.getByRole('table', { name: 'Top spenders (virtual keys)' });
    assert.match((await spenders.textContent()) ?? '', /ci-bot[\s\S]*\$1\.20/);
    const budgetUse = page.getByRole('table', { name: 'Budget use per virtual key' });
    assert.match((await budgetUse.textContent()) ?? '', /ci-bot[\s\S]*\$1\.20[\s\S]*\$5\.00[\s\S]*24%/);
    assert.ok((await page.locator('.recharts-bar-rectangle').count()) > 0, 'the requests chart has bars');
    await browser.screenshot(page, 'overview');

    // Revoke: the gateway refuses the key at once.
    await page.getByRole('link', { name: 'Virtual keys' }).click();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('revoked').waitFor();
    assert.equal(await send(secret), 401);
    assert.deepEqual(browser.pageErrors, []);
    await page.close();
  });
});
