import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HeimdallConfig } from '../config/config-schema.js';
import { DASHBOARD_DIRECTORY } from '../server/dashboard-static-files.js';
import { startGovernedTestGateway, type GovernedTestGateway } from './governed-test-gateway.js';

/**
 * The dashboard's browser tests: Debian's Chromium (`apt-get install chromium`) driven by
 * `playwright-core`, against a gateway with storage and governance on 127.0.0.1 serving the built
 * dashboard (dist/dashboard/, rebuilt first when older than dashboard/). Screenshots go to
 * `.test-artifacts/dashboard/`.
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
 * The `skip` option for browser tests: false when Chromium is there (after building the dashboard
 * when `dist/dashboard/` is missing or older than its sources), otherwise the notice.
 * @throws Error when Chromium is absent and `HEIMDALL_REQUIRE_SERVICES=1`, or when the build fails
 */
export function skipWithoutChromium(): false | string {
  if (!existsSync(CHROMIUM_PATH)) {
    const notice = `Chromium not found at ${CHROMIUM_PATH}`;
    if (process.env.HEIMDALL_REQUIRE_SERVICES === '1') throw new Error(`HEIMDALL_REQUIRE_SERVICES=1 but ${notice} (apt-get install chromium)`);
    return `${notice}; apt-get install chromium to run the dashboard browser tests`;
  }
  ensureDashboardBuilt();
  return false;
}

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DASHBOARD_SOURCES = join(PACKAGE_ROOT, 'dashboard');
const BUILD_LOCK = join(PACKAGE_ROOT, 'dist', '.dashboard-build-lock');
/** A lock older than this was left by a build that died, ms. */
const STALE_LOCK_MS = 5 * 60_000;

/** The newest modification time under `directory`, ms. */
function newestModification(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestModification(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtIsCurrent(): boolean {
  const index = join(DASHBOARD_DIRECTORY, 'index.html');
  return existsSync(index) && statSync(index).mtimeMs >= newestModification(DASHBOARD_SOURCES);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Builds the dashboard (`vite build`, as `npm run build` does) when `dist/dashboard/` is missing or
 * older than `dashboard/`, so the browser tests always test the current sources. Test files run in
 * parallel processes: one builds under a lock directory, the others wait for it.
 * @throws Error when the build fails
 */
export function ensureDashboardBuilt(): void {
  if (!existsSync(DASHBOARD_SOURCES)) return; // an installed package: dist/dashboard is what ships
  for (;;) {
    if (builtIsCurrent()) return;
    mkdirSync(join(PACKAGE_ROOT, 'dist'), { recursive: true });
    try {
      mkdirSync(BUILD_LOCK);
    } catch {
      const lock = statSync(BUILD_LOCK, { throwIfNoEntry: false });
      if (lock !== undefined && Date.now() - lock.mtimeMs > STALE_LOCK_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      sleepSync(500);
      continue;
    }
    try {
      if (builtIsCurrent()) return;
      const vite = join(PACKAGE_ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
      const result = spawnSync(process.execPath, [vite, 'build', '--config', join(DASHBOARD_SOURCES, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: PACKAGE_ROOT, encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`building the dashboard failed (${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`);
      return;
    } finally {
      rmSync(BUILD_LOCK, { recursive: true, force: true });
    }
  }
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

/**
 * Opens `url` in `page` and logs in with the test admin's password on the login page it shows
 * (admin auth on, as {@link startDashboardTestGateway} sets it up).
 */
export async function logInToDashboard(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('User name').fill(DASHBOARD_TEST_ADMIN.username);
  await page.getByLabel('Password').fill(DASHBOARD_TEST_ADMIN.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

/** An admin API call made from a logged-in page (its session cookie, same origin): status and parsed JSON. */
export function adminCallFromPage(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; data: unknown }> {
  return page.evaluate(
    async ([method, path, body]) => {
      const response = await fetch(path as string, { method: method as string, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      return { status: response.status, data: text === '' ? undefined : (JSON.parse(text) as unknown) };
    },
    [method, path, body] as const,
  );
}
