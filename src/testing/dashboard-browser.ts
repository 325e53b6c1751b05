import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HeimdallConfig } from '../config/config-schema.js';
import { DASHBOARD_DIRECTORY } from '../server/dashboard-static-files.js';
import { startGovernedTestGateway, type GovernedTestGateway } from './governed-test-gateway.js';

/**
 * The dashboard's browser tests: Debian's Chromium (`apt-get install chromium`) driven by
 * `playwright-core`, against a gateway with storage and governance on 127.0.0.1 serving the built
 * dashboard (`npm run build` → dist/dashboard/). Screenshots go to `.test-artifacts/dashboard/`.
 * Where /usr/bin/chromium is absent the tests skip with a notice, and fail instead when
 * `HEIMDALL_REQUIRE_SERVICES=1` (CI installs it, see .ci/run).
 */

/** Debian's Chromium. */
export const CHROMIUM_PATH = process.env.HEIMDALL_CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the screenshots go (relative to the package root, the tests' working directory). */
export const SCREENSHOT_DIRECTORY = join(process.cwd(), '.test-artifacts', 'dashboard');

/** Chromium flags: headless, no sandbox (root in CI containers), and nothing that reaches the network on its own. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A laptop screen. */
const VIEWPORT = { width: 1366, height: 860 };

/**
 * The `skip` option for browser tests: false when Chromium and the built dashboard are there,
 * otherwise the notice.
 * @throws Error when Chromium is absent and `HEIMDALL_REQUIRE_SERVICES=1`, or when the dashboard
 *   was not built (`npm run build`), which is never a reason to skip
 */
export function skipWithoutChromium(): false | string {
  if (!existsSync(join(DASHBOARD_DIRECTORY, 'index.html'))) {
    throw new Error(`the dashboard is not built (${DASHBOARD_DIRECTORY}index.html is missing): run npm run build`);
  }
  if (existsSync(CHROMIUM_PATH)) return false;
  const notice = `Chromium not found at ${CHROMIUM_PATH}`;
  if (process.env.HEIMDALL_REQUIRE_SERVICES === '1') throw new Error(`HEIMDALL_REQUIRE_SERVICES=1 but ${notice} (apt-get install chromium)`);
  return `${notice}; apt-get install chromium to run the dashboard browser tests`;
}

/** A Chromium with a fresh profile. */
export interface DashboardBrowser {
  context: BrowserContext;
  /** A new tab with failed page scripts collected into `pageErrors`. */
  newPage(): Promise<Page>;
  /** Uncaught errors of the dashboard's scripts (a test expects none). */
  pageErrors: string[];
  /** Saves a full-page screenshot as `.test-artifacts/dashboard/<name>.png`; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

/** Launches Chromium (headless, fresh `--user-data-dir`) through playwright-core. */
export async function launchDashboardBrowser(): Promise<DashboardBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'heimdall-chromium-'));
  // Playwright passes `--user-data-dir=<profile>` itself for a persistent context.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    timeout: 60_000,
  });
  context.setDefaultTimeout(20_000);
  mkdirSync(SCREENSHOT_DIRECTORY, { recursive: true });
  const pageErrors: string[] = [];
  return {
    context,
    pageErrors,
    newPage: async () => {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    },
    screenshot: async (page, name) => {
      const path = join(SCREENSHOT_DIRECTORY, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The admin user and admin token the dashboard test gateway is started with. */
export const DASHBOARD_TEST_ADMIN = { username: 'admin', password: 'dashboard-test-password-1', token: 'dashboard-test-admin-token-0123456789' };

/**
 * Starts a governed gateway for a dashboard test (SQLite store in a fresh app directory) with the
 * request log on and, unless `adminAuth` is false, the admin user and token of
 * {@link DASHBOARD_TEST_ADMIN}, over `config` (its providers pointing at mock upstreams on 127.0.0.1).
 * Without admin auth the admin API admits loopback requests, so the dashboard needs no login.
 */
export async function startDashboardTestGateway(config: HeimdallConfig, options: { adminAuth?: boolean } = {}): Promise<GovernedTestGateway> {
  if (options.adminAuth === false) return startGovernedTestGateway(config);
  return startGovernedTestGateway(
    {
      ...config,
      admin: { username: DASHBOARD_TEST_ADMIN.username, password: 'env.DASHBOARD_TEST_PASSWORD', token: 'env.DASHBOARD_TEST_TOKEN', ...config.admin },
    },
    { environment: { DASHBOARD_TEST_PASSWORD: DASHBOARD_TEST_ADMIN.password, DASHBOARD_TEST_TOKEN: DASHBOARD_TEST_ADMIN.token } },
  );
}
