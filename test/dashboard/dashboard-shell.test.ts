/**
 * The dashboard served by the gateway, in Debian's Chromium (skipped with a notice where
 * /usr/bin/chromium is absent unless HEIMDALL_REQUIRE_SERVICES=1; the dashboard is built first when stale): a browser
 * opening `/` gets the app and its login page, logs in with the admin user, and reloads a deep page;
 * API clients probing `/` and Claude Code's `HEAD /anthropic` keep getting JSON.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { GovernedTestGateway } from '../../src/testing/governed-test-gateway.js';
import { DASHBOARD_TEST_ADMIN, launchDashboardBrowser, skipWithoutChromium, startDashboardTestGateway, type DashboardBrowser } from '../../src/testing/dashboard-browser.js';

describe('dashboard shell', { skip: skipWithoutChromium() }, () => {
  let gateway: GovernedTestGateway;
  let browser: DashboardBrowser;

  before(async () => {
    gateway = await startDashboardTestGateway({ providers: {} });
    browser = await launchDashboardBrowser();
  });
  after(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it('answers API clients probing / and /anthropic with JSON, browsers with the app', async () => {
    const probe = await fetch(`${gateway.url}/`);
    assert.equal(probe.headers.get('content-type'), 'application/json');
    assert.equal(((await probe.json()) as { name: string }).name, 'heimdall');
    const head = await fetch(`${gateway.url}/anthropic`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'application/json');
    const page = await fetch(`${gateway.url}/logs`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="root">/);
    const unknown = await fetch(`${gateway.url}/logs`);
    assert.equal(unknown.status, 404);
  });

  it('shows the login page, refuses a wrong password, logs in, keeps the session across a reload, logs out', async () => {
    const page = await browser.newPage();
    await page.goto(`${gateway.url}/`);
    await page.getByLabel('User name').fill(DASHBOARD_TEST_ADMIN.username);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();
    await browser.screenshot(page, 'login');

    await page.getByLabel('Password').fill(DASHBOARD_TEST_ADMIN.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(await page.getByTestId('signed-in-as').textContent(), DASHBOARD_TEST_ADMIN.username);

    await page.reload();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    await page.goto(`${gateway.url}/no-such-page`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('User name').waitFor();

    // The admin token instead of a user: refused when wrong, kept for the tab across a reload.
    await page.getByRole('button', { name: 'Use the admin token instead' }).click();
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Admin token').fill(DASHBOARD_TEST_ADMIN.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    // Back on the page the login interrupted.
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    assert.equal(await page.getByTestId('signed-in-as').textContent(), 'admin token');
    await page.goto(`${gateway.url}/logs`);
    await page.getByRole('heading', { name: 'Logs' }).waitFor();
    await page.getByTestId('tail-state').filter({ hasText: 'live' }).waitFor(); // the tail sends the token too
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('User name').waitFor();
    assert.deepEqual(browser.pageErrors, []);
    await page.close();
  });

  it('needs no login while admin auth is off (loopback access)', async () => {
    const open = await startDashboardTestGateway({ providers: {} }, { adminAuth: false });
    try {
      const page = await browser.newPage();
      await page.goto(`${open.url}/`);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      assert.equal(await page.getByTestId('signed-in-as').textContent(), 'local access');
      assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 0);
      await page.close();
    } finally {
      await open.close();
    }
  });
});
